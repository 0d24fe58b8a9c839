package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/storage"
)

const (
	testAuditKey  = "0123456789abcdef0123456789abcdef-audit-key"
	otherAuditKey = "fedcba9876543210fedcba9876543210-other-key"
)

// appendKeyed appends n refusals to the database at dbPath with key.
func appendKeyed(t *testing.T, dbPath, key string, n int) {
	t.Helper()
	db, err := storage.Open(dbPath, storage.Options{AuditKey: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range n {
		if err := db.Append(t.Context(), approvals.AuditEvent{Type: approvals.EventRefused, Actor: "U0RESP"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditVerifyChecksKeyedRecordsWithTheKeyFromTheEnvironment(t *testing.T) {
	cfg, dbPath := offlineFixture(t, 3) // written before the key was set
	appendKeyed(t, dbPath, testAuditKey, 2)
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(keyFile, []byte(testAuditKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(loose, []byte(testAuditKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		code     int
		out, err string
	}{
		{"with the key", map[string]string{envAuditKey: testAuditKey}, exitOK,
			"5 records, keyed with the audit key from record 4 on (records 1-3 were written before the key was set)", ""},
		{"with the key file", map[string]string{envAuditKeyFile: keyFile}, exitOK, "5 records, keyed", ""},
		{"without the key", nil, exitFatal, "",
			"records from 4 on are keyed with the audit key: set MDEBOT_AUDIT_KEY (or MDEBOT_AUDIT_KEY_FILE, a 0600 file holding it) to the key the bot writes with (3 records before them verified)"},
		{"with another key", map[string]string{envAuditKey: otherAuditKey}, exitFatal, "",
			"audit chain broken at record 4: HMAC mismatch"},
		{"with a key file others may read", map[string]string{envAuditKeyFile: loose}, exitFatal, "",
			"MDEBOT_AUDIT_KEY_FILE: " + loose + " is readable by its group or others (mode 0644): chmod 600 it"},
		{"with both variables", map[string]string{envAuditKey: testAuditKey, envAuditKeyFile: keyFile}, exitFatal, "",
			"both MDEBOT_AUDIT_KEY and MDEBOT_AUDIT_KEY_FILE are set"},
		{"with a short key", map[string]string{envAuditKey: "hunter2"}, exitFatal, "",
			"MDEBOT_AUDIT_KEY has 7 characters, fewer than 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runMain(t, tc.env, "audit", "verify", "--config", cfg)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", code, out, errOut, tc.code, tc.out, tc.err)
			}
			if strings.Contains(out+errOut, "hunter2") || strings.Contains(out+errOut, testAuditKey) {
				t.Errorf("the key was echoed: %q %q", out, errOut)
			}
		})
	}
}

func TestAuditVerifyWithAnAnchorFindsAWholeRewrite(t *testing.T) {
	cfg, dbPath := offlineFixture(t, 3)
	db, err := storage.Open(dbPath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := db.AuditHead(t.Context())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	anchor := fmt.Sprintf("%d:%s", head.Seq, head.Hash)
	if code, out, errOut := runMain(t, nil, "audit", "verify", "--config", cfg, "--anchor", anchor); code != exitOK ||
		!strings.Contains(out, "record 3 still has the anchor's hash") {
		t.Fatalf("before the rewrite: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Whoever can write the file rewrites record 2 and recomputes every
	// plain hash after it, and the head: the chain alone still verifies.
	b, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		audit := tx.Bucket([]byte("audit"))
		prev := bytes.Clone(audit.Get(seqBytes(1))[:sha256.Size])
		for n := uint64(2); n <= 3; n++ {
			body := bytes.Clone(audit.Get(seqBytes(n))[sha256.Size:])
			body = bytes.Replace(body, []byte("U0RESP"), []byte("U0EVIL"), 1)
			h := sha256.Sum256(append(bytes.Clone(prev), body...))
			prev = h[:]
			if err := audit.Put(seqBytes(n), append(bytes.Clone(prev), body...)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("audit_head"), append(seqBytes(3), prev...))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runMain(t, nil, "audit", "verify", "--config", cfg); code != exitOK {
		t.Fatalf("the rewritten plain chain should verify on its own (that is why keys and anchors exist): exit %d %q", code, out)
	}
	code, _, errOut := runMain(t, nil, "audit", "verify", "--config", cfg, "--anchor", anchor)
	if code != exitFatal || !strings.Contains(errOut, "record 3 has hash") || !strings.Contains(errOut, "the log was rewritten since the anchor was taken") {
		t.Errorf("with the anchor: exit %d, stderr %q; want exit 1 naming the rewrite", code, errOut)
	}
}

func seqBytes(n uint64) []byte {
	return []byte{0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func TestServeKeysTheAuditChainAndShowsItsHead(t *testing.T) {
	addr := freeAddr(t)
	w := newWorld(t, spec{admin: addr, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	keyed := map[string]string{envAuditKey: testAuditKey}
	c := w.startWith(keyed, "serve", "--config", w.config)
	w.serving(ctx, c, 1)
	w.command(ctx, alice, "scan ws-0042 quick alert 1234 follow-up")
	card := w.card(ctx, "requested by")
	w.cardState(ctx, card, ": succeeded")

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `mdebot_audit_head{hash="`) || !strings.Contains(string(body), `keyed="true"}`) {
		t.Errorf("/metrics has no keyed mdebot_audit_head:\n%s", body)
	}
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(c.out.String(), "audit chain head") {
		t.Errorf("serve did not log the audit chain head:\n%s", c.out.String())
	}

	// The chain is keyed from its first record: a bot without the key, or
	// with another, refuses to start rather than write plain records.
	for _, env := range []map[string]string{{envAuditKey: ""}, {envAuditKey: otherAuditKey}} {
		c = w.startWith(env, "serve", "--config", w.config)
		if code := c.wait(ctx); code != exitFatal || !strings.Contains(c.out.String(), "MDEBOT_AUDIT_KEY") {
			t.Errorf("serve with %v = exit %d:\n%s", env, code, c.out.String())
		}
	}
	code, out, errOut := runMain(t, keyed, "audit", "verify", "--config", w.config)
	if code != exitOK || !strings.Contains(out, "all keyed with the audit key") {
		t.Errorf("audit verify = %d %q %q", code, out, errOut)
	}
}

func TestServeWithoutAnAuditKeyWarns(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(c.out.String(), "the audit log is not keyed") {
		t.Errorf("serve without a key did not warn:\n%s", c.out.String())
	}
}

func TestServeLogsTheAuditHeadAtStartAndEveryInterval(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "mdebot.db"), storage.Options{AuditKey: []byte(testAuditKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			logAuditHead(ctx, db, time.Hour, log)
		}()
		synctest.Wait()
		if err := db.Append(ctx, approvals.AuditEvent{Type: approvals.EventRefused, Actor: "U0RESP"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		cancel()
		<-done
		var heads []string
		for l := range strings.Lines(buf.String()) {
			if strings.Contains(l, "audit chain head") {
				heads = append(heads, l)
			}
		}
		if len(heads) != 2 || !strings.Contains(heads[0], "seq=0") || !strings.Contains(heads[1], "seq=1") ||
			!strings.Contains(heads[1], "keyed=true") {
			t.Errorf("audit head lines = %q, want seq=0 at start and seq=1 (keyed) an hour later", heads)
		}
	})
}
