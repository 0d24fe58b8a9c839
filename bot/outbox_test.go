package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// scaledLimits is Slack's limits twenty times faster, for the fake and the
// bot.
func scaledLimits(c *harnessConfig) {
	l := slacktest.SlackLimits().Scaled(20)
	c.slackOpts = append(c.slackOpts, slacktest.WithRateLimits(l))
	c.slackLimits = SlackLimits{
		PostEvery: l.PostEvery,
		Every:     map[string]time.Duration{"chat.update": l.Window / 50, "conversations.open": l.Window / 50, "views.publish": l.Window / 100, "chat.postEphemeral": l.Window / 100},
	}
}

// workstations are the fake MDE's 30 workstations' short names.
func workstations() []string {
	var ws []string
	for i := 1; i <= 30; i++ {
		n := i * 3
		if i == 14 {
			n = 42
		}
		ws = append(ws, fmt.Sprintf("ws-%04d", n))
	}
	return ws
}

// postThread owes m in r's thread by itself, in a transaction of its own
// (every reply the bot owes is written with the change that causes it;
// the tests use this to fill the outbox).
func (b *Bot) postThread(ctx context.Context, r *approvals.Request, m blocks.Message) {
	b.enqueue(ctx, delivery(kindReply, postLane(r.Channel), "", r.ID, payload{}.withMessage(m), b.now()))
}

// cardOf finds the card of r, where the store says it is.
func (h *harness) cardOf(r *approvals.Request) (slacktest.Message, bool) {
	if r.Card.TS == "" {
		return slacktest.Message{}, false
	}
	return h.slack.Message(slacktest.MessageRef{Channel: r.Card.Channel, TS: r.Card.TS})
}

func TestThirtyActionsInOneChannelFinishUnderSlacksLimitsWithEveryReplyOnce(t *testing.T) {
	h := newHarness(t, scaledLimits)
	for i, ws := range workstations() {
		if i == 10 {
			// Slack also has bad moments of its own.
			h.slack.RateLimitNext("chat.postMessage", 3, time.Second)
		}
		h.slash(responder, socChannel, "scan "+ws+" quick sweep")
	}
	// Every request ends Succeeded and its card says so: about 150 posts
	// in one channel, 7.5 s at the scaled limit.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	for {
		page, err := h.db.History(ctx, approvals.HistoryQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range page.Requests {
			if c, ok := h.cardOf(r); ok && r.State == approvals.StateSucceeded && strings.Contains(c.Text, ": succeeded") {
				done++
			}
		}
		if len(page.Requests) == 30 && done == 30 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d requests succeeded with their card; messages:\n%s\nlog:\n%s", done, len(page.Requests), h.dump(), lastLines(h.logs.String(), 30))
		case <-time.After(50 * time.Millisecond):
		}
	}
	h.drained()
	page, _ := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 100})
	for _, r := range page.Requests {
		card, _ := h.cardOf(r)
		var succeeded, submitted int
		order := []string{}
		for _, m := range h.slack.Thread(socChannel, card.TS) {
			switch {
			case strings.Contains(m.Text, "Defender: Succeeded"):
				succeeded++
				order = append(order, "succeeded")
			case strings.Contains(m.Text, "Submitted to Defender"):
				submitted++
				order = append(order, "submitted")
			}
		}
		if succeeded != 1 || submitted != 1 || order[0] != "submitted" {
			t.Errorf("%s: thread has %d Succeeded and %d Submitted replies in order %v; want one each, Submitted first", r.ID, succeeded, submitted, order)
		}
		if !strings.Contains(card.Text, ": succeeded") {
			t.Errorf("%s: card ends on %q", r.ID, card.Text)
		}
	}
	if v := h.slack.RetryAfterViolations(); len(v) != 0 {
		t.Errorf("%d calls before their Retry-After expired, first %s at %s", len(v), v[0].Method, v[0].At)
	}
	limited := h.slack.RateLimited()
	if limited["chat.postMessage"] == 0 {
		t.Errorf("the fake answered no 429 (%v): the test did not exercise Retry-After", limited)
	}
	t.Logf("429s answered: %v", limited)
}

func TestRepliesPendingWhenTheBotStopsAreDeliveredOnceAfterARestart(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	// Slack refuses every post for now: what the bot owes stays pending.
	h.slack.RateLimitNext("chat.postMessage", 1_000_000, time.Second)
	h.mu.Lock()
	b := h.bot
	h.mu.Unlock()
	for i := range 20 {
		b.postThread(h.ctx(), r, blocks.RenderReply(fmt.Sprintf("pending reply %02d", i)))
	}
	h.until("a 429 answered", func() bool { return h.slack.RateLimited()["chat.postMessage"] > 0 })
	h.stop()
	ds, err := h.db.Pending(h.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 20 {
		t.Fatalf("%d deliveries pending after the stop, want 20", len(ds))
	}
	h.slack.RateLimitNext("chat.postMessage", 0, time.Second)
	h.start()
	h.drained()
	var got []string
	for _, m := range h.slack.Thread(socChannel, card.TS) {
		if strings.HasPrefix(m.Text, "pending reply") {
			got = append(got, m.Text)
		}
	}
	if len(got) != 20 {
		t.Fatalf("%d pending replies delivered, want 20: %v", len(got), got)
	}
	for i, text := range got {
		if want := fmt.Sprintf("pending reply %02d", i); text != want {
			t.Errorf("reply %d is %q, want %q (in order, each once)", i, text, want)
		}
	}
}

func TestARefusedPostTellsTheRequesterByDMWhatToDo(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.slack.RemoveBot(socChannel)
	h.click(approver1, card, blocks.ActionApprove)
	dm := h.dmTo(responder, "Invite @mdebot to <#"+socChannel+">")
	if !strings.Contains(dm.Text, h.only().ID) {
		t.Errorf("the DM does not name the request: %s", dm.Text)
	}
	h.dmTo(responder, "finished")
	h.drained()
	if n := h.dmsTo(responder, "Invite @mdebot"); n != 1 {
		t.Errorf("%d DMs saying what to do, want 1 for all the refused replies", n)
	}
	if !strings.Contains(h.logs.String(), `"code":"not_in_channel"`) {
		t.Error("the refusal was not logged with Slack's code")
	}
}

// until waits until cond holds, polling.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	ctx := h.ctx()
	for !cond() {
		select {
		case <-ctx.Done():
			h.t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestATransientSlackFailureIsRetriedAndTheReplyPostedOnce(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.slack.FailNextHTTP("chat.postMessage", 2, http.StatusServiceUnavailable)
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	h.reply(card, "Defender: Succeeded")
	h.drained()
	n := 0
	for _, m := range h.slack.Thread(socChannel, card.TS) {
		if strings.Contains(m.Text, "Submitted to Defender") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Submitted replies, want 1", n)
	}
}

// BenchmarkDeliveringAHundredRepliesInOneChannel measures how long the
// outbox takes to deliver N=100 replies in one channel against the fake
// enforcing Slack's per-channel limit, and reports it against the floor
// that limit allows ((N-1) intervals after the first post): floor_ratio
// 1.0 is as fast as Slack lets anyone go. post_every=1s is Slack's real
// limit (100 s an iteration); post_every=50ms the same twenty times faster.
func BenchmarkDeliveringAHundredRepliesInOneChannel(b *testing.B) {
	for _, scale := range []float64{1, 20} {
		l := slacktest.SlackLimits().Scaled(scale)
		b.Run("post_every="+l.PostEvery.String(), func(b *testing.B) {
			h := newHarness(b, func(c *harnessConfig) {
				c.slackOpts = append(c.slackOpts, slacktest.WithRateLimits(l))
				c.slackLimits = SlackLimits{PostEvery: l.PostEvery, Every: map[string]time.Duration{"chat.update": l.Window / 50, "conversations.open": l.Window / 50}}
			})
			h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
			h.card("awaiting approval")
			r := h.only()
			h.drained()
			h.mu.Lock()
			bot := h.bot
			h.mu.Unlock()
			const n = 100
			var total time.Duration
			for b.Loop() {
				// Start after the channel's burst allowance is spent and the
				// bot's own spacing is reset, so each run sees the floor.
				time.Sleep(4 * l.PostEvery)
				start := time.Now()
				for i := range n {
					bot.postThread(h.ctx(), r, blocks.RenderReply(fmt.Sprintf("final %03d", i)))
				}
				bot.out.poke()
				h.drainedWithin(time.Duration(2*n) * l.PostEvery)
				total += time.Since(start)
			}
			floor := time.Duration(n-1) * l.PostEvery
			b.ReportMetric(float64(total)/float64(b.N)/float64(floor), "floor_ratio")
			b.ReportMetric(float64(total)/float64(b.N)/1e9, "s/100replies")
		})
	}
}

// countingSlackObserver counts failed deliveries by code.
type countingSlackObserver struct {
	nopSlackObserver
	mu     sync.Mutex
	failed map[string]int
}

func (o *countingSlackObserver) Failed(kind, code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed[kind+"/"+code]++
}

func TestAReplyWhoseCallTimedOutAfterSlackTookItIsNotPostedAgain(t *testing.T) {
	obs := &countingSlackObserver{failed: map[string]int{}}
	h := newHarness(t, func(c *harnessConfig) {
		c.slackHTTP = &http.Client{Timeout: 300 * time.Millisecond}
		c.slackObserver = obs
	})
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	// The approvers' DM copies are posted first, so the slow post is one
	// the outbox owes.
	h.until("the approvers' DM copies", func() bool { return h.dmsTo(approver1, "") > 0 && h.dmsTo(approver2, "") > 0 })
	h.slack.SlowNext("chat.postMessage", 1, 2*time.Second)
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Defender: Succeeded")
	h.card("succeeded")
	h.drained()
	n := 0
	for _, m := range h.slack.Thread(socChannel, card.TS) {
		if strings.Contains(m.Text, "Submitted to Defender") {
			n++
		}
	}
	// The slow post is the Submitted reply or the approval DM, whichever
	// came first: Slack took it, and it is not posted again.
	if n != 1 || h.dmsTo(responder, "was approved") != 1 {
		t.Errorf("%d Submitted replies and %d approval DMs, want one each", n, h.dmsTo(responder, "was approved"))
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.failed["reply/ambiguous"]+obs.failed["notice/ambiguous"] != 1 {
		t.Errorf("failures counted: %v, want one ambiguous post", obs.failed)
	}
}

func TestACardSlackRefusedForAWhileIsPostedLateAndItsRequestWorks(t *testing.T) {
	h := newHarness(t)
	// The command's own tries (urgentAttempts) fail, and the outbox's
	// first two.
	h.slack.FailNextHTTP("chat.postMessage", urgentAttempts+2, http.StatusServiceUnavailable)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.until("the outbox's log of the late card", func() bool { return strings.Contains(h.logs.String(), "card posted late") })
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	h.reply(card, "Defender: Succeeded")
	h.card("succeeded")
	top := 0
	for _, m := range h.slack.Messages(socChannel) {
		if m.ThreadTS == "" && !m.Ephemeral {
			top++
		}
	}
	if top != 1 {
		t.Errorf("%d top-level messages, want the one card:\n%s", top, h.dump())
	}
}

func TestTheSubmittedReplyAndTheCancelOfferAreOwedWithTheSubmissionItself(t *testing.T) {
	h := newHarness(t)
	b := h.detachedBot()
	before := &approvals.Request{ID: "R-1", Kind: approvals.KindIsolate, Channel: socChannel, State: approvals.StateApproved}
	after := before.Clone()
	after.State, after.ActionID = approvals.StateSubmitted, "b0ffba3a-8bb4-4a5a-8e4c-53b7d8d5b2b4"
	var submitted, offer bool
	for _, d := range b.announce(before, after) {
		var p payload
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			t.Fatal(err)
		}
		submitted = submitted || d.Kind == kindReply && p.Submitted && p.Snapshot != nil && p.Snapshot.ActionID == after.ActionID
		offer = offer || d.Kind == kindReply && p.CancelOffer
	}
	if !submitted || !offer {
		t.Errorf("the submission owes: Submitted reply %v, Cancel offer %v; want both, in its own transaction", submitted, offer)
	}
	// A block is applied at once: no Cancel offer, no Submitted reply.
	ind := before.Clone()
	ind.Kind = approvals.KindBlock
	indAfter := ind.Clone()
	indAfter.State = approvals.StateSubmitted
	for _, d := range b.announce(ind, indAfter) {
		var p payload
		_ = json.Unmarshal(d.Payload, &p)
		if p.Submitted || p.CancelOffer {
			t.Errorf("a block indicator owes %+v", p)
		}
	}
}
