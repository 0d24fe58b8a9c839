package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
)

// The outbox (approvals.Outbox): bucketOutbox maps an 8-byte big-endian
// sequence number to a delivery's JSON; bucketOutboxKeys maps a coalescing
// key to the sequence of its pending delivery. Both are created on first
// use, so databases written before them need no migration.
var (
	bucketOutbox     = []byte("outbox")
	bucketOutboxKeys = []byte("outbox_keys")
)

var _ approvals.Outbox = (*DB)(nil)

// Announce implements approvals.Outbox: fn runs inside every Update that
// writes a request, and what it returns is written in that transaction.
// Call it before the DB is used concurrently (the bot does in New).
func (db *DB) Announce(fn approvals.Announcer) {
	db.announceMu.Lock()
	defer db.announceMu.Unlock()
	db.announce = fn
}

func (db *DB) announcer() approvals.Announcer {
	db.announceMu.Lock()
	defer db.announceMu.Unlock()
	return db.announce
}

// Enqueue implements approvals.Outbox.
func (db *DB) Enqueue(ctx context.Context, ds ...approvals.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	err := db.update(ctx, func(tx *bolt.Tx) error { return putDeliveries(tx, ds) })
	if err != nil {
		return fmt.Errorf("storage: writing %d outbox deliveries: %w", len(ds), err)
	}
	return nil
}

// putDeliveries writes ds in tx, each with the next sequence number,
// replacing a pending delivery of the same Key.
func putDeliveries(tx *bolt.Tx, ds []approvals.Delivery) error {
	out, err := tx.CreateBucketIfNotExists(bucketOutbox)
	if err != nil {
		return err
	}
	keys, err := tx.CreateBucketIfNotExists(bucketOutboxKeys)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Kind == "" || d.Lane == "" {
			return fmt.Errorf("outbox delivery without a kind or lane (%q, %q)", d.Kind, d.Lane)
		}
		if len(d.Key) > maxMarkKey {
			return fmt.Errorf("outbox key of %d bytes (max %d)", len(d.Key), maxMarkKey)
		}
		seq, err := out.NextSequence()
		if err != nil {
			return err
		}
		d.Seq = seq
		if d.Enqueued.IsZero() {
			d.Enqueued = time.Now()
		}
		if d.Key != "" {
			if old := keys.Get([]byte(d.Key)); old != nil {
				if err := out.Delete(old); err != nil {
					return err
				}
			}
			if err := keys.Put([]byte(d.Key), seqKey(seq)); err != nil {
				return err
			}
		}
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := out.Put(seqKey(seq), v); err != nil {
			return err
		}
	}
	return nil
}

// Pending implements approvals.Outbox: every delivery not Done, by Seq.
func (db *DB) Pending(ctx context.Context) ([]approvals.Delivery, error) {
	var ds []approvals.Delivery
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var d approvals.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decoding an outbox delivery: %w", err)
			}
			ds = append(ds, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: reading the outbox: %w", err)
	}
	return ds, nil
}

// Claim implements approvals.Outbox; a seq not pending is no error.
func (db *DB) Claim(ctx context.Context, seq uint64, claimed bool) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out := tx.Bucket(bucketOutbox)
		if out == nil {
			return nil
		}
		v := out.Get(seqKey(seq))
		if v == nil {
			return nil
		}
		var d approvals.Delivery
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decoding outbox delivery %d: %w", seq, err)
		}
		if d.Claimed == claimed {
			return errRollback
		}
		d.Claimed = claimed
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return out.Put(seqKey(seq), v)
	})
	if err != nil {
		return fmt.Errorf("storage: claiming outbox delivery %d: %w", seq, err)
	}
	return nil
}

// Done implements approvals.Outbox; a seq not pending is no error.
func (db *DB) Done(ctx context.Context, seq uint64) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out := tx.Bucket(bucketOutbox)
		if out == nil {
			return nil
		}
		v := out.Get(seqKey(seq))
		if v == nil {
			return nil
		}
		var d approvals.Delivery
		if err := json.Unmarshal(v, &d); err == nil && d.Key != "" {
			if keys := tx.Bucket(bucketOutboxKeys); keys != nil {
				if cur := keys.Get([]byte(d.Key)); cur != nil && binary.BigEndian.Uint64(cur) == seq {
					if err := keys.Delete([]byte(d.Key)); err != nil {
						return err
					}
				}
			}
		}
		return out.Delete(seqKey(seq))
	})
	if err != nil {
		return fmt.Errorf("storage: removing outbox delivery %d: %w", seq, err)
	}
	return nil
}
