package storage_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
)

const crashChildEnv = "MDEBOT_STORAGE_CRASH_CHILD_DB"

// TestCrashLosesNoCommittedRequest re-executes the test binary as a child
// that opens requests in a loop, printing each id once Open returned. While
// it runs, opening the file from the parent reports it locked. The parent
// SIGKILLs it mid-way, then every printed id must be in the file and the
// audit chain must verify.
func TestCrashLosesNoCommittedRequest(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(t, path)
		return
	}
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mdebot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLosesNoCommittedRequest$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "committed ") {
			continue
		}
		ids = append(ids, strings.TrimPrefix(line, "committed "))
		if len(ids) == 1 {
			// The child holds the file: another process must be told so.
			_, err := storage.Open(path, storage.Options{Timeout: 60 * time.Millisecond})
			if !errors.Is(err, storage.ErrLocked) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open while the child runs = %v, want ErrLocked naming %s", err, path)
			}
		}
		if len(ids) == 60 && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed || err == nil {
		t.Fatalf("the child was not killed mid-way (killed %v, exit %v, %d ids)", killed, err, len(ids))
	}
	db := openDB(t, path)
	for _, id := range ids {
		if _, err := db.Get(ctx, id); err != nil {
			t.Errorf("committed request %s lost: %v", id, err)
		}
	}
	n, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < uint64(len(ids)) {
		t.Errorf("%d audit records for %d committed requests", n, len(ids))
	}
	t.Logf("%d ids reported before and after SIGKILL; %d audit records verify", len(ids), n)
}

func crashChild(t *testing.T, path string) {
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, db, time.Now)
	for i := range 1_000_000 {
		res, err := svc.Open(context.Background(), draft(approvals.KindIsolate, machineID(i)))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %s\n", res.Request.ID)
	}
}

// fillAudit writes a few requests so the log has records.
func fillAudit(t *testing.T, db *storage.DB, n int) {
	t.Helper()
	svc := newService(t, db, (&clock{t: t0}).Now)
	for i := range n {
		mustOpen(t, svc, draft(approvals.KindIsolate, machineID(i)))
	}
}

// mutate opens the closed database file with bbolt directly and changes it.
func mutate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func seq(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func TestVerifyNamesTheFirstTamperedRecord(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		tamper  func(audit *bolt.Bucket) error
		wantSeq uint64
	}{
		{"one changed byte in a record's text is found", func(a *bolt.Bucket) error {
			v := bytes.Clone(a.Get(seq(5)))
			i := bytes.Index(v, []byte(requester))
			v[i+1] = 'X' // UREQ1 -> UXEQ1
			return a.Put(seq(5), v)
		}, 5},
		{"a change that keeps the JSON meaning is found", func(a *bolt.Bucket) error {
			v := bytes.Clone(a.Get(seq(3)))
			return a.Put(seq(3), bytes.Replace(v, []byte(`"actor"`), []byte(`"Actor"`), 1))
		}, 3},
		{"one changed byte of a stored hash is found", func(a *bolt.Bucket) error {
			v := bytes.Clone(a.Get(seq(7)))
			v[0] ^= 1
			return a.Put(seq(7), v)
		}, 7},
		{"a removed record is found", func(a *bolt.Bucket) error { return a.Delete(seq(4)) }, 4},
		{"records removed from the end are found", func(a *bolt.Bucket) error { return a.Delete(seq(10)) }, 10},
		{"a record moved to another place is found", func(a *bolt.Bucket) error {
			v := bytes.Clone(a.Get(seq(2)))
			return a.Put(seq(6), v)
		}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mdebot.db")
			db, err := storage.Open(path, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fillAudit(t, db, 10) // one "requested" record each
			if n, err := db.Verify(ctx); err != nil || n != 10 {
				t.Fatalf("Verify before tampering = %d, %v", n, err)
			}
			db.Close()
			mutate(t, path, func(tx *bolt.Tx) error { return tt.tamper(tx.Bucket([]byte("audit"))) })
			db = openDB(t, path)
			n, err := db.Verify(ctx)
			var ce *storage.ChainError
			if !errors.As(err, &ce) || !errors.Is(err, storage.ErrBrokenChain) {
				t.Fatalf("Verify = %d, %v; want a ChainError", n, err)
			}
			if ce.Seq != tt.wantSeq || n != tt.wantSeq-1 {
				t.Errorf("Verify = %d good, broken at %d (%s); want %d good, broken at %d", n, ce.Seq, ce.Reason, tt.wantSeq-1, tt.wantSeq)
			}
		})
	}
}

func TestASecondOpenReportsTheLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mdebot.db")
	openDB(t, path)
	_, err := storage.Open(path, storage.Options{Timeout: 60 * time.Millisecond})
	if !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	want := "storage: " + path + " is in use by another process (is mdebot already running?)"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mdebot.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	mutate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, storage.SchemaVersion+1))
	})
	_, err = storage.Open(path, storage.Options{})
	var se *storage.SchemaError
	if !errors.As(err, &se) || se.Found != storage.SchemaVersion+1 || !errors.Is(err, storage.ErrSchema) {
		t.Fatalf("Open = %v, want a SchemaError for version %d", err, storage.SchemaVersion+1)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "newer") {
		t.Errorf("message %q does not name the file and the cause", err)
	}
}

// The inflight bucket is no longer written or read: Open empties what an
// older version left in it, and keeps the bucket for an older version that
// is given the file back.
func TestOpenEmptiesTheRetiredInflightBucket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mdebot.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	mutate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("inflight")).Put([]byte("act-1"), []byte(`{"action_id":"act-1","request_id":"R-1"}`))
	})
	db, err = storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	mutate(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("inflight"))
		if b == nil {
			t.Fatal("the inflight bucket is gone; an older mdebot would fail writing to it")
		}
		if k, _ := b.Cursor().First(); k != nil {
			t.Errorf("the inflight bucket still holds %q", k)
		}
		return nil
	})
}

func TestOpenRefusesAForeignBoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	mutate(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	if _, err := storage.Open(path, storage.Options{}); !errors.Is(err, storage.ErrSchema) {
		t.Fatalf("Open = %v, want ErrSchema", err)
	}
}

func TestBackupIsAUsableDatabase(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	fillAudit(t, db, 5)
	var buf bytes.Buffer
	n, err := db.Backup(ctx, &buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := openDB(t, path)
	if n, err := cp.Verify(ctx); err != nil || n != 5 {
		t.Errorf("backup Verify = %d, %v", n, err)
	}
	live, err := cp.Live(ctx)
	if err != nil || len(live) != 5 {
		t.Errorf("backup has %d live requests, %v", len(live), err)
	}
}
