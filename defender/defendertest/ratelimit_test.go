package defendertest

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithRateLimits(3, 5))
	tok := accessToken(t, srv)
	path := "/api/machines/" + ws42
	for i := range 3 {
		if res := get(t, srv, tok, path); res.status != 200 {
			t.Fatalf("call %d: %d", i, res.status)
		}
		clock.Advance(10 * time.Second)
	}
	// Calls at 0s, 10s and 20s; now 30s: the first leaves the minute window at 60s.
	res := get(t, srv, tok, path)
	if code, _ := res.errorCode(t); res.status != http.StatusTooManyRequests || code != "TooManyRequests" || res.header.Get("Retry-After") != "30" {
		t.Fatalf("4th call: %d %s Retry-After=%q", res.status, code, res.header.Get("Retry-After"))
	}
	if res := get(t, srv, tok, "/api/machines"); res.status != 200 {
		t.Errorf("another route is limited separately: %d", res.status)
	}
	clock.Advance(30 * time.Second)
	if res := get(t, srv, tok, path); res.status != 200 {
		t.Errorf("after Retry-After: %d", res.status)
	}
	clock.Advance(time.Minute)
	get(t, srv, tok, path)
	// Five calls within the hour now: the hourly window refuses until 1h after the first.
	clock.Advance(time.Minute)
	res = get(t, srv, tok, path)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "3420" {
		t.Errorf("hourly limit: %d Retry-After=%q", res.status, res.header.Get("Retry-After"))
	}
}

func TestGetPackageURIHasItsOwnStricterLimit(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithProgress(0, 0))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/collectInvestigationPackage", `{"Comment":"x"}`).json(t)["id"].(string)
	srv.SetStatus(id, "Succeeded")
	for range 2 {
		if res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri"); res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
	}
	if res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri"); res.status != 429 || res.header.Get("Retry-After") != "60" {
		t.Errorf("third call in a minute: %d Retry-After=%q", res.status, res.header.Get("Retry-After"))
	}
}

func TestRateLimitsCanBeDisabled(t *testing.T) {
	srv := newTestServer(t, WithRateLimits(0, 0), WithProgress(0, 0))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/collectInvestigationPackage", `{"Comment":"x"}`).json(t)["id"].(string)
	srv.SetStatus(id, "Succeeded")
	for i := range 5 {
		if res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri"); res.status != 200 {
			t.Fatalf("call %d: %d", i, res.status)
		}
	}
}

func TestUnauthenticatedCallsDoNotUseTheBudget(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithRateLimits(1, 0))
	for range 3 {
		get(t, srv, "", "/api/machines")
	}
	if res := get(t, srv, accessToken(t, srv), "/api/machines"); res.status != 200 {
		t.Errorf("first authenticated call: %d", res.status)
	}
}
