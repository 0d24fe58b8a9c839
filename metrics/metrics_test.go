package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/metrics"
)

// scrape returns the lines of m's exposition that start with one of the
// given metric names (comments and other metrics left out).
func scrape(t *testing.T, m *metrics.Metrics, names ...string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	var out []string
	for l := range strings.Lines(string(body)) {
		l = strings.TrimSuffix(l, "\n")
		for _, n := range names {
			if strings.HasPrefix(l, n+"{") || strings.HasPrefix(l, n+" ") {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

func TestCommandsAndMDECallsAreCountedByTheirLabels(t *testing.T) {
	m := metrics.New()
	m.Command("isolate", "accepted")
	m.Command("isolate", "accepted")
	m.Command("scan", "rejected")
	m.MDECall(defender.FamilyIsolate, http.MethodPost, http.StatusTooManyRequests, time.Millisecond)
	m.MDECall(defender.FamilyIsolate, http.MethodPost, http.StatusCreated, time.Millisecond)
	m.MDECall(defender.FamilyMachines, http.MethodGet, 0, time.Second)
	got := scrape(t, m, "mdebot_commands_total", "mdebot_mde_calls_total")
	want := []string{
		`mdebot_commands_total{outcome="accepted",verb="isolate"} 2`,
		`mdebot_commands_total{outcome="rejected",verb="scan"} 1`,
		`mdebot_mde_calls_total{family="isolate",status="201"} 1`,
		`mdebot_mde_calls_total{family="isolate",status="429"} 1`,
		`mdebot_mde_calls_total{family="machines",status="0"} 1`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

func TestTheSocketGaugeFollowsTheConnectionAndReconnectsAreCounted(t *testing.T) {
	m := metrics.New()
	m.SocketConnected(true, false)
	m.SocketConnected(false, false)
	m.SocketConnected(true, true)
	got := scrape(t, m, "mdebot_socket_connected", "mdebot_socket_reconnects_total")
	want := []string{"mdebot_socket_connected 1", "mdebot_socket_reconnects_total 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

func TestShedWorkIsCountedByLaneAndReason(t *testing.T) {
	m := metrics.New()
	m.Shed("work", "queue_full")
	m.Shed("work", "user_limit")
	m.Shed("work", "user_limit")
	m.Shed("decision", "queue_full")
	got := scrape(t, m, "mdebot_shed_total")
	want := []string{
		`mdebot_shed_total{lane="decision",reason="queue_full"} 1`,
		`mdebot_shed_total{lane="work",reason="queue_full"} 1`,
		`mdebot_shed_total{lane="work",reason="user_limit"} 2`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

func TestInFlightReadsTheFunctionSetLater(t *testing.T) {
	m := metrics.New()
	if got := scrape(t, m, "mdebot_actions_in_flight"); !cmp.Equal(got, []string{"mdebot_actions_in_flight 0"}) {
		t.Errorf("before SetInFlight: %q", got)
	}
	m.SetInFlight(func() int { return 3 })
	if got := scrape(t, m, "mdebot_actions_in_flight"); !cmp.Equal(got, []string{"mdebot_actions_in_flight 3"}) {
		t.Errorf("after SetInFlight: %q", got)
	}
}

func TestTheStoreCountsCommittedTransitionsAndTimesApprovalAndContainment(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := metrics.New()
	svc, err := approvals.New(approvals.Options{
		Policy: approvals.Policy{Approvers: []string{"UALICE", "UBOB"}},
		Store:  m.Store(&approvalstest.Store{}),
		Now:    func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Open(ctx, approvals.Draft{
		Kind:      approvals.KindIsolate,
		Params:    approvals.Params{Machine: "0123456789abcdef0123456789abcdef01234567", Isolation: defender.IsolationFull},
		Requester: "UBOB", Channel: "CSECOPS", Reason: "ransomware",
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Request.ID
	if _, err := svc.Approve(ctx, id, "UBOB", res.Request.Fingerprint()); err == nil {
		t.Fatal("a self-approval was accepted")
	}
	now = now.Add(90 * time.Second)
	if _, err := svc.Approve(ctx, id, "UALICE", res.Request.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.MarkSubmitted(ctx, id, "b89eb834-4578-496c-8be0-03f004061435"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Minute)
	if _, err := svc.RecordStatus(ctx, id, defender.StatusSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	got := scrape(t, m, "mdebot_request_transitions_total",
		"mdebot_time_to_approve_seconds_sum", "mdebot_time_to_approve_seconds_count",
		"mdebot_time_to_contain_seconds_sum", "mdebot_time_to_contain_seconds_count")
	want := []string{
		`mdebot_request_transitions_total{kind="isolate",state="approved"} 1`,
		`mdebot_request_transitions_total{kind="isolate",state="awaiting_approval"} 1`,
		`mdebot_request_transitions_total{kind="isolate",state="submitted"} 1`,
		`mdebot_request_transitions_total{kind="isolate",state="succeeded"} 1`,
		`mdebot_time_to_approve_seconds_sum{kind="isolate"} 90`,
		`mdebot_time_to_approve_seconds_count{kind="isolate"} 1`,
		`mdebot_time_to_contain_seconds_sum{kind="isolate"} 690`,
		`mdebot_time_to_contain_seconds_count{kind="isolate"} 1`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

func TestTheSlackOutboxIsMeasured(t *testing.T) {
	m := metrics.New()
	m.OutboxPending(7)
	m.RateLimited("chat.postMessage")
	m.RateLimited("chat.postMessage")
	m.Delivered("reply", 1500*time.Millisecond)
	m.Failed("reply", "not_in_channel")
	got := scrape(t, m, "mdebot_slack_outbox_pending", "mdebot_slack_ratelimited_total", "mdebot_slack_delivery_latency_seconds_count", "mdebot_slack_delivery_failures_total")
	want := []string{
		`mdebot_slack_delivery_failures_total{error="not_in_channel",kind="reply"} 1`,
		`mdebot_slack_delivery_latency_seconds_count{kind="reply"} 1`,
		`mdebot_slack_outbox_pending 7`,
		`mdebot_slack_ratelimited_total{method="chat.postMessage"} 2`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}
func TestBreakGlassAndItsReviewsAreCounted(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := metrics.New()
	store := &approvalstest.Store{}
	svc, err := approvals.New(approvals.Options{
		Policy: approvals.Policy{Approvers: []string{"UALICE", "UBOB"}, BreakGlass: []string{"UBOB"}},
		Store:  m.Store(store), History: store,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, machine := range []defender.MachineID{"0123456789abcdef0123456789abcdef01234567", "89abcdef0123456789abcdef0123456789abcdef"} {
		res, err := svc.Open(ctx, approvals.Draft{
			Kind: approvals.KindIsolate, Params: approvals.Params{Machine: machine, Isolation: defender.IsolationFull},
			Requester: "UBOB", Channel: "CSECOPS", Reason: "C2 at 3am", BreakGlass: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Request.ID)
	}
	if _, err := svc.Flag(ctx, ids[0], "UALICE", "should have waited"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(25 * time.Hour)
	if _, err := svc.SweepReviews(ctx); err != nil {
		t.Fatal(err)
	}
	got := scrape(t, m, "mdebot_break_glass_total", "mdebot_break_glass_reviews_total")
	want := []string{
		`mdebot_break_glass_reviews_total{review="flagged"} 1`,
		`mdebot_break_glass_reviews_total{review="overdue"} 1`,
		`mdebot_break_glass_total{kind="isolate"} 2`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}
