package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

func TestAScanNeedsNoApprovalAndItsStatusesAppearInTheThread(t *testing.T) {
	// InProgress lasts a second: a poll delayed by a busy machine still
	// sees it (each status is told only if a poll reads it).
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = []defendertest.Option{defendertest.WithProgress(50*time.Millisecond, time.Second), defendertest.WithRateLimits(0, 0)}
	})
	h.slash(responder, socChannel, "scan ws-0042 quick suspicious process")
	card := h.card("requested by")
	h.reply(card, "Submitted to Defender")
	h.reply(card, "InProgress")
	h.reply(card, "Succeeded")
	h.card("succeeded")
	r := h.only()
	if r.State != approvals.StateSucceeded || r.Card.TS != card.TS {
		t.Errorf("request = %s on card %s, want succeeded on %s", r.State, r.Card.TS, card.TS)
	}
	if n := h.mde.CallCount("actions.runAntiVirusScan"); n != 1 {
		t.Errorf("scan POSTs = %d, want 1", n)
	}
	a := h.mde.Actions()[0]
	if !strings.Contains(a.RequestorComment, r.ID) || !strings.Contains(a.RequestorComment, responder) {
		t.Errorf("MDE comment %q does not name the request and requester", a.RequestorComment)
	}
	_ = slacktest.BotUserID
}
