package bot

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

func TestAnAmbiguousNameOffersAPickerThatFinishesTheCommand(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0100 full beaconing to <https://evil.example|evil>")
	picker := h.ephemeral(responder, "2 machines match")
	if h.posted() != 0 {
		t.Fatalf("something was posted in the channel before a machine was picked:\n%s", h.dump())
	}
	h.click(responder, picker, blocks.PickActionID(0))
	card := h.card("awaiting approval")
	r := h.only()
	if r.Params.MachineName != "ws-0100.contoso.local" || r.Reason != "beaconing to <https://evil.example|evil>" {
		t.Errorf("request on %q with reason %q", r.Params.MachineName, r.Reason)
	}
	if strings.Contains(shown(card), "<https://evil.example") {
		t.Errorf("the reason's link is live on the card: %s", shown(card))
	}
}

func TestAPickByAnotherUserIsCheckedForThatUser(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.policy.Requesters = []string{responder} })
	h.slash(responder, socChannel, "scan ws-0100 quick check")
	picker := h.ephemeral(responder, "2 machines match")
	// The picker is the responder's; its value replayed by another user is
	// re-parsed and re-checked as that user.
	var value string
	for _, m := range h.slack.AllMessages() {
		if m.TS == picker.TS {
			value = buttonValue(t, m, blocks.PickActionID(0))
		}
	}
	h.runAs(outsider, value)
	h.ephemeral(outsider, "not allowed to request")
	if h.posted() != 0 {
		t.Errorf("an outsider's pick posted a card:\n%s", h.dump())
	}
}

func TestAnUnknownMachineIsSaidSo(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-9999 full beaconing")
	h.ephemeral(responder, "No machine in Defender matches")
	h.slash(responder, socChannel, "machine 10.99.99.99")
	h.ephemeral(responder, "No machine in Defender matches")
	if h.posted() != 0 || len(h.mde.Actions()) != 0 {
		t.Errorf("an unknown machine led to posts or actions:\n%s", h.dump())
	}
}

func TestBadInputGetsAnEphemeralUsageAndRunsNothing(t *testing.T) {
	for _, tc := range []struct {
		name, user, channel, text, want string
	}{
		{"an unknown verb", responder, socChannel, "isolat ws-0042 x", "Usage"},
		{"a missing reason", responder, socChannel, "isolate ws-0042", "Usage"},
		{"a bad hash", responder, socChannel, "block 1234 bad file", "Usage"},
		{"a SHA-256 for quarantine", responder, socChannel, "quarantine ws-0042 " + sha256Hash + " dropper", "Usage"},
		{"text over 4,000 characters", responder, socChannel, "scan ws-0042 " + strings.Repeat("x", 4001), "Usage"},
		{"a disallowed channel", responder, elsewhere, "scan ws-0042 quick check", "not accepted in this channel"},
		{"a requester not allowed", outsider, socChannel, "scan ws-0042 quick check", "not allowed to request"},
		{"a quote in a machine name", responder, socChannel, "isolate ws'0042 full x", "Usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *harnessConfig) { c.policy.Requesters = []string{responder} })
			h.slash(tc.user, tc.channel, tc.text)
			m := h.ephemeral(tc.user, tc.want)
			if !strings.Contains(shown(m), "/mde") {
				t.Errorf("the reply has no usage line: %s", shown(m))
			}
			if h.posted() != 0 {
				t.Errorf("something was posted:\n%s", h.dump())
			}
			for _, c := range h.mde.Calls() {
				if strings.HasPrefix(c.Route, "actions.") {
					t.Errorf("MDE action call %s", c.Route)
				}
			}
		})
	}
}

func TestHostileTextStaysInert(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "machine ws-0042.contoso.local' or 1 eq 1 or name eq '")
	h.ephemeral(responder, "Usage")
	h.slash(responder, socChannel, "restrict ws-0042 <!channel> <@U0APPR1> & *now* `x`")
	card := h.card("awaiting approval")
	s := shown(card)
	if strings.Contains(s, "<!channel>") || strings.Contains(s, "<@U0APPR1>") {
		t.Errorf("user text formed a mention on the card: %s", s)
	}
	if !strings.Contains(s, "&lt;!channel&gt;") {
		t.Errorf("the reason is missing or not escaped: %s", s)
	}
}

func TestHelpMachineStatusAndHistoryAnswerEphemerally(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "help")
	h.ephemeral(responder, "/mde isolate")
	h.slash(responder, socChannel, "machine ws-0042")
	h.ephemeral(responder, ws42)
	h.slash(responder, socChannel, "scan ws-0042 quick routine")
	card := h.card("requested by")
	h.reply(card, "Succeeded")
	r := h.only()
	h.slash(approver1, socChannel, "status "+r.ID)
	h.ephemeral(approver1, "succeeded")
	h.slash(approver1, socChannel, "status "+r.ActionID)
	h.ephemeral(approver1, "succeeded")
	h.slash(approver1, socChannel, "history ws-0042 --since 7d")
	h.ephemeral(approver1, "history: 1 request")
	h.slash(approver2, socChannel, "history <@"+outsider+">")
	h.ephemeral(approver2, "history: 0 requests")
}

func TestCancelCommandWithdrawsAWaitingRequest(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.card("awaiting approval")
	r := h.only()
	h.slash(outsider, socChannel, "cancel "+r.ID)
	h.ephemeral(outsider, "Only the requester or an approver")
	h.slash(responder, socChannel, "cancel "+r.ID+" false alarm")
	h.card("withdrawn")
}

// buttonValue is the value of the button actionID in m.
func buttonValue(t *testing.T, m slacktest.Message, actionID string) string {
	t.Helper()
	s := shown(m)
	i := strings.Index(s, `"action_id":"`+actionID+`"`)
	if i < 0 {
		t.Fatalf("no %s button in %s", actionID, s)
	}
	rest := s[i:]
	j := strings.Index(rest, `"value":"`)
	rest = rest[j+len(`"value":"`):]
	return rest[:strings.Index(rest, `"`)]
}

// runAs sends a pick with value as user, as if they clicked it.
func (h *harness) runAs(user, value string) {
	h.t.Helper()
	// Any message with a pick button will do: post one for user.
	msg := h.staleCopyFor(user, value)
	h.click(user, msg, blocks.PickActionID(0))
}

func TestHistoryPagesWithTheMoreButton(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx()
	for i := range blocks.HistoryPageSize + 5 {
		res, err := h.svc.Open(ctx, approvals.Draft{Kind: approvals.KindIsolate, Requester: responder, Channel: socChannel,
			Reason: "drill " + strconv.Itoa(i), Params: approvals.Params{Machine: ws42, MachineName: "ws-0042.contoso.local", Isolation: defender.IsolationFull}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Withdraw(ctx, res.Request.ID, responder); err != nil {
			t.Fatal(err)
		}
	}
	h.slash(approver1, socChannel, "history --kind isolate --outcome cancelled")
	h.ephemeral(approver1, "history: 0 requests")
	h.slash(approver2, socChannel, "history ws-0042")
	first := h.ephemeral(approver2, "mde_history_more")
	h.click(approver2, first, blocks.ActionHistoryMore)
	h.wait("second page", func(m slacktest.Message) bool {
		return m.Ephemeral && m.VisibleTo == approver2 && m.TS != first.TS && strings.Contains(m.Text, "history: 5 requests")
	})
}

func TestStatusOfAnActionStartedOutsideMdebotIsReadFromDefender(t *testing.T) {
	h := newHarness(t)
	sub, err := h.def.Actions.RunAntivirusScan(h.ctx(), ws42, "Quick", "started in the portal")
	if err != nil {
		t.Fatal(err)
	}
	h.slash(responder, socChannel, "status "+sub.Action.ID)
	h.ephemeral(responder, "not requested through mdebot")
}

func TestTheRequesterWithdrawsWithTheCardButton(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "offboard ws-0042 decommissioned")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	h.wait("one approval of two on the card", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 of 2")
	})
	h.click(responder, card, blocks.ActionWithdraw)
	h.card("withdrawn")
	if n := h.mde.CallCount("actions.offboard"); n != 0 {
		t.Errorf("offboard POSTs = %d, want 0", n)
	}
}

func TestAMachineIsFoundByItsLastIPAddress(t *testing.T) {
	h := newHarness(t)
	var ip string
	for _, m := range h.mde.Machines() {
		if m.ID == ws42 {
			ip = m.LastIPAddress
		}
	}
	if ip == "" {
		t.Fatal("ws-0042 has no IP in the fake")
	}
	h.slash(responder, socChannel, "machine "+ip)
	h.ephemeral(responder, ws42)
}

func TestHistoryIsForAuditorsOnly(t *testing.T) {
	h := newHarness(t) // no auditors configured: the approvers
	h.slash(approver1, socChannel, "history")
	h.ephemeral(approver1, "history: 0 requests")
	h.slash(responder, socChannel, "history")
	h.ephemeral(responder, "Only auditors")
}

func TestConfiguredAuditorsReadHistoryDirectlyOrThroughAGroup(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{outsider, "S0AUDIT"} })
	h.slack.SetGroupMembers("S0AUDIT", responder)
	h.slash(outsider, socChannel, "history")
	h.ephemeral(outsider, "history: 0 requests")
	h.slash(responder, socChannel, "history")
	h.ephemeral(responder, "history: 0 requests")
	h.slash(approver1, socChannel, "history")
	h.ephemeral(approver1, "Only auditors")
}

func TestAReplyWhereTheBotCannotPostGoesThroughTheResponseURL(t *testing.T) {
	h := newHarness(t)
	h.slack.FailNext("chat.postEphemeral", 1, "not_in_channel") // as in a channel the bot is not in
	h.slash(responder, socChannel, "help")
	h.ephemeral(responder, "/mde isolate")
	if n := h.slack.CallCount("response_url"); n != 1 {
		t.Errorf("response_url calls = %d, want 1", n)
	}
}
