package storage_test

import (
	"path/filepath"
	"testing"

	"github.com/mdebot/mdebot/storage"
)

func TestPingWritesWhileOpenAndFailsOnceClosed(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "ping.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on an open database: %v", err)
	}
	if n, err := db.Verify(t.Context()); err != nil || n != 0 {
		t.Errorf("after Ping, Verify = %d, %v; want an untouched audit log", n, err)
	}
	db.Close()
	if err := db.Ping(t.Context()); err == nil {
		t.Error("Ping on a closed database succeeded")
	}
}
