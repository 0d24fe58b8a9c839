package slacktest

import (
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// countingBot is a bot whose events are counted per connection (each
// replica holds its own).
type countingBot struct {
	mu   sync.Mutex
	seen []socketmode.Event
}

func (c *countingBot) handle(ack bool) func(*socketmode.Client, socketmode.Event) {
	return func(cl *socketmode.Client, evt socketmode.Event) {
		c.mu.Lock()
		c.seen = append(c.seen, evt)
		c.mu.Unlock()
		if ack {
			_ = cl.Ack(*evt.Request)
		}
	}
}

func (c *countingBot) events() []socketmode.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]socketmode.Event(nil), c.seen...)
}

func TestEnvelopesAreSpreadOverEveryOpenConnection(t *testing.T) {
	s := newTestServer(t)
	var replicas [4]countingBot
	for i := range 3 {
		connectedBot(t, s, replicas[i].handle(true))
	}
	fourth := startBot(t, s, AppToken, replicas[3].handle(true))
	if hello := fourth.waitEvent(t, socketmode.EventTypeHello); hello.Request.NumConnections != 4 {
		t.Errorf("the fourth connection's hello says num_connections %d, want 4", hello.Request.NumConnections)
	}
	if n := s.SocketCount(); n != 4 {
		t.Fatalf("%d sockets open, want 4", n)
	}
	ctx := testContext(t)
	for range 12 {
		env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "scan")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.WaitAck(ctx, env.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := range replicas {
		if n := len(replicas[i].events()); n != 3 {
			t.Errorf("connection %d got %d envelopes, want 3 of the 12", i, n)
		}
	}
}

func TestAnEnvelopeNotAckedInTimeIsRedeliveredToAnotherConnection(t *testing.T) {
	s := newTestServer(t, WithRedelivery(50*time.Millisecond))
	var mute, live countingBot
	connectedBot(t, s, mute.handle(false)) // receives, never acks: a replica that died
	ctx := testContext(t)
	// With one connection open, the first delivery goes to it.
	env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "isolate ws-1 why")
	if err != nil {
		t.Fatal(err)
	}
	connectedBot(t, s, live.handle(true))
	ack, err := s.WaitAck(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ack.EnvelopeID == env.ID {
		t.Fatalf("the first delivery was acked; the muted connection must not ack")
	}
	got := live.events()
	if len(got) != 1 {
		t.Fatalf("the live connection got %d envelopes, want the one re-delivery", len(got))
	}
	first, retry := mute.events()[0].Request, got[0].Request
	if retry.EnvelopeID == first.EnvelopeID || retry.RetryAttempt != 1 || retry.RetryReason != "timeout" {
		t.Errorf("re-delivery: envelope %s retry_attempt %d reason %q; want a new envelope id (first %s), attempt 1, timeout",
			retry.EnvelopeID, retry.RetryAttempt, retry.RetryReason, first.EnvelopeID)
	}
	a, b := got[0].Data.(slack.SlashCommand), mute.events()[0].Data.(slack.SlashCommand)
	if a.TriggerID != b.TriggerID || a.Text != b.Text {
		t.Errorf("the re-delivery carries another payload: %+v vs %+v", a, b)
	}
	if u := s.Unacked(); len(u) != 0 {
		t.Errorf("unacked after the re-delivery was acked: %+v", u)
	}
	if n := s.Redeliveries(); n != 1 {
		t.Errorf("%d re-deliveries, want 1", n)
	}
}

func TestRedeliveryStopsAfterThreeAttempts(t *testing.T) {
	s := newTestServer(t, WithRedelivery(20*time.Millisecond))
	var mute countingBot
	connectedBot(t, s, mute.handle(false))
	ctx := testContext(t)
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "nobody acks"); err != nil {
		t.Fatal(err)
	}
	for len(mute.events()) < 4 {
		select {
		case <-ctx.Done():
			t.Fatalf("only %d deliveries", len(mute.events()))
		case <-time.After(10 * time.Millisecond):
		}
	}
	u := s.Unacked()
	if len(u) != 1 || u[0].RetryAttempt != 3 {
		t.Fatalf("unacked = %+v, want the third retry alone", u)
	}
	for i, evt := range mute.events() {
		if evt.Request.RetryAttempt != i {
			t.Errorf("delivery %d has retry_attempt %d", i, evt.Request.RetryAttempt)
		}
	}
}
