package storage

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketMarks holds one-time marks (key → value): notifications sent,
// reminders posted, card permalinks. It is created on first use, so
// databases written before it need no migration.
var bucketMarks = []byte("marks")

// maxMarkKey bounds a mark's key (bbolt allows 32 KiB; marks are short).
const maxMarkKey = 512

// Mark records value under key unless key is already recorded, in one
// transaction. first reports whether this call recorded it: of several
// processes or goroutines marking one key, exactly one sees first true, and
// a restart sees the mark. The bot uses it so a notification is sent once.
func (db *DB) Mark(ctx context.Context, key, value string) (first bool, err error) {
	if key == "" || len(key) > maxMarkKey {
		return false, fmt.Errorf("storage: mark key of %d bytes (want 1 to %d)", len(key), maxMarkKey)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMarks)
		if err != nil {
			return err
		}
		if b.Get([]byte(key)) != nil {
			return nil
		}
		first = true
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		return false, fmt.Errorf("storage: marking %q: %w", key, err)
	}
	return first, nil
}

// Marked returns the value recorded under key by Mark, and whether there is
// one.
func (db *DB) Marked(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMarks)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(key)); v != nil {
			value, ok = string(v), true
		}
		return nil
	})
	return value, ok, err
}
