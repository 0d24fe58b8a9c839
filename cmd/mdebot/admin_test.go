package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
)

// get GETs url and returns the status and body.
func get(t *testing.T, ctx context.Context, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// waitStatus polls url until it answers want, and returns the body. The
// child's state is only visible over HTTP, so this is a condition wait
// bounded by ctx, not a timing assumption.
func waitStatus(t *testing.T, ctx context.Context, url string, want int) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := get(t, ctx, url)
		if code == want {
			return body
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s never answered %d; last %d %q", url, want, code, body)
		case <-tick.C:
		}
	}
}

// metricLines returns the exposition lines of the child's /metrics whose
// metric name is one of names.
func metricLines(t *testing.T, ctx context.Context, addr string, names ...string) map[string]bool {
	t.Helper()
	code, body := get(t, ctx, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	out := map[string]bool{}
	for l := range strings.Lines(body) {
		for _, n := range names {
			if strings.HasPrefix(l, n+"{") || strings.HasPrefix(l, n+" ") {
				out[strings.TrimSuffix(l, "\n")] = true
			}
		}
	}
	return out
}

func TestMetricsCountAnIsolationFlowAndAnMDE429(t *testing.T) {
	addr := freeAddr(t)
	w := newWorld(t, spec{admin: addr, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	// The name lookup is refused once with a 429; the client waits its
	// Retry-After and asks again.
	w.mde.FailNext("machines.list", 1, http.StatusTooManyRequests,
		`{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded. Try again in 1 seconds."}}`,
		http.Header{"Retry-After": {"1"}})
	w.command(ctx, alice, "isolate ws-0042 ransomware note found")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")
	w.command(ctx, alice, "isolate")

	// Each line is waited for: a command is counted once its handler
	// returned, which may be after its reply reached Slack, and the
	// tracker lets go of an action just after it edits the card.
	for _, want := range []string{
		`mdebot_commands_total{outcome="accepted",verb="isolate"} 1`,
		`mdebot_commands_total{outcome="invalid",verb="isolate"} 1`,
		`mdebot_mde_calls_total{family="machines",status="429"} 1`,
		`mdebot_mde_calls_total{family="isolate",status="201"} 1`, // each action POST has its own budget family
		`mdebot_request_transitions_total{kind="isolate",state="awaiting_approval"} 1`,
		`mdebot_request_transitions_total{kind="isolate",state="approved"} 1`,
		`mdebot_request_transitions_total{kind="isolate",state="submitted"} 1`,
		`mdebot_request_transitions_total{kind="isolate",state="succeeded"} 1`,
		`mdebot_time_to_approve_seconds_count{kind="isolate"} 1`,
		`mdebot_time_to_contain_seconds_count{kind="isolate"} 1`,
		`mdebot_socket_connected 1`,
		`mdebot_actions_in_flight 0`,
	} {
		waitMetric(t, ctx, addr, want)
	}
	envs := metricLines(t, ctx, addr, "mdebot_envelopes_total", "mdebot_ack_latency_seconds_count")
	if !envs[`mdebot_envelopes_total{type="slash_commands"} 2`] || !envs[`mdebot_envelopes_total{type="interactive"} 1`] {
		t.Errorf("envelope counts: %q", keys(envs))
	}
	if !envs[`mdebot_ack_latency_seconds_count 3`] {
		t.Errorf("ack latency observations: %q", keys(envs))
	}
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

// waitMetric polls the child's /metrics until it holds line.
func waitMetric(t *testing.T, ctx context.Context, addr, line string) {
	t.Helper()
	name, _, _ := strings.Cut(line, " ")
	name, _, _ = strings.Cut(name, "{")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		got := metricLines(t, ctx, addr, name)
		if got[line] {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/metrics never held %s; last %q", line, keys(got))
		case <-tick.C:
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReadinessFollowsTheSocketWhileHealthStaysUp(t *testing.T) {
	addr := freeAddr(t)
	w := newWorld(t, spec{admin: addr})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	ready := "http://" + addr + "/readyz"
	if body := waitStatus(t, ctx, ready, http.StatusOK); body != "ready\n" {
		t.Errorf("GET /readyz body %q", body)
	}

	// Drop the socket and refuse the next reconnections.
	w.slack.FailNext("apps.connections.open", 3, "internal_error")
	w.slack.DropConnection()
	body := waitStatus(t, ctx, ready, http.StatusServiceUnavailable)
	if !strings.HasPrefix(body, "not ready: Slack Socket Mode disconnected since ") {
		t.Errorf("GET /readyz body while down %q", body)
	}
	if code, body := get(t, ctx, "http://"+addr+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz while the socket is down = %d %q", code, body)
	}

	w.serving(ctx, c, 2)
	waitStatus(t, ctx, ready, http.StatusOK)
	if got := metricLines(t, ctx, addr, "mdebot_socket_reconnects_total"); !got["mdebot_socket_reconnects_total 1"] {
		t.Errorf("reconnects: %q", keys(got))
	}
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}
