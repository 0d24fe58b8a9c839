package storage

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keyPing is the meta key Ping writes.
var keyPing = []byte("ping")

// pingCall is one Ping write, shared by the Pings made while it waits.
type pingCall struct {
	done chan struct{} // closed once err is set
	err  error
}

// Ping checks that the database takes writes: it stores the current time
// under a meta key in one committed (and fsynced) transaction. It returns
// ctx's error if the write lock is not free before ctx ends; the write
// then still completes in the background, and Pings made until it does
// wait for that same write rather than queue another, so a stuck database
// holds one Ping write, not one per caller.
func (db *DB) Ping(ctx context.Context) error {
	db.pingMu.Lock()
	c := db.ping
	if c == nil {
		c = &pingCall{done: make(chan struct{})}
		db.ping = c
		db.pingWrites.Add(1)
		go func() {
			c.err = db.bolt.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyPing, time.Now().UTC().AppendFormat(nil, time.RFC3339Nano))
			})
			db.pingMu.Lock()
			db.ping = nil
			db.pingMu.Unlock()
			close(c.done)
		}()
	}
	db.pingMu.Unlock()
	select {
	case <-c.done:
		if c.err != nil {
			return fmt.Errorf("storage: writing to %s: %w", db.path, c.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("storage: writing to %s: %w", db.path, ctx.Err())
	}
}
