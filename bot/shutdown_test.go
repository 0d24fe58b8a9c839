package bot

import (
	"context"
	"testing"
	"time"
)

func TestARequestExpiredWhileRunStopsHasItsCardRewrittenOnTheNextStart(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.stop()
	h.advance(11 * time.Minute)
	// The sweeper stored the expiry, and with it the card update it owes;
	// Run's context ends before the card is rewritten.
	expired, err := h.svc.Sweep(h.ctx())
	if err != nil || len(expired) != 1 {
		t.Fatalf("Sweep = %d requests, %v; want 1", len(expired), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.detachedBot().expired(ctx, expired)
	h.start()
	got := h.card("expired unapproved")
	if got.TS != card.TS {
		t.Errorf("expired card %s, want %s rewritten", got.TS, card.TS)
	}
	h.dmTo(responder, "expired")
}
