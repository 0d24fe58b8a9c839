package storage

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keyPing is the meta key Ping writes.
var keyPing = []byte("ping")

// Ping checks that the database takes writes: it stores the current time
// under a meta key in one committed (and fsynced) transaction. It returns
// ctx's error if the write lock is not free before ctx ends; the write
// then still completes in the background.
func (db *DB) Ping(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		done <- db.bolt.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keyPing, time.Now().UTC().AppendFormat(nil, time.RFC3339Nano))
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("storage: writing to %s: %w", db.path, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("storage: writing to %s: %w", db.path, ctx.Err())
	}
}
