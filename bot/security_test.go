package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
)

// searchGate cuts mdebot off from Defender's action search (GET
// /api/machineactions) while it is closed, as a network fault would.
type searchGate struct {
	next   http.RoundTripper
	closed atomic.Bool
}

func (g *searchGate) wrap(rt http.RoundTripper) http.RoundTripper { g.next = rt; return g }

func (g *searchGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if g.closed.Load() && req.Method == http.MethodGet && strings.EqualFold(strings.TrimSuffix(req.URL.Path, "/"), "/api/machineactions") {
		return nil, errors.New("test: the action search is unreachable")
	}
	return g.next.RoundTrip(req)
}

// lostReplyAndUnsearchable makes the next isolate POST fail as if its reply
// were lost, and Defender's action search unreachable until g opens.
func lostReplyAndUnsearchable(h *harness, g *searchGate) {
	h.mde.FailNext("actions.isolate", 1, http.StatusBadGateway, "", nil)
	g.closed.Store(true)
}

// waitRequest waits until request id satisfies cond.
func waitRequest(t *testing.T, h *harness, id string, cond func(r *approvals.Request) bool) *approvals.Request {
	t.Helper()
	ctx := h.ctx()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := h.db.Get(context.Background(), id)
		if err == nil && cond(r) {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("request %s: %+v: %v\nlog:\n%s", id, r, ctx.Err(), lastLines(h.logs.String(), 15))
		case <-tick.C:
		}
	}
}

func TestACancelWhileTheOutcomeIsUnknownFindsTheActionAndCancelsItInDefender(t *testing.T) {
	g := &searchGate{}
	h := newHarness(t, manualMDE, func(c *harnessConfig) { c.mdeTransport = g.wrap })
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	// The POST reaches MDE, its reply is lost, and MDE cannot be searched.
	sent, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, commentPrefix(r.ID)+" reached Defender")
	if err != nil {
		t.Fatal(err)
	}
	lostReplyAndUnsearchable(h, g)
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "did not say")

	h.slash(responder, socChannel, "cancel "+r.ID+" wrong machine")
	h.reply(card, "Cancel requested")
	got := waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.CancelRequested == responder })
	if got.State != approvals.StateApproved {
		t.Fatalf("after the cancel the request is %s, want approved with the cancel requested: it may run in Defender", got.State)
	}

	g.closed.Store(false)
	got = waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateCancelled })
	if got.ActionID != sent.Action.ID {
		t.Errorf("request action = %q, want the one that reached Defender, %q", got.ActionID, sent.Action.ID)
	}
	h.reply(card, "asked Defender to cancel it")
	for _, a := range h.mde.Actions() {
		if a.ID == sent.Action.ID && a.Status != string(defender.StatusCancelled) {
			t.Errorf("the isolation is %s in Defender, want Cancelled", a.Status)
		}
	}
	if n := h.mde.CallCount("actions.isolate"); n != 2 {
		t.Errorf("isolate POSTs = %d, want 2 (the test's and the lost one); never a third", n)
	}
}

func TestACancelWhileTheOutcomeIsUnknownClosesTheRequestOnlyWhenDefenderHasNoAction(t *testing.T) {
	g := &searchGate{}
	h := newHarness(t, manualMDE, func(c *harnessConfig) { c.mdeTransport = g.wrap })
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	lostReplyAndUnsearchable(h, g) // this time the POST never reached MDE
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "did not say")
	h.slash(responder, socChannel, "cancel "+r.ID)
	h.reply(card, "Cancel requested")
	if got := h.only(); got.State != approvals.StateApproved {
		t.Fatalf("request = %s before Defender could be searched, want approved", got.State)
	}
	g.closed.Store(false)
	got := waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.State.Final() })
	if got.State != approvals.StateCancelled || got.ClosedBy != responder || got.ActionID != "" {
		t.Errorf("request = %s by %q, action %q; want cancelled by %s with no action", got.State, got.ClosedBy, got.ActionID, responder)
	}
	h.reply(card, "nothing ran")
	if n := h.mde.CallCount("actions.isolate"); n != 1 || len(h.mde.Actions()) != 0 {
		t.Errorf("isolate POSTs = %d, actions = %d; want the lost POST only and no action", n, len(h.mde.Actions()))
	}
}

func TestAnApprovedRequestNeverAdoptsSomeoneElsesActionNorCancelsIt(t *testing.T) {
	h := newHarness(t, manualMDE)
	// An isolation started in the portal by someone else, still pending.
	theirs, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, "portal: isolate while we look")
	if err != nil {
		t.Fatal(err)
	}
	h.slash(responder, socChannel, "isolate ws-0042 selective beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Not sent")
	got := waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.State.Final() })
	if got.State != approvals.StateFailed || got.ActionID != "" || !strings.Contains(got.Error, theirs.Action.ID) {
		t.Fatalf("request = %s, action %q, error %q; want not sent, naming %s", got.State, got.ActionID, got.Error, theirs.Action.ID)
	}
	h.slash(responder, socChannel, "cancel "+r.ID)
	h.ephemeral(responder, "Not possible now")
	if n := h.mde.CallCount("machineactions.cancel"); n != 0 {
		t.Errorf("%d cancels sent to Defender, want none", n)
	}
	for _, a := range h.mde.Actions() {
		if a.ID == theirs.Action.ID && a.Status != string(defender.StatusPending) {
			t.Errorf("their isolation is %s, want it untouched (Pending)", a.Status)
		}
	}
}

func TestRecoveryAdoptsOnlyAnActionWhoseCommentStartsWithTheRequestID(t *testing.T) {
	h := newHarness(t, manualMDE)
	r := approvedButNotSubmitted(t, h)
	// Someone quoted the request id in their own action's comment.
	quoting, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, "as discussed in "+commentPrefix(r.ID)+" isolate")
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	got := waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.State.Final() })
	if got.ActionID == quoting.Action.ID {
		t.Fatalf("recovery adopted %s, whose comment only quotes the request id", quoting.Action.ID)
	}
	if got.State != approvals.StateFailed || !strings.Contains(got.Error, "Not sent") {
		t.Errorf("request = %s %q, want not sent next to the other isolation", got.State, got.Error)
	}
}

func TestMdebotNeverCancelsAnActionItDidNotCreateEvenIfARequestRecordsIt(t *testing.T) {
	h := newHarness(t, manualMDE)
	r := approvedButNotSubmitted(t, h)
	// A request recorded before the ownership rule adopted a foreign action.
	theirs, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, "portal isolation")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.MarkSubmitting(h.ctx(), r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.MarkSubmitted(h.ctx(), r.ID, theirs.Action.ID); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.slash(responder, socChannel, "cancel "+r.ID)
	h.ephemeral(responder, "never cancels someone else")
	if n := h.mde.CallCount("machineactions.cancel"); n != 0 {
		t.Errorf("%d cancels sent to Defender, want none", n)
	}
}

// failFirstSubmitted is a Store whose first write of a request to
// submitted fails, as a full disk or a lock timeout would, after MDE took
// the action.
type failFirstSubmitted struct {
	approvals.Store
	failed atomic.Bool
}

func (s *failFirstSubmitted) Update(ctx context.Context, id string, fn func(r *approvals.Request) ([]approvals.AuditEvent, error)) (*approvals.Request, error) {
	return s.Store.Update(ctx, id, func(r *approvals.Request) ([]approvals.AuditEvent, error) {
		ev, err := fn(r)
		if err == nil && r.State == approvals.StateSubmitted && s.failed.CompareAndSwap(false, true) {
			return nil, errors.New("storage: injected write failure")
		}
		return ev, err
	})
}

func TestAnActionIDThatCouldNotBeStoredIsRecoveredNotLostNorPostedTwice(t *testing.T) {
	h := newHarness(t, manualMDE, func(c *harnessConfig) {
		c.wrapStore = func(s approvals.Store) approvals.Store { return &failFirstSubmitted{Store: s} }
	})
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.click(approver1, card, blocks.ActionApprove)
	got := waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateSubmitted })
	a := h.mde.Actions()
	if len(a) != 1 || got.ActionID != a[0].ID || !strings.HasPrefix(a[0].RequestorComment, commentPrefix(r.ID)) {
		t.Errorf("request action %q, MDE actions %+v; want the one action recorded", got.ActionID, a)
	}
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1: recovery must find the action, not post it again", n)
	}
	h.reply(card, "Submitted to Defender")
}
