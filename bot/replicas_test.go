package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// memInbox is an Inbox in memory, shared by the test's relays and bot
// (etcdstore's is tested on etcd in its own package and end to end).
type memInbox struct {
	mu      sync.Mutex
	claimed map[string]bool
	queue   chan []byte
}

func newMemInbox() *memInbox {
	return &memInbox{claimed: map[string]bool{}, queue: make(chan []byte, 100)}
}

func (m *memInbox) ClaimEnvelope(_ context.Context, key string, envelope []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.claimed[key] {
		return false, nil
	}
	m.claimed[key] = true
	m.queue <- envelope
	return true, nil
}

func (m *memInbox) Envelopes(ctx context.Context, handle func([]byte, func())) error {
	for {
		select {
		case env := <-m.queue:
			handle(env, func() {})
		case <-ctx.Done():
			return nil
		}
	}
}

// dyingInbox claims, then never returns: a replica that dies between
// claiming an envelope and acking it.
type dyingInbox struct {
	Inbox
	claims chan struct{}
}

func (d dyingInbox) ClaimEnvelope(ctx context.Context, key string, envelope []byte) (bool, error) {
	claimed, err := d.Inbox.ClaimEnvelope(ctx, key, envelope)
	d.claims <- struct{}{}
	<-ctx.Done()
	return claimed, err
}

// relay runs a Relay into inbox until the test ends, and waits for its
// connection (the n-th of the fake).
func (h *harness) relay(inbox Inbox, n int) {
	h.t.Helper()
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Relay(ctx, RelayOptions{Socket: socketmode.New(api), Inbox: inbox, Logger: h.logger()})
	}()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Relay = %v", err)
		}
	})
	if err := h.slack.WaitConnected(h.ctx(), n); err != nil {
		h.t.Fatalf("relay %d did not connect: %v", n, err)
	}
}

func TestEnvelopesAReplicaDiedHoldingAreHandledOnceThroughTheInbox(t *testing.T) {
	inbox := newMemInbox()
	h := newHarness(t, func(c *harnessConfig) {
		c.inbox = inbox
		c.slackOpts = append(c.slackOpts, slacktest.WithRedelivery(200*time.Millisecond))
	})
	dying := dyingInbox{Inbox: inbox, claims: make(chan struct{}, 10)}
	h.relay(dying, 1)

	// The command goes to the only connection, whose replica claims it
	// and dies before acking; Slack re-delivers it to the replica that
	// connects next, which finds it claimed, acks it and drops it.
	ctx := h.ctx()
	env, err := h.slack.SlashCommand(ctx, responder, socChannel, "/mde", "isolate ws-0042 beaconing to a known C2")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-dying.claims:
	case <-ctx.Done():
		t.Fatal("the dying replica never claimed the command")
	}
	h.relay(inbox, 2)
	ack, err := h.slack.WaitAck(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ack.EnvelopeID == env.ID {
		t.Fatal("the first delivery was acked by the replica that died holding it")
	}
	card := h.card("awaiting approval")

	// The approval: the fake spreads the click over both connections; on
	// the dead one it is never read, and is re-delivered to the live one.
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	h.card("succeeded")

	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1", n)
	}
	cards := 0
	for _, m := range h.slack.Messages(socChannel) {
		if m.ThreadTS == "" && !m.Ephemeral && strings.Contains(m.Text, "ws-0042") {
			cards++
		}
	}
	if cards != 1 {
		t.Errorf("%d cards for one command, want 1:%s", cards, h.dump())
	}
	if n := h.slack.Redeliveries(); n == 0 {
		t.Error("no envelope was re-delivered; the test proves nothing")
	}
	if !strings.Contains(h.logs.String(), "envelope already claimed by a replica; acked and dropped") {
		t.Errorf("the re-delivery was not dropped as claimed; log:\n%s", lastLines(h.logs.String(), 20))
	}
	if u := h.slack.Unacked(); len(u) != 0 {
		t.Errorf("unacked: %+v", u)
	}
}

func TestTheEnvelopeKeyIsTheSameOnEveryDeliveryOfAPayload(t *testing.T) {
	cases := []struct {
		name string
		req  socketmode.Request
		want string
	}{
		{"a command by its trigger", socketmode.Request{Type: "slash_commands", EnvelopeID: "e1", Payload: []byte(`{"trigger_id":"1.2.abc","text":"scan x"}`)}, "slash_commands/trigger_id=1.2.abc"},
		{"a click by its trigger", socketmode.Request{Type: "interactive", EnvelopeID: "e2", RetryAttempt: 1, Payload: []byte(`{"type":"block_actions","trigger_id":"9.9.z"}`)}, "interactive/trigger_id=9.9.z"},
		{"an event by its event id", socketmode.Request{Type: "events_api", EnvelopeID: "e3", Payload: []byte(`{"event_id":"Ev42","event":{"type":"app_home_opened"}}`)}, "events_api/event_id=Ev42"},
		{"anything else by its envelope", socketmode.Request{Type: "interactive", EnvelopeID: "e4", Payload: []byte(`{}`)}, "interactive/envelope_id=e4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := envelopeKey(&c.req); got != c.want {
				t.Errorf("envelopeKey = %q, want %q", got, c.want)
			}
		})
	}
}

func TestAReplicaThatNoLongerLeadsSendsNothingToMDE(t *testing.T) {
	var deposed atomic.Bool
	h := newHarness(t, func(c *harnessConfig) {
		c.stillLeads = func(context.Context) error {
			if deposed.Load() {
				return errors.New("etcdstore: this replica no longer leads")
			}
			return nil
		}
	})
	h.slash(responder, socChannel, "isolate ws-0042 beaconing to a known C2")
	card := h.card("awaiting approval")
	deposed.Store(true) // the term ends between the approval and the POST
	h.click(approver1, card, blocks.ActionApprove)
	h.until("the refused submission's log line", func() bool {
		return strings.Contains(h.logs.String(), "not sent to MDE: this replica may no longer lead")
	})
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Errorf("isolate POSTs by a replica whose term ended = %d, want 0", n)
	}
	if r := h.only(); r.State != approvals.StateApproved || r.Submitting.IsZero() {
		t.Errorf("request %s, submitting %v; want approved with its submitting step stored (for the next leader's recovery)", r.State, r.Submitting)
	}
}
