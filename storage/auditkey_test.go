package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
)

var (
	auditKey      = []byte("0123456789abcdef0123456789abcdef-audit-key")
	otherAuditKey = []byte("fedcba9876543210fedcba9876543210-other-key")
)

func openKeyed(t *testing.T, path string, key []byte) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{AuditKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rewriteFrom plays someone who can write the file but has no audit key:
// it applies edit to the JSON of every record from seq from on, then
// recomputes every link from there with SHA-256, and the head, so that a
// chain of plain hashes would verify again.
func rewriteFrom(from uint64, edit func(body []byte) []byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		audit := tx.Bucket([]byte("audit"))
		prev := make([]byte, sha256.Size)
		var last uint64
		c := audit.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			n := binaryUint64(k)
			last = n
			if n < from {
				prev = bytes.Clone(v[:sha256.Size])
				continue
			}
			body := edit(bytes.Clone(v[sha256.Size:]))
			h := sha256.New()
			h.Write(prev)
			h.Write(body)
			prev = h.Sum(nil)
			if err := audit.Put(bytes.Clone(k), append(bytes.Clone(prev), body...)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("audit_head"), append(seq(last), prev...))
	}
}

func binaryUint64(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

func TestARewrittenKeyedChainDoesNotVerify(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		edit   func([]byte) []byte
		reason string
	}{
		{"records changed and their links recomputed with SHA-256",
			func(b []byte) []byte { return bytes.Replace(b, []byte(requester), []byte("UXEQ1"), 1) },
			"HMAC mismatch"},
		{"records changed and turned into plain ones",
			func(b []byte) []byte {
				b = bytes.Replace(b, []byte(requester), []byte("UXEQ1"), 1)
				return bytes.Replace(b, []byte(`"keyed":true,`), nil, 1)
			},
			"record not keyed, but the chain is keyed from record 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mdebot.db")
			db := openKeyed(t, path, auditKey)
			fillAudit(t, db, 10)
			if n, err := db.Verify(ctx); err != nil || n != 10 {
				t.Fatalf("Verify before the rewrite = %d, %v", n, err)
			}
			db.Close()
			mutate(t, path, rewriteFrom(5, tc.edit))

			db = openKeyed(t, path, auditKey)
			n, err := db.Verify(ctx)
			var ce *storage.ChainError
			if !errors.As(err, &ce) || ce.Seq != 5 || n != 4 || !bytes.Contains([]byte(ce.Reason), []byte(tc.reason)) {
				t.Errorf("Verify of the rewritten chain = %d, %v; want 4 good and record 5 broken (%s)", n, err, tc.reason)
			}
		})
	}
}

func TestAPlainChainBecomesKeyedWhereTheKeyWasFirstUsed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mdebot.db")
	db := openKeyed(t, path, nil)
	fillAudit(t, db, 3)
	db.Close()

	db = openKeyed(t, path, auditKey)
	if err := db.CheckAuditKey(ctx); err != nil {
		t.Fatalf("CheckAuditKey on a plain chain = %v", err)
	}
	for range 3 {
		if err := db.Append(ctx, approvals.AuditEvent{At: t0, Type: approvals.EventRefused, Actor: requester}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := db.VerifyChain(ctx)
	if err != nil || rep != (storage.ChainReport{Records: 6, KeyedFrom: 4}) {
		t.Fatalf("VerifyChain = %+v, %v; want 6 records keyed from 4", rep, err)
	}
	head, err := db.AuditHead(ctx)
	if err != nil || head.Seq != 6 || !head.Keyed || head.KeyedFrom != 4 || len(head.Hash) != 64 {
		t.Errorf("AuditHead = %+v, %v", head, err)
	}
	db.Close()

	// Without the key: reads still work, but neither verifying the keyed
	// records nor writing new ones does.
	db = openKeyed(t, path, nil)
	n, err := db.Verify(ctx)
	var ke *storage.KeyError
	if !errors.As(err, &ke) || !errors.Is(err, storage.ErrAuditKey) || ke.Seq != 4 || n != 3 {
		t.Errorf("Verify without the key = %d, %v; want 3 plain records verified and a KeyError at 4", n, err)
	}
	if err := db.CheckAuditKey(ctx); !errors.Is(err, storage.ErrAuditKey) {
		t.Errorf("CheckAuditKey without the key = %v, want ErrAuditKey", err)
	}
	if err := db.Append(ctx, approvals.AuditEvent{At: t0, Type: approvals.EventRefused, Actor: requester}); !errors.Is(err, storage.ErrAuditKey) {
		t.Errorf("Append without the key = %v, want ErrAuditKey", err)
	}
	db.Close()

	// With another key: the check at startup names the last record.
	db = openKeyed(t, path, otherAuditKey)
	var ce *storage.ChainError
	if err := db.CheckAuditKey(ctx); !errors.As(err, &ce) || ce.Seq != 6 {
		t.Errorf("CheckAuditKey with another key = %v, want a ChainError at 6", err)
	}
	if _, err := db.Verify(ctx); !errors.As(err, &ce) || ce.Seq != 4 {
		t.Errorf("Verify with another key = %v, want a ChainError at 4", err)
	}
}

func TestOpenRefusesAShortAuditKey(t *testing.T) {
	_, err := storage.Open(filepath.Join(t.TempDir(), "mdebot.db"), storage.Options{AuditKey: []byte("short")})
	if err == nil {
		t.Error("Open accepted a 5-byte audit key")
	}
}
