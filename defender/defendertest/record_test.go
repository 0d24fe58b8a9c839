package defendertest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
)

func TestFailNextInjectsRepliesThenServesNormally(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	srv.FailNext("machines.get", 2, http.StatusServiceUnavailable, `{"error":{"code":"ServiceUnavailable","message":"busy"}}`, http.Header{"Retry-After": {"7"}})
	for range 2 {
		res := get(t, srv, tok, "/api/machines/"+ws42)
		if code, _ := res.errorCode(t); res.status != 503 || code != "ServiceUnavailable" || res.header.Get("Retry-After") != "7" ||
			res.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("injected: %d %v %s", res.status, res.header, res.body)
		}
	}
	if res := get(t, srv, tok, "/api/machines/"+ws42); res.status != 200 {
		t.Errorf("after the injected replies: %d", res.status)
	}
	if res := get(t, srv, tok, "/api/machines"); res.status != 200 {
		t.Errorf("another route: %d", res.status)
	}
}

func TestFailNextWithStatusZeroDropsTheConnection(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []Option
	}{{"TLS", nil}, {"in memory", []Option{WithInMemory()}}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := newTestServer(t, mode.opts...)
			tok := accessToken(t, srv)
			srv.FailNext("actions.isolate", 1, 0, "", nil)
			req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL()+"/api/machines/"+ws42+"/isolate", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if res, err := srv.HTTPClient().Do(req); err == nil {
				res.Body.Close()
				t.Fatalf("got %d, want a transport error", res.StatusCode)
			}
			calls := srv.Calls()
			if last := calls[len(calls)-1]; last.Route != "actions.isolate" || last.Status != 0 {
				t.Errorf("recorded %+v", last)
			}
			if len(srv.Actions()) != 0 {
				t.Error("a dropped request created an action")
			}
		})
	}
}

func TestCallsAreRecordedBeforeTheReplyArrives(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	postJSON(t, srv, tok, "/api/machines/"+ws42+"/isolate", `{"Comment":"why","IsolationType":"Full"}`)
	calls := srv.Calls()
	last := calls[len(calls)-1]
	if last.Method != "POST" || last.Route != "actions.isolate" || last.Status != 201 ||
		string(last.Body) != `{"Comment":"why","IsolationType":"Full"}` || srv.CallCount("actions.isolate") != 1 || srv.CallCount("token") != 1 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestWaitForWakesOnRequestsAndTicks(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	done := make(chan error, 1)
	go func() {
		done <- srv.WaitFor(t.Context(), func(s *Server) bool {
			as := s.Actions()
			return len(as) == 1 && as[0].Status == "Succeeded"
		})
	}()
	postJSON(t, srv, tok, "/api/machines/"+ws42+"/isolate", `{"Comment":"x","IsolationType":"Full"}`)
	clock.Advance(time.Minute)
	srv.Tick()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWaitForReturnsWhenTheContextEnds(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := srv.WaitFor(ctx, func(*Server) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestSubscribersHearOfChanges(t *testing.T) {
	srv := newTestServer(t)
	ch, stop := srv.Subscribe()
	get(t, srv, "", "/api/machines")
	select {
	case <-ch:
	case <-t.Context().Done():
		t.Fatal("no notification")
	}
	stop()
	stop()
	if _, ok := <-ch; ok {
		t.Error("channel open after stop")
	}
	get(t, srv, "", "/api/machines") // must not panic or block
}

func TestActionsCompleteInsideASynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(WithInMemory())
		defer srv.Close()
		cred, _ := confidential.NewCredFromSecret(ClientSecret)
		app, err := confidential.New(srv.Authority(), ClientID, cred,
			confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := app.AcquireTokenByCredential(t.Context(), []string{Scope})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res := postJSON(t, srv, tok.AccessToken, "/api/machines/"+ws42+"/isolate", `{"Comment":"x","IsolationType":"Full"}`)
		if res.status != 201 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		err = srv.WaitFor(t.Context(), func(s *Server) bool { return s.Actions()[0].Status == "Succeeded" })
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 7*time.Second {
			t.Errorf("succeeded after %v, want 7s", d)
		}
		time.Sleep(time.Hour)
		if res := get(t, srv, tok.AccessToken, "/api/machines"); res.status != 401 {
			t.Errorf("token after an hour: %d", res.status)
		}
	})
}

func TestTheServerIsSafeForConcurrentUse(t *testing.T) {
	srv := newTestServer(t, WithRateLimits(0, 0), WithProgress(time.Millisecond, time.Millisecond))
	tok := accessToken(t, srv)
	ms := srv.Machines()[:8]
	ch, stop := srv.Subscribe()
	defer stop()
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			for j := range 5 {
				action := "runAntiVirusScan"
				if (i+j)%2 == 0 {
					action = "collectInvestigationPackage"
				}
				do(t, srv, "POST", "/api/machines/"+m.ID+"/"+action, tok, "application/json", `{"Comment":"x","ScanType":"Quick"}`)
				get(t, srv, tok, "/api/machineactions?$filter=machineId+eq+'"+m.ID+"'")
				srv.Actions()
				srv.Calls()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			select {
			case <-ch:
			case <-t.Context().Done():
				return
			}
		}
	})
	wg.Wait()
	err := srv.WaitFor(t.Context(), func(s *Server) bool {
		for _, a := range s.Actions() {
			if !terminal(a.Status) {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.CallCount("machineactions.list"); n != 40 {
		t.Errorf("list calls = %d, want 40", n)
	}
}
