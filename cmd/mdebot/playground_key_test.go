package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestThePlaygroundKeysItsAuditLogWithAKeyItKeepsInItsDataDir(t *testing.T) {
	dir := t.TempDir()
	key, err := playgroundAuditKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "audit.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit.key: %v, mode %v; want a 0600 file", err, st.Mode().Perm())
	}
	if len(key) < 32 {
		t.Errorf("a %d-byte key, want at least 32", len(key))
	}
	again, err := playgroundAuditKey(dir)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("a second start got another key (%v): the log it keyed would no longer verify", err)
	}
	if err := os.Chmod(filepath.Join(dir, "audit.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := playgroundAuditKey(dir); err == nil {
		t.Error("a key file others may read was used")
	}
}
