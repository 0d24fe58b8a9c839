package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/metrics"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

// resignTimeout bounds the resignation at a graceful stop.
const resignTimeout = 5 * time.Second

// errDeposed ends a leader's bot when its term ends.
var errDeposed = errors.New("this replica lost the leadership")

// lead stands by until this replica leads s's prefix (ha.*), then returns
// a context that ends with ctx or with the term, and the function to call
// once the bot has stopped: it resigns (so a standby takes over at once
// after a graceful stop) and returns an error if the term ended first,
// which exits serve with status 1 for its supervisor to restart it as a
// standby. A nil context means ctx ended while standing by.
func lead(ctx context.Context, s *etcdstore.Store, ha config.HA, leading *atomic.Bool, log *slog.Logger) (context.Context, func() error, error) {
	log.Info("standing by until this replica leads", "replica", ha.ReplicaID, "lease_ttl", ha.LeaseTTL)
	term, err := s.Lead(ctx, ha.ReplicaID, ha.LeaseTTL, func(leader string) {
		log.Info("another replica leads; standing by", "leader", leader, "replica", ha.ReplicaID)
	})
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped while standing by")
			return nil, nil, nil
		}
		return nil, nil, err
	}
	log.Info("this replica leads", "replica", ha.ReplicaID, "term", term.Rev())
	leading.Store(true)
	led, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-term.Done():
			leading.Store(false)
			cancel(errDeposed)
		case <-led.Done():
		}
	}()
	return led, func() error {
		lost := errors.Is(context.Cause(led), errDeposed)
		cancel(nil)
		leading.Store(false)
		if lost {
			log.Error("the leadership ended (lease lost); exiting so a supervisor restarts this replica as a standby", "term", term.Rev())
			return fmt.Errorf("%w (term %d): its lease expired, so another replica may lead", errDeposed, term.Rev())
		}
		rctx, stop := context.WithTimeout(context.WithoutCancel(ctx), resignTimeout)
		defer stop()
		if err := term.Resign(rctx); err != nil {
			log.Warn("resigning the leadership failed; a standby takes over when the lease expires", "error", err)
		}
		return nil
	}, nil
}

// observeLeaders counts and logs, until ctx ends, each change of leader
// this replica sees (mdebot_ha_leader_changes_total).
func observeLeaders(ctx context.Context, s *etcdstore.Store, mets *metrics.Metrics, log *slog.Logger) {
	err := s.ObserveLeaders(ctx, func(leader string, term int64) {
		mets.LeaderChanged()
		log.Info("the leader changed", "leader", leader, "term", term)
	})
	if err != nil {
		log.Warn("observing the leadership stopped; mdebot_ha_leader_changes_total no longer counts", "error", err)
	}
}
