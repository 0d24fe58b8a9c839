package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// dmCard waits for the DM copy of a request's card sent to user, whose
// text contains want.
func (h *harness) dmCard(user, want string) slacktest.Message {
	h.t.Helper()
	return h.wait("DM card to "+user+" with "+want, func(m slacktest.Message) bool {
		return m.Channel == "D"+strings.TrimPrefix(user, "U") && !m.Ephemeral && strings.Contains(m.Text, want) &&
			strings.Contains(string(m.Blocks), "mde_dm_card")
	})
}

func TestAnApprovalGivenFromADMUpdatesTheChannelCardAndEveryCopy(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		c.policy.Approvals = map[approvals.Kind]int{approvals.KindIsolate: 2}
	})
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	dm1 := h.dmCard(approver1, "awaiting approval")
	dm2 := h.dmCard(approver2, "awaiting approval")
	if n := h.dmsTo(responder, "ws-0042"); n != 0 {
		t.Errorf("the requester got %d approval DMs of their own request", n)
	}

	h.click(approver1, dm1, blocks.ActionApprove)
	h.wait("channel card with one approval", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 of 2")
	})
	h.wait("the other DM copy with one approval", func(m slacktest.Message) bool {
		return m.Channel == dm2.Channel && m.TS == dm2.TS && strings.Contains(shown(m), "1 of 2")
	})
	// The second approval, from the other DM, runs it; every copy follows.
	fresh, _ := h.slack.Message(dm2.Ref())
	h.click(approver2, fresh, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	h.wait("DM copy without buttons once approved", func(m slacktest.Message) bool {
		return m.TS == dm1.TS && m.Channel == dm1.Channel && !strings.Contains(string(m.Blocks), blocks.ActionApprove) &&
			strings.Contains(shown(m), "2 of 2")
	})
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1", n)
	}
	r := h.only()
	if len(r.Copies) != 2 {
		t.Errorf("copies stored = %v, want the two DMs", r.Copies)
	}
}

func TestWithdrawalAndExpiryUpdateTheDMCopies(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	dm := h.dmCard(approver1, "awaiting approval")
	h.click(responder, card, blocks.ActionWithdraw)
	h.wait("DM copy withdrawn", func(m slacktest.Message) bool {
		return m.TS == dm.TS && m.Channel == dm.Channel && strings.Contains(m.Text, "withdrawn") && !strings.Contains(string(m.Blocks), blocks.ActionApprove)
	})

	h.slash(responder, socChannel, "isolate ws-0003 full beaconing")
	h.card("ws-0003")
	dm = h.dmCard(approver2, "ws-0003")
	h.advance(time.Hour)
	h.wait("DM copy expired", func(m slacktest.Message) bool {
		return m.TS == dm.TS && m.Channel == dm.Channel && strings.Contains(m.Text, "expired")
	})
}

func TestARequestUndecidedAfterEscalateAfterIsEscalated(t *testing.T) {
	const onCall = "S0ONCALL"
	h := newHarness(t, func(c *harnessConfig) {
		c.policy.TTL, c.policy.EscalateAfter = time.Hour, 10*time.Minute
		c.escalation = onCall
		c.groups = staticGroups{approverSet: {approver1, approver2}, onCall: {approver2, outsider}}
	})
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.advance(11 * time.Minute)
	h.reply(card, "escalated to <!subteam^"+onCall+">")
	h.dmCard(outsider, "awaiting approval")
	h.dmTo(responder, "escalated to")
	r := h.only()
	if r.Escalated.Sub(r.Created) < 10*time.Minute {
		t.Errorf("escalated %s after the request, want at least escalate_after (10m)", r.Escalated.Sub(r.Created))
	}
	var escalations int
	for _, rec := range h.audit(r.ID) {
		if rec.Type == approvals.EventEscalated {
			escalations++
		}
	}
	if escalations != 1 {
		t.Errorf("%d escalation audit records, want 1", escalations)
	}
}

func TestAnApproverWhoTurnedApprovalDMsOffGetsNone(t *testing.T) {
	h := newHarness(t)
	home := h.openHome(approver1, homeHas("Approval DMs: *on*"))
	h.clickHome(approver1, home, "mde_home_dms", blocks.ActionHomeDMs)
	h.home(approver1, homeHas("Approval DMs: *off*"))

	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.card("awaiting approval")
	h.dmCard(approver2, "awaiting approval")
	if n := h.dmsTo(approver1, "ws-0042"); n != 0 {
		t.Errorf("approver1 turned approval DMs off but got %d", n)
	}
}
