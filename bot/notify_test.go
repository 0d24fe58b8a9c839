package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// dmTo waits for a DM to user whose text contains want.
func (h *harness) dmTo(user, want string) slacktest.Message {
	h.t.Helper()
	return h.wait("DM to "+user+" with "+want, func(m slacktest.Message) bool {
		return m.Channel == "D"+strings.TrimPrefix(user, "U") && !m.Ephemeral && strings.Contains(m.Text, want)
	})
}

// dmsTo counts the DMs to user whose text contains want.
func (h *harness) dmsTo(user, want string) int {
	n := 0
	for _, m := range h.slack.Messages("D" + strings.TrimPrefix(user, "U")) {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

func TestTheRequesterIsToldOfTheApprovalAndTheOutcomeOnce(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	approved := h.dmTo(responder, "was approved by <@"+approver1+">")
	if !strings.Contains(approved.Text, "https://") {
		t.Errorf("the DM does not link the card's thread: %s", approved.Text)
	}
	h.dmTo(responder, "finished: :large_green_circle: succeeded")
	h.card("succeeded")
	// A restart replays nothing: the DMs were delivered and removed from
	// the outbox.
	h.restart()
	h.drained()
	if a, f := h.dmsTo(responder, "was approved"), h.dmsTo(responder, "finished"); a != 1 || f != 1 {
		t.Errorf("%d approval and %d outcome DMs, want one each", a, f)
	}
}

func TestTheRequesterIsToldOfADenialWithItsReason(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "unisolate ws-0042 all clear")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionDeny)
	view, err := h.slack.WaitView(h.ctx(), func(v slacktest.View) bool { return v.CallbackID == blocks.CallbackDenyModal })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.SubmitView(h.ctx(), approver1, view.ID, map[string]map[string]string{blocks.BlockDenyReason: {blocks.ActionDenyReason: "still infected"}}); err != nil {
		t.Fatal(err)
	}
	h.dmTo(responder, "was denied by <@"+approver1+">: still infected")
}

func TestApproversAreRemindedHalfWayToExpiryOnceAndTheRequesterToldOfExpiry(t *testing.T) {
	h := newHarness(t) // approval window: 10 minutes
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.advance(5*time.Minute + time.Second)
	reminder := h.reply(card, ":alarm_clock:")
	if !strings.Contains(reminder.Text, "<!subteam^"+approverSet+">") {
		t.Errorf("the reminder does not mention the approvers: %s", reminder.Text)
	}
	// The reminder was recorded: neither a restart nor another pass repeats it.
	h.restart()
	h.advance(time.Minute)
	h.detachedBot().remind(h.ctx())
	n := 0
	for _, m := range h.slack.Thread(socChannel, card.TS) {
		if strings.Contains(m.Text, ":alarm_clock:") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}
	h.advance(5 * time.Minute)
	h.dmTo(responder, "expired")
}
