package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

func TestAnIsolationWaitingWhenThePolicyIsTightenedNeedsTheNewCount(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")

	// mdebot restarts with isolate: 2 while the request waits.
	h.stop()
	pol := h.cfg.policy
	pol.Approvals = map[approvals.Kind]int{approvals.KindIsolate: 2}
	svc, err := approvals.New(approvals.Options{Policy: pol, Store: h.db, Now: h.now,
		Groups: NewGroups(slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL())), time.Minute, nil)})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	h.start()

	h.click(approver1, card, blocks.ActionApprove)
	raised := h.wait("card saying the count was raised", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 of 2 (the policy now needs 2; 1 when requested)")
	})
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Fatalf("isolate POSTs after one approval under a policy raised to 2 = %d, want 0", n)
	}
	if r := h.only(); r.State != approvals.StateAwaiting || r.Required != 2 {
		t.Fatalf("request is %s needing %d, want awaiting 2", r.State, r.Required)
	}
	h.click(approver2, raised, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs after the second approval = %d, want 1", n)
	}
}
