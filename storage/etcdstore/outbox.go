package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

// The outbox's key families: the deliveries by sequence, the pending
// delivery of each coalescing key, and the last sequence assigned.
const (
	famOutbox     = "outbox/"
	famOutboxKeys = "outbox_keys/"
	keyOutboxSeq  = "meta/outbox_seq"
)

var _ approvals.Outbox = (*Store)(nil)

// announcing holds the Announcer of a Store (see Announce).
type announcing struct {
	mu sync.Mutex
	fn approvals.Announcer
}

// Announce implements approvals.Outbox: fn's deliveries are written in the
// transaction of every Update that writes a request.
func (s *Store) Announce(fn approvals.Announcer) {
	s.announce.mu.Lock()
	defer s.announce.mu.Unlock()
	s.announce.fn = fn
}

func (s *Store) announcer() approvals.Announcer {
	s.announce.mu.Lock()
	defer s.announce.mu.Unlock()
	return s.announce.fn
}

// Enqueue implements approvals.Outbox.
func (s *Store) Enqueue(ctx context.Context, ds ...approvals.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	if err := s.update(ctx, func(t *tx) error { return putDeliveries(t, ds) }); err != nil {
		return fmt.Errorf("etcdstore: writing %d outbox deliveries: %w", len(ds), err)
	}
	return nil
}

// putDeliveries writes ds in t, each with the next sequence number; a
// delivery with the Key of a pending one replaces it.
func putDeliveries(t *tx, ds []approvals.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	raw, _, err := t.get(keyOutboxSeq)
	if err != nil {
		return err
	}
	var seq uint64
	if len(raw) > 0 {
		if seq, err = strconv.ParseUint(string(raw), 10, 64); err != nil {
			return fmt.Errorf("etcdstore: the outbox sequence %q: %w", raw, err)
		}
	}
	batch := map[string]uint64{} // a Key written earlier in this batch → its seq
	for _, d := range ds {
		if d.Kind == "" || d.Lane == "" {
			return fmt.Errorf("etcdstore: outbox delivery without a kind or lane (%q, %q)", d.Kind, d.Lane)
		}
		seq++
		d.Seq = seq
		if d.Enqueued.IsZero() {
			d.Enqueued = time.Now()
		}
		if d.Key != "" {
			if prev, ok := batch[d.Key]; ok {
				t.del(famOutbox + seqKey(prev))
			} else {
				old, ok, err := t.get(famOutboxKeys + d.Key)
				if err != nil {
					return err
				}
				if ok {
					t.del(famOutbox + string(old))
				}
			}
			batch[d.Key] = seq
			t.put(famOutboxKeys+d.Key, []byte(seqKey(seq)))
		}
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		t.put(famOutbox+seqKey(seq), v)
	}
	t.put(keyOutboxSeq, []byte(strconv.FormatUint(seq, 10)))
	return nil
}

// Pending implements approvals.Outbox.
func (s *Store) Pending(ctx context.Context) ([]approvals.Delivery, error) {
	var ds []approvals.Delivery
	err := s.view(ctx, func(t *tx) error {
		kvs, err := t.scan(famOutbox)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var d approvals.Delivery
			if err := json.Unmarshal(kv[1], &d); err != nil {
				return fmt.Errorf("decoding an outbox delivery: %w", err)
			}
			ds = append(ds, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: reading the outbox: %w", err)
	}
	return ds, nil
}

// Claim implements approvals.Outbox.
func (s *Store) Claim(ctx context.Context, seq uint64, claimed bool) error {
	err := s.update(ctx, func(t *tx) error {
		d, ok, err := getDelivery(t, seq)
		if err != nil || !ok || d.Claimed == claimed {
			if err == nil {
				err = errRollback
			}
			return err
		}
		d.Claimed = claimed
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		t.put(famOutbox+seqKey(seq), v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("etcdstore: claiming outbox delivery %d: %w", seq, err)
	}
	return nil
}

// Done implements approvals.Outbox.
func (s *Store) Done(ctx context.Context, seq uint64) error {
	err := s.update(ctx, func(t *tx) error {
		d, ok, err := getDelivery(t, seq)
		if err != nil || !ok {
			if err == nil {
				err = errRollback
			}
			return err
		}
		t.del(famOutbox + seqKey(seq))
		if d.Key != "" {
			cur, ok, err := t.get(famOutboxKeys + d.Key)
			if err != nil {
				return err
			}
			if ok && string(cur) == seqKey(seq) {
				t.del(famOutboxKeys + d.Key)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("etcdstore: removing outbox delivery %d: %w", seq, err)
	}
	return nil
}

func getDelivery(t *tx, seq uint64) (approvals.Delivery, bool, error) {
	var d approvals.Delivery
	v, ok, err := t.get(famOutbox + seqKey(seq))
	if err != nil || !ok {
		return d, ok, err
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return d, false, fmt.Errorf("decoding outbox delivery %d: %w", seq, err)
	}
	return d, true, nil
}
