package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

// BenchmarkApproveBehindLookups measures how long an Approve click waits
// for its isolation to be submitted when it comes right after 120 /mde
// machine look-ups, with Defender's default machines budget (100/min,
// 1,500/h): from one person (the case), and from 120 people. It
// reports the wait and waits for every look-up to be answered. Run it
// with -benchtime=1x: each round starts a fresh bot and budget.
func BenchmarkApproveBehindLookups(b *testing.B) {
	for _, tc := range []struct {
		name  string
		users int
	}{{"one-user", 1}, {"120-users", 120}} {
		b.Run(tc.name, func(b *testing.B) {
			var waits []time.Duration
			for b.Loop() {
				waits = append(waits, approveBehindLookups(b, tc.users))
			}
			var sum time.Duration
			for _, w := range waits {
				sum += w
			}
			b.ReportMetric(float64(sum.Milliseconds())/float64(len(waits)), "approve-wait-ms")
		})
	}
}

func approveBehindLookups(b *testing.B, users int) time.Duration {
	h := newHarness(b, func(c *harnessConfig) {
		c.defOpts = []defender.Option{defender.WithRateLimit(defender.FamilyMachines, defender.DefaultBudget(defender.FamilyMachines))}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lookers := []string{responder}
	if users > 1 {
		lookers = lookupUsers(h.slack, users)
	}
	h.slash(responder, socChannel, "isolate ws-0042 ransomware note on share")
	card := h.card("awaiting approval")
	for i := range 120 {
		if _, err := h.slack.SlashCommand(ctx, lookers[i%len(lookers)], socChannel, "/mde", "machine ws-0042"); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	h.click(approver1, card, blocks.ActionApprove)
	if _, err := h.slack.WaitMessage(ctx, func(m slacktest.Message) bool {
		return m.ThreadTS == card.TS && strings.Contains(m.Text, "Submitted to Defender")
	}); err != nil {
		b.Fatal(err)
	}
	wait := time.Since(start)
	// Let every look-up be answered before the bot stops.
	for answered := 0; answered < 120; {
		answered = 0
		for _, m := range h.slack.AllMessages() {
			if m.Ephemeral && m.Channel == socChannel && (strings.Contains(m.Text+string(m.Blocks), ws42) || strings.Contains(strings.ToLower(m.Text), "try again")) {
				answered++
			}
		}
		select {
		case <-ctx.Done():
			b.Fatalf("only %d of 120 look-ups answered", answered)
		case <-time.After(100 * time.Millisecond):
		}
	}
	b.Logf("%s: approve submitted %v after its click", fmt.Sprint(users, " user(s)"), wait)
	return wait
}
