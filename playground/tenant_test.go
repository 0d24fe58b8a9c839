package playground

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
)

// manualClock is a clock a test moves by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startAction asks the in-memory tenant for an action on the machine named
// name and returns the action's status as the clock moves.
func startAction(t *testing.T, srv *defendertest.Server, name, path, body string) func() string {
	t.Helper()
	client := srv.HTTPClient()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {defendertest.ClientID},
		"client_secret": {defendertest.ClientSecret}, "scope": {defendertest.Scope}}
	res, err := client.PostForm(srv.AuthorityHost()+"/"+defendertest.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %s %v", res.Status, err)
	}
	var id string
	for _, m := range srv.Machines() {
		if m.ComputerDNSName == name {
			id = m.ID
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/api/machines/"+id+"/"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("%s on %s: %s", path, name, res.Status)
	}
	n := len(srv.Actions()) - 1
	return func() string { return srv.Actions()[n].Status }
}

func TestTheTenantsActionsTakeBelievableTimes(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)}
	srv := defendertest.NewServer(append(tenantOptions(clock.Now, 0), defendertest.WithInMemory())...)
	defer srv.Close()
	srv.QuarantineFails(SignedFileSHA1, signedFileError)
	isolate := startAction(t, srv, "ws-0042.contoso.local", "isolate", `{"Comment":"c","IsolationType":"Full"}`)
	offline := startAction(t, srv, "ws-0077.contoso.local", "isolate", `{"Comment":"c","IsolationType":"Full"}`)
	quarantine := startAction(t, srv, "ws-0042.contoso.local", "StopAndQuarantineFile", `{"Comment":"c","Sha1":"`+SignedFileSHA1+`"}`)
	steps := []struct {
		after                        time.Duration
		isolate, offline, quarantine string
	}{
		{after: 0, isolate: "Pending", offline: "Pending", quarantine: "Pending"},
		{after: pendingFor, isolate: "InProgress", offline: "Pending", quarantine: "InProgress"},
		{after: pendingFor + minRun + runSpread, isolate: "Succeeded", offline: "Pending", quarantine: "Failed"},
		{after: offlineTimeout, isolate: "Succeeded", offline: "TimeOut", quarantine: "Failed"},
	}
	var at time.Duration
	for _, s := range steps {
		clock.Advance(s.after - at)
		at = s.after
		if got := [3]string{isolate(), offline(), quarantine()}; got != [3]string{s.isolate, s.offline, s.quarantine} {
			t.Errorf("after %v: isolate, offline isolate, quarantine = %q, want %q", s.after, got, [3]string{s.isolate, s.offline, s.quarantine})
		}
	}
	if err := srv.Actions()[2].Error; err != signedFileError {
		t.Errorf("quarantine error = %q", err)
	}
}

func TestEveryMachineRunsItsActionsForTenToThirtySeconds(t *testing.T) {
	for _, m := range defendertest.DefaultMachines() {
		if d := runTime(m.ComputerDNSName); d < minRun || d >= minRun+runSpread {
			t.Errorf("%s runs for %v", m.ComputerDNSName, d)
		}
	}
	if runTime("ws-0001.contoso.local") == runTime("ws-0002.contoso.local") && runTime("ws-0002.contoso.local") == runTime("ws-0003.contoso.local") {
		t.Error("run times do not vary between machines")
	}
}

func TestATenantActionReachesTheStateAndTheEventStream(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)}
	p, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	events := sseStream(t, p)
	waitSSE(t, events, "hello", "connected")
	startAction(t, p.Tenant(), "ws-0042.contoso.local", "runAntiVirusScan", `{"Comment":"c","ScanType":"Quick"}`)
	waitSSE(t, events, "update", "tenant")
	acts := getState(t, p, ManagerID).Actions
	if len(acts) != 1 || acts[0].Type != "RunAntiVirusScan" || acts[0].Machine != "ws-0042.contoso.local" || acts[0].Status != "Pending" {
		t.Errorf("actions = %+v", acts)
	}
	clock.Advance(pendingFor)
	p.Tenant().Tick()
	waitSSE(t, events, "update", "tenant")
	if acts := getState(t, p, ManagerID).Actions; len(acts) != 1 || acts[0].Status != "InProgress" {
		t.Errorf("after %v: actions = %+v", pendingFor, acts)
	}
}
