package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// The binary against a fake Slack that enforces Slack's real limits (one
// post a second in a channel): 30 actions finish together in one channel;
// mdebot is killed (SIGKILL) while at least 20 of their thread replies are
// still owed, and restarted. Every thread gets its Submitted and Succeeded
// replies exactly once, every card ends on Succeeded, and no call came
// before a Retry-After expired. About 150 posts: two and a half minutes.
func TestThirtyActionsInOneChannelUnderSlacksLimitsAreAllToldOnceAcrossASIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("two and a half minutes of Slack's real pacing")
	}
	w := newWorld(t, spec{mde: []defendertest.Option{quick}, slack: []slacktest.Option{slacktest.WithRateLimits(slacktest.SlackLimits())}})
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	c := w.start()
	w.serving(ctx, c, 1)
	// Slack also has bad moments of its own.
	w.slack.RateLimitNext("chat.postMessage", 2, 2*time.Second)
	for i := 1; i <= 30; i++ {
		n := i * 3
		if i == 14 {
			n = 42
		}
		w.command(ctx, alice, fmt.Sprintf("scan ws-%04d quick sweep", n))
	}
	count := func(want string) int {
		n := 0
		for _, m := range w.slack.Messages(channel) {
			if m.ThreadTS != "" && strings.Contains(m.Text, want) {
				n++
			}
		}
		return n
	}
	// Cards go first (someone waits for each); the first Submitted reply
	// comes after them, with 29 more and every status still owed.
	for count("Submitted to Defender") == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("no Submitted reply: %v\n%s", ctx.Err(), dump(w.slack.AllMessages()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := count("Submitted to Defender"); n > 10 {
		t.Fatalf("%d Submitted replies already posted, want at least 20 owed at the kill", n)
	}
	c.signal(syscall.SIGKILL)
	c.wait(ctx)
	before := count("Submitted to Defender")

	c2 := w.start()
	w.serving(ctx, c2, 2)
	cards := func() (all []slacktest.Message, done int) {
		for _, m := range w.slack.Messages(channel) {
			if isCard(m) {
				all = append(all, m)
				if strings.Contains(m.Text, ": succeeded") && w.replies(m, "Defender: Succeeded") > 0 {
					done++
				}
			}
		}
		return all, done
	}
	for {
		all, done := cards()
		if len(all) == 30 && done == 30 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d cards succeeded with their reply: %v\n%s", done, len(all), ctx.Err(), c2.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	all, _ := cards()
	for _, card := range all {
		if s, d := w.replies(card, "Submitted to Defender"), w.replies(card, "Defender: Succeeded"); s != 1 || d != 1 {
			t.Errorf("card %s: %d Submitted and %d Succeeded replies, want one each\n%s", card.Text, s, d, dump(w.slack.Thread(card.Channel, card.TS)))
		}
	}
	if v := w.slack.RetryAfterViolations(); len(v) != 0 {
		t.Errorf("%d calls before their Retry-After expired; first %s at %s", len(v), v[0].Method, v[0].At)
	}
	limited := w.slack.RateLimited()
	if limited["chat.postMessage"] == 0 {
		t.Errorf("no 429 answered (%v)", limited)
	}
	t.Logf("Submitted replies posted before the kill: %d of 30; 429s answered: %v", before, limited)
}
