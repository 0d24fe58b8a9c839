package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

// withBreakGlass lets the responder use break-glass, twice a day, with
// alerts in the alert channel.
func withBreakGlass(c *harnessConfig) {
	c.policy.BreakGlass = []string{responder}
	c.alertChannel = alertsChannel
}

// submitReview opens the review modal from msg's button as user and
// submits note, returning the submission's ack payload.
func (h *harness) submitReview(user string, msg slacktest.Message, actionID, note string) string {
	h.t.Helper()
	h.click(user, msg, actionID)
	view, err := h.slack.WaitView(h.ctx(), func(v slacktest.View) bool {
		return v.CallbackID == blocks.CallbackReviewModal && v.UserID == user && !v.Closed
	})
	if err != nil {
		h.t.Fatal(err)
	}
	env, err := h.slack.SubmitView(h.ctx(), user, view.ID, map[string]map[string]string{blocks.BlockReviewNote: {blocks.ActionReviewNote: note}})
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(h.ctx(), env.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(ack.Payload)
}

func TestBreakGlassRunsAtOnceAlertsTheApproversAndIsReviewed(t *testing.T) {
	h := newHarness(t, withBreakGlass)
	h.slash(responder, socChannel, "isolate ws-0042 --break-glass C2 beacon at 3am, nobody answers")
	card := h.card("BREAK-GLASS")
	h.reply(card, "Submitted to Defender")
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Fatalf("isolate POSTs = %d, want 1 at once", n)
	}
	r := h.only()
	if !r.BreakGlass || len(r.Approvals()) != 0 || r.Review == nil || r.Review.State != approvals.ReviewPending {
		t.Fatalf("request %+v, want break-glass with no approval and a pending review", r)
	}
	// Loud: each approver by DM, and the alert channel.
	alert := h.dmTo(approver1, "BREAK-GLASS")
	h.dmTo(approver2, "BREAK-GLASS")
	h.wait("the alert channel", func(m slacktest.Message) bool {
		return m.Channel == alertsChannel && strings.Contains(m.Text, "BREAK-GLASS")
	})
	if n := h.dmsTo(responder, "BREAK-GLASS"); n != 0 {
		t.Errorf("the requester was alerted of their own break-glass (%d DMs)", n)
	}

	// An acknowledgement needs a note: the modal stays open and says so.
	if ack := h.submitReview(approver1, alert, blocks.ActionAcknowledge, "  "); !strings.Contains(ack, `"response_action":"errors"`) {
		t.Errorf("ack of an empty acknowledgement = %s, want errors", ack)
	}
	h.submitReview(approver1, alert, blocks.ActionAcknowledge, "confirmed C2, right call")
	h.wait("card acknowledged", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "acknowledged by <@"+approver1+">: confirmed C2, right call")
	})
	var types []approvals.EventType
	for _, rec := range h.audit(r.ID) {
		types = append(types, rec.Type)
	}
	for _, want := range []approvals.EventType{approvals.EventRequested, approvals.EventBreakGlass, approvals.EventSubmitted, approvals.EventReviewAcknowledged} {
		if !containsEvent(types, want) {
			t.Errorf("audit %v lacks %s", types, want)
		}
	}
}

func containsEvent(types []approvals.EventType, t approvals.EventType) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

func TestBreakGlassIsCappedPerDayAndAnUnreviewedOneIsFlaggedOverdue(t *testing.T) {
	h := newHarness(t, withBreakGlass)
	h.slash(responder, socChannel, "isolate ws-0042 --break-glass first")
	first := h.card("ws-0042")
	h.reply(first, "Submitted to Defender")
	h.slash(responder, socChannel, "isolate ws-0003 --break-glass second")
	second := h.card("ws-0003")
	h.reply(second, "Submitted to Defender")

	// A third the same day is refused, and nothing reaches MDE.
	h.slash(responder, socChannel, "isolate ws-0006 --break-glass third")
	h.ephemeral(responder, "as often as a day allows")
	if n := h.mde.CallCount("actions.isolate"); n != 2 {
		t.Errorf("isolate POSTs = %d, want 2", n)
	}
	// Others may not use it at all.
	h.slash(approver1, socChannel, "isolate ws-0006 --break-glass me too")
	h.ephemeral(approver1, "may not use `--break-glass`")

	// The first is acknowledged from its card; the second is left alone.
	h.submitReview(approver2, first, blocks.ActionAcknowledge, "fine")
	h.wait("first acknowledged", func(m slacktest.Message) bool {
		return m.TS == first.TS && strings.Contains(shown(m), "acknowledged by")
	})
	h.advance(24*time.Hour + time.Minute)
	h.wait("second overdue", func(m slacktest.Message) bool {
		return m.TS == second.TS && strings.Contains(shown(m), "Review overdue")
	})
	h.dmTo(approver1, "BREAK-GLASS review reminder")

	h.slash(approver1, socChannel, "history --break-glass")
	hist := h.ephemeral(approver1, "review pending :warning: *overdue*")
	if !strings.Contains(shown(hist), "review acknowledged") {
		t.Errorf("history does not list the acknowledged one:\n%s", shown(hist))
	}
	if strings.Count(shown(hist), "BREAK-GLASS") != 2 {
		t.Errorf("history --break-glass lists %d break-glass rows, want 2:\n%s", strings.Count(shown(hist), "BREAK-GLASS"), shown(hist))
	}
}

func TestABreakGlassActionOpenedJustBeforeAStopIsAlertedAtTheNextStart(t *testing.T) {
	h := newHarness(t, withBreakGlass, manualMDE)
	h.stop()
	// Opened, then the process died before its alerts went out.
	res, err := h.svc.Open(h.ctx(), approvals.Draft{Kind: approvals.KindIsolate, Requester: responder, Channel: socChannel,
		Reason: "C2 at 3am", BreakGlass: true, Params: approvals.Params{Machine: ws42, MachineName: "ws-0042.contoso.local", Isolation: defender.IsolationFull}})
	if err != nil || !res.Executable {
		t.Fatalf("open: %v %v", res.Executable, err)
	}
	h.start()
	h.dmTo(approver1, "BREAK-GLASS")
	h.dmTo(approver2, "BREAK-GLASS")
	h.wait("the alert channel", func(m slacktest.Message) bool {
		return m.Channel == alertsChannel && strings.Contains(m.Text, "BREAK-GLASS")
	})
	// A second restart tells nobody twice.
	h.restart()
	h.card("BREAK-GLASS")
	h.drained()
	if n := h.dmsTo(approver1, "BREAK-GLASS"); n != 1 {
		t.Errorf("approver1 got %d break-glass alerts, want 1", n)
	}
}
