package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestPingsWhileTheWriteLockIsHeldShareOneWrite(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "ping.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.bolt.Begin(true) // a stuck writer
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		if err := db.Ping(ctx); err == nil {
			t.Fatal("Ping succeeded while the write lock was held")
		}
		cancel()
	}
	if n := db.pingWrites.Load(); n != 1 {
		t.Errorf("50 Pings behind a held write lock started %d writes, want 1", n)
	}
	tx.Rollback()
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once the lock is free: %v", err)
	}
}
