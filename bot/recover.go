package bot

import (
	"context"
	"sync"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

// maxRecoveryAttempts bounds the retries of an approved request whose
// submission outcome MDE left unknown; after them it waits for the next
// start's recovery.
const maxRecoveryAttempts = 8

// maxRecoveryDelay caps the backoff between those retries.
const maxRecoveryDelay = 10 * time.Minute

// recoveries schedules, with backoff, the recovery of approved requests
// whose submission outcome was unknown: the tracker loop runs the due ones
// (lookup-then-submit, as at start) until they leave the approved state.
type recoveries struct {
	base time.Duration // the first delay, doubled after each attempt

	mu    sync.Mutex
	items map[string]*recovery // by request id
}

// recovery is one request waiting to be recovered.
type recovery struct {
	attempts int
	due      time.Time
	running  bool
}

func newRecoveries(base time.Duration) *recoveries {
	return &recoveries{base: base, items: map[string]*recovery{}}
}

// add schedules request id's recovery, unless it already is.
func (rs *recoveries) add(id string, now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if _, ok := rs.items[id]; !ok {
		rs.items[id] = &recovery{due: now.Add(rs.base)}
	}
}

// hurry schedules request id's recovery for now, with a fresh count of
// attempts: something changed (a cancel was requested) that a recovery
// must act on soon, however long the backoff had grown.
func (rs *recoveries) hurry(id string, now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	it, ok := rs.items[id]
	if !ok {
		rs.items[id] = &recovery{due: now}
		return
	}
	it.attempts, it.due = 0, now
}

// take returns the ids whose recovery is due at now, marking them running.
func (rs *recoveries) take(now time.Time) []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var ids []string
	for id, it := range rs.items {
		if !it.running && !now.Before(it.due) {
			it.running = true
			ids = append(ids, id)
		}
	}
	return ids
}

// done records the end of an attempt at id's recovery: dropped when
// settled or out of attempts (reported by giveUp), else rescheduled with a
// doubled delay. A persistent recovery (a cancel waits on it) is never
// given up: past its attempts it goes on at the longest delay.
func (rs *recoveries) done(id string, settled, persistent bool, now time.Time) (giveUp bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	it, ok := rs.items[id]
	if !ok {
		return false
	}
	it.attempts++
	if settled || it.attempts >= maxRecoveryAttempts && !persistent {
		delete(rs.items, id)
		return !settled
	}
	d := rs.base << it.attempts
	if d <= 0 || d > maxRecoveryDelay {
		d = maxRecoveryDelay
	}
	it.due, it.running = now.Add(d), false
	return false
}

// len is how many requests wait for recovery.
func (rs *recoveries) len() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.items)
}

// recoverLater schedules the recovery of approved request r, whose
// submission outcome MDE left unknown.
func (b *Bot) recoverLater(r *approvals.Request) {
	b.recoveries.add(r.ID, b.now())
}

// recoverDue retries the due recoveries once each: the request is read
// again and, while still approved, recovered as at start (never submitted
// when MDE already has our action).
func (b *Bot) recoverDue(ctx context.Context) {
	if ctx.Err() != nil || b.recoveries.len() == 0 {
		return
	}
	// Like the tracker's, an attempt started finishes even if Run ends.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	for _, id := range b.recoveries.take(b.now()) {
		log := b.log.With("request", id)
		r, err := b.o.Approvals.Get(ctx, id)
		if err == nil && r.State == approvals.StateApproved {
			log.InfoContext(ctx, "retrying the recovery of a submission whose outcome was unknown")
			b.recoverApproved(ctx, r)
			r, err = b.o.Approvals.Get(ctx, id)
		}
		settled := err == nil && r.State != approvals.StateApproved
		// A cancel waits on this recovery: it must not stop looking.
		persistent := err == nil && r.CancelRequested != ""
		if b.recoveries.done(id, settled, persistent, b.now()) {
			log.ErrorContext(ctx, "request still approved after its recovery retries; will retry on next start", "attempts", maxRecoveryAttempts)
		}
	}
}
