package bot

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// refusals returns the codes of the refused-attempt audit records of id.
func (h *harness) refusals(id string) []approvals.Code {
	var codes []approvals.Code
	for _, rec := range h.audit(id) {
		if rec.Type == approvals.EventRefused {
			codes = append(codes, rec.Code)
		}
	}
	return codes
}

func TestAnIsolationRunsOnlyOnceASecondPersonApproves(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 selective ransomware note on share")
	card := h.card("awaiting approval")
	stale := h.staleCopy(card)
	r := h.only()

	h.click(responder, card, blocks.ActionApprove)
	h.ephemeral(responder, "cannot approve your own request")
	h.click(outsider, card, blocks.ActionApprove)
	h.ephemeral(outsider, "not an approver")
	if got := h.refusals(r.ID); len(got) != 2 || got[0] != approvals.CodeSelfDecision || got[1] != approvals.CodeNotPermitted {
		t.Errorf("refusals audited = %v, want [self_decision not_permitted]", got)
	}
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Fatalf("isolate POSTs before approval = %d, want 0", n)
	}

	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	h.reply(card, "Succeeded")
	h.card("succeeded")
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1", n)
	}
	a := h.mde.Actions()[0]
	for _, want := range []string{r.ID, responder, approver1, "ransomware note on share"} {
		if !strings.Contains(a.RequestorComment, want) {
			t.Errorf("MDE comment %q lacks %q", a.RequestorComment, want)
		}
	}
	if a.Scope != "Selective" {
		t.Errorf("isolation scope = %q, want Selective", a.Scope)
	}
	// A late click on the old card is refused and changes nothing.
	h.click(approver2, stale, blocks.ActionApprove)
	h.ephemeral(approver2, "already decided")
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs after a late click = %d, want 1", n)
	}
}

func TestTwentyConcurrentApprovalsSubmitOnce(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.workers = 16 })
	h.slash(responder, socChannel, "restrict ws-0042 lateral movement seen")
	card := h.card("awaiting approval")
	stale := h.staleCopy(card)
	var wg sync.WaitGroup
	ctx := h.ctx()
	errs := make(chan error, 20)
	for i := range 20 {
		user := approver1
		if i%2 == 1 {
			user = approver2
		}
		wg.Go(func() {
			env, err := h.slack.ClickButton(ctx, user, stale.Ref(), blocks.ActionApprove, "")
			if err == nil {
				_, err = h.slack.WaitAck(ctx, env.ID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h.reply(card, "Succeeded")
	if n := h.mde.CallCount("actions.restrictCodeExecution"); n != 1 {
		t.Errorf("restrict POSTs = %d, want 1", n)
	}
	if n := len(h.mde.Actions()); n != 1 {
		t.Errorf("MDE actions = %d, want 1", n)
	}
}

func TestADenialNeedsAReasonGivenInTheModal(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "unisolate ws-0042 all clear")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionDeny)
	view, err := h.slack.WaitView(h.ctx(), func(v slacktest.View) bool { return v.CallbackID == blocks.CallbackDenyModal && v.UserID == approver1 })
	if err != nil {
		t.Fatal(err)
	}
	// An empty reason keeps the modal open with an error, from the ack alone.
	env, err := h.slack.SubmitView(h.ctx(), approver1, view.ID, map[string]map[string]string{blocks.BlockDenyReason: {blocks.ActionDenyReason: "   "}})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(h.ctx(), env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), blocks.BlockDenyReason) {
		t.Errorf("ack payload = %s, want response_action errors on the reason", ack.Payload)
	}
	env, err = h.slack.SubmitView(h.ctx(), approver1, view.ID, map[string]map[string]string{blocks.BlockDenyReason: {blocks.ActionDenyReason: "the <!channel> machine is still infected"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env.ID); err != nil {
		t.Fatal(err)
	}
	denied := h.card("denied")
	if !strings.Contains(shown(denied), "&lt;!channel&gt;") || strings.Contains(shown(denied), "<!channel>") {
		t.Errorf("the reason is not escaped on the card: %s", denied.Blocks)
	}
	r := h.only()
	if r.State != approvals.StateDenied || len(r.Decisions) != 1 || r.Decisions[0].Actor != approver1 {
		t.Errorf("request = %s %+v, want denied by %s", r.State, r.Decisions, approver1)
	}
	if n := len(h.mde.Calls()); n == 0 || h.mde.CallCount("actions.unisolate") != 0 {
		t.Errorf("unisolate was sent to MDE after a denial")
	}
}

func TestTheRequesterCannotDenyTheirOwnRequest(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.click(responder, card, blocks.ActionDeny)
	h.ephemeral(responder, "cannot approve your own request")
	if got := h.refusals(h.only().ID); len(got) != 1 || got[0] != approvals.CodeSelfDecision {
		t.Errorf("refusals = %v, want [self_decision]", got)
	}
	if n := len(h.slack.Views()); n != 0 {
		t.Errorf("%d modals opened, want none", n)
	}
}

func TestAnUnapprovedRequestExpiresAndItsCardSaysSo(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	stale := h.staleCopy(card)
	h.advance(11 * time.Minute)
	expired := h.card("expired unapproved")
	if expired.TS != card.TS || expired.Edited == 0 {
		t.Errorf("expired card %s (edited %d), want card %s edited", expired.TS, expired.Edited, card.TS)
	}
	if strings.Contains(string(expired.Blocks), blocks.ActionApprove) {
		t.Error("the expired card still offers Approve")
	}
	h.click(approver1, stale, blocks.ActionApprove)
	h.ephemeral(approver1, "expired")
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Errorf("isolate POSTs = %d after expiry, want 0", n)
	}
}

func TestASecondApproveBySameApproverSaysHowManyMoreAreNeeded(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "offboard ws-0042 decommissioned laptop")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	h.click(approver1, card, blocks.ActionApprove) // however the two are ordered, one counts
	h.ephemeral(approver1, "You have already approved this; it needs one more approver.")
	if r := h.only(); r.State != approvals.StateAwaiting || len(r.Approvals()) != 1 {
		t.Errorf("request = %s with %d approvals, want awaiting with 1", r.State, len(r.Approvals()))
	}
}
