package bot

import (
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// guest is a Slack Connect guest from another organization, in the SOC
// channel shared with it.
const guest = "U0GUEST"

func TestASlackConnectGuestCannotRequestEvenWhenAnyoneMay(t *testing.T) {
	h := newHarness(t) // no slack.requesters: anyone in the workspace may request
	h.slack.AddUser(slacktest.User{ID: guest, Name: "gus", TeamID: "T0OTHERORG"})

	h.slash(guest, socChannel, "isolate ws-0042 full beaconing")
	h.ephemeral(guest, "own Slack workspace only")
	if live, err := h.db.Live(h.ctx()); err != nil || len(live) != 0 {
		t.Fatalf("the guest's command opened requests %v (%v)", live, err)
	}
	recs, err := h.db.AuditLog(h.ctx(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Type != approvals.EventRefused || recs[0].Actor != guest ||
		!strings.Contains(recs[0].Detail, "team T0OTHERORG") {
		t.Errorf("audit log = %+v, want one refusal of the guest naming its team", recs)
	}

	// A member of the workspace still may.
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.card("awaiting approval")
}

func TestASlackConnectGuestListedAsApproverCannotApprove(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.policy.Approvers = append(c.policy.Approvers, guest) })
	h.slack.AddUser(slacktest.User{ID: guest, Name: "gus", TeamID: "T0OTHERORG", EnterpriseID: "E0OTHERORG"})
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.click(guest, card, blocks.ActionApprove)
	h.ephemeral(guest, "own Slack workspace only")
	if r := h.only(); r.State != approvals.StateAwaiting || len(r.Approvals()) != 0 {
		t.Errorf("after the guest's click the request is %s with approvals %v, want awaiting with none", r.State, r.Approvals())
	}
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Errorf("isolate POSTs = %d, want 0", n)
	}
}

func TestAnEnvelopeFromAnotherEnterpriseIsRefused(t *testing.T) {
	h := newHarness(t)
	// Same team id as the workspace, another Enterprise Grid organization.
	h.slack.AddUser(slacktest.User{ID: guest, Name: "gus", TeamID: "T0FAKETEAM", EnterpriseID: "E0OTHERORG"})
	h.slash(guest, socChannel, "isolate ws-0042 full beaconing")
	h.ephemeral(guest, "own Slack workspace only")
	if live, err := h.db.Live(h.ctx()); err != nil || len(live) != 0 {
		t.Fatalf("the command opened requests %v (%v)", live, err)
	}
}

func TestCancelCommandObeysTheResponseChannels(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.card("awaiting approval")
	r := h.only()
	h.slash(responder, elsewhere, "cancel "+r.ID+" false alarm")
	h.ephemeral(responder, "`/mde cancel` is not answered in this channel")
	if got := h.only(); got.State != approvals.StateAwaiting {
		t.Errorf("after a cancel outside the channels the request is %s, want awaiting", got.State)
	}
	if got := h.refusals(r.ID); len(got) != 0 {
		t.Errorf("refusals on the request = %v; the channel refusal names no request", got)
	}
	h.slash(responder, socChannel, "cancel "+r.ID+" false alarm")
	h.card("withdrawn")
}
