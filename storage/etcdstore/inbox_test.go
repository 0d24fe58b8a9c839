package etcdstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// collector gathers what Envelopes hands over, keeping done for later.
type collector struct {
	mu    sync.Mutex
	got   []string
	dones []func()
	more  chan struct{}
}

func newCollector() *collector { return &collector{more: make(chan struct{}, 100)} }

func (c *collector) handle(env []byte, done func()) {
	c.mu.Lock()
	c.got = append(c.got, string(env))
	c.dones = append(c.dones, done)
	c.mu.Unlock()
	c.more <- struct{}{}
}

func (c *collector) wait(t *testing.T, ctx context.Context, n int) []string {
	t.Helper()
	for {
		c.mu.Lock()
		got := append([]string(nil), c.got...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-c.more:
		case <-ctx.Done():
			t.Fatalf("got %d envelopes, want %d: %q", len(got), n, got)
		}
	}
}

func TestAnEnvelopeClaimedByThreeReplicasIsHandledOnce(t *testing.T) {
	prefix := freshPrefix()
	replicas := []interface {
		ClaimEnvelope(context.Context, string, []byte) (bool, error)
	}{open(t, prefix, nil), open(t, prefix, nil), open(t, prefix, nil)}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	wins := make([]int, 20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 20 {
		for _, r := range replicas {
			wg.Go(func() {
				claimed, err := r.ClaimEnvelope(ctx, fmt.Sprintf("slash_commands/trigger_id=%d", i), []byte(fmt.Sprintf("envelope %d", i)))
				if err != nil {
					t.Error(err)
				}
				if claimed {
					mu.Lock()
					wins[i]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for i, n := range wins {
		if n != 1 {
			t.Errorf("envelope %d claimed %d times, want once", i, n)
		}
	}

	leader := open(t, prefix, nil)
	c := newCollector()
	lctx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- leader.Envelopes(lctx, c.handle) }()
	got := c.wait(t, ctx, 20)
	if len(got) != 20 {
		t.Errorf("the leader got %d envelopes, want 20: %q", len(got), got)
	}
	// Handled: done deletes them; a later claim of a new key still arrives.
	c.mu.Lock()
	for _, d := range c.dones {
		d()
	}
	c.mu.Unlock()
	if _, err := replicas[0].ClaimEnvelope(ctx, "events_api/event_id=Ev1", []byte("late")); err != nil {
		t.Fatal(err)
	}
	if got := c.wait(t, ctx, 21); got[20] != "late" {
		t.Errorf("the envelope claimed while leading: %q", got[20])
	}
	stop()
	if err := <-errc; err != nil {
		t.Errorf("Envelopes: %v", err)
	}

	// A new leader finds only what was not done: the late envelope.
	next := newCollector()
	nctx, nstop := context.WithCancel(ctx)
	defer nstop()
	go func() { _ = open(t, prefix, nil).Envelopes(nctx, next.handle) }()
	if got := next.wait(t, ctx, 1); len(got) != 1 || got[0] != "late" {
		t.Errorf("the next leader got %q, want only the envelope left undone", got)
	}
	// And a re-delivery of a handled envelope is still refused.
	if claimed, err := replicas[2].ClaimEnvelope(ctx, "slash_commands/trigger_id=3", []byte("again")); err != nil || claimed {
		t.Errorf("re-claim of a handled envelope: claimed %v, %v", claimed, err)
	}
}

// BenchmarkClaimEnvelope measures what a replica adds before each ack: one
// conditional etcd transaction.
func BenchmarkClaimEnvelope(b *testing.B) {
	s := open(b, freshPrefix(), nil)
	env := []byte(`{"type":"slash_commands","envelope_id":"e","payload":{"trigger_id":"t","text":"isolate ws-0042 why"}}`)
	i := 0
	for b.Loop() {
		i++
		if _, err := s.ClaimEnvelope(b.Context(), fmt.Sprintf("slash_commands/trigger_id=%d", i), env); err != nil {
			b.Fatal(err)
		}
	}
}
