package bot

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

// postForged posts m in the SOC channel as if mdebot had: its buttons carry
// whatever values m was rendered with.
func (h *harness) postForged(m blocks.Message) slacktest.Message {
	h.t.Helper()
	c := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()))
	_, ts, err := c.PostMessageContext(h.ctx(), socChannel, msgOptions(m)...)
	if err != nil {
		h.t.Fatal(err)
	}
	msg, ok := h.slack.Message(slacktest.MessageRef{Channel: socChannel, TS: ts})
	if !ok {
		h.t.Fatal("the forged message was not stored")
	}
	return msg
}

func TestEveryAttemptOnARequestThatDoesNotExistIsAuditedAsRefused(t *testing.T) {
	const ghost = "R-GHOST00000"
	ghostView := blocks.RequestView{ID: ghost, Kind: approvals.KindCollect, State: approvals.StateAwaiting, RequiredApprovals: 1,
		Machine: blocks.MachineView{ID: ws42, Name: "ws-0042"}, Requester: responder, Reason: "x",
		Created: time.Now(), Expires: time.Now().Add(time.Hour), ActionID: "a1", MDEStatus: defender.StatusInProgress}
	for _, tc := range []struct {
		name string
		try  func(h *harness)
	}{
		{"a Deny click", func(h *harness) {
			h.click(approver1, h.postForged(blocks.RenderRequestCard(ghostView, time.Now())), blocks.ActionDeny)
		}},
		{"a Cancel click", func(h *harness) {
			h.click(approver1, h.postForged(blocks.RenderCancelReply(ghostView)), blocks.ActionCancel)
		}},
		{"a download link click", func(h *harness) {
			v := ghostView
			v.State, v.MDEStatus = approvals.StateSucceeded, defender.StatusSucceeded
			h.click(approver1, h.postForged(blocks.RenderPackageReady(v)), blocks.ActionPackageLink)
		}},
		{"/mde cancel", func(h *harness) { h.slash(approver1, socChannel, "cancel "+ghost+" oops") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.try(h)
			h.ephemeral(approver1, "No such request")
			if got := h.refusals(ghost); len(got) != 1 {
				t.Errorf("refusals of %s = %v, want one", ghost, got)
			}
		})
	}
}

func TestAHistoryReadBySomeoneWhoIsNotAnAuditorIsAuditedAsRefused(t *testing.T) {
	h := newHarness(t)
	h.slash(outsider, socChannel, "history")
	h.ephemeral(outsider, "Only auditors")
	recs, err := h.db.AuditLog(h.ctx(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var refused int
	for _, r := range recs {
		if r.Type == approvals.EventRefused && r.Actor == outsider && r.Code == approvals.CodeNotPermitted {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d refusals of %s audited, want 1: %+v", refused, outsider, recs)
	}
}

func TestARequestRefusedForItsChannelOrRequesterIsAudited(t *testing.T) {
	for _, tc := range []struct {
		name, user, channel string
	}{
		{"a disallowed channel", responder, elsewhere},
		{"a requester not allowed", outsider, socChannel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *harnessConfig) { c.policy.Requesters = []string{responder} })
			h.slash(tc.user, tc.channel, "isolate ws-0042 full check")
			h.ephemeral(tc.user, "/mde")
			recs, err := h.db.AuditLog(h.ctx(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Type != approvals.EventRefused || recs[0].Actor != tc.user ||
				recs[0].Code != approvals.CodeNotPermitted || recs[0].Kind != approvals.KindIsolate {
				t.Errorf("audit log = %+v, want one not_permitted refusal of %s's isolate", recs, tc.user)
			}
		})
	}
}

func TestAnApproveClickWithAMalformedValueIsRefusedAuditedAndExplained(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.card("awaiting approval")
	r := h.only()
	v := requestView(r, blocks.MachineView{})
	v.Fingerprint = "" // the button's value is the request id and a bare separator
	h.click(approver1, h.postForged(blocks.RenderRequestCard(v, time.Now())), blocks.ActionApprove)
	h.ephemeral(approver1, "")
	if got := h.refusals(r.ID); len(got) != 1 || got[0] != approvals.CodeFingerprint {
		t.Errorf("refusals = %v, want [fingerprint]", got)
	}
	if got := h.only(); got.State != approvals.StateAwaiting || len(got.Decisions) != 0 {
		t.Errorf("request = %s %+v, want awaiting with no decision", got.State, got.Decisions)
	}
}
