package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
)

// offlineFixture writes a configuration and a database holding n requests
// (created an hour apart, the newest now) and returns the config's path and
// the database's.
func offlineFixture(t *testing.T, n int) (string, string) {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "mdebot.db")
	cfgPath := filepath.Join(dir, "mdebot.yaml")
	yaml := fmt.Sprintf("storage:\n  path: %s\nslack:\n  approvers: [U0APPR]\n", dbPath)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(dbPath, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	for i := range n {
		created := now.Add(-time.Duration(i) * time.Hour)
		r := &approvals.Request{ID: fmt.Sprintf("R-%04d", i), Kind: approvals.KindScan, Requester: "U0RESP",
			Reason: "=cmd|' /C calc'!A0", Created: created, Expires: created.Add(time.Hour), Required: 1,
			State: approvals.StateDenied, Updated: created.Add(time.Minute), Channel: "C0SOC",
			Params:    approvals.Params{Machine: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", MachineName: "ws-42", Scan: "Quick"},
			Decisions: []approvals.Decision{{Actor: "U0APPR", Verdict: approvals.Deny, Reason: "no", At: created.Add(time.Minute)}}}
		ev := approvals.AuditEvent{At: created, Type: approvals.EventRequested, RequestID: r.ID, Actor: r.Requester}
		if err := db.Create(t.Context(), r, func([]*approvals.Request) ([]approvals.AuditEvent, error) {
			return []approvals.AuditEvent{ev}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return cfgPath, dbPath
}

func TestAuditVerifyPrintsTheRecordCount(t *testing.T) {
	cfg, _ := offlineFixture(t, 3)
	code, out, errOut := runMain(t, nil, "audit", "verify", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "3 records") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestAuditVerifyNamesTheFirstBrokenRecord(t *testing.T) {
	cfg, dbPath := offlineFixture(t, 3)
	b, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		// Tamper with the second record's body.
		c := tx.Bucket([]byte("audit")).Cursor()
		c.First()
		k, v := c.Next()
		changed := []byte(strings.Replace(string(v), "U0RESP", "U0EVIL", 1))
		return tx.Bucket([]byte("audit")).Put(append([]byte(nil), k...), changed)
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, nil, "audit", "verify", "--config", cfg)
	if code != exitFatal || !strings.Contains(errOut, "record 2") || !strings.Contains(errOut, "audit verify") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestOfflineCommandsSayWhenARunningBotHoldsTheFile(t *testing.T) {
	cfg, dbPath := offlineFixture(t, 1)
	db, err := storage.Open(dbPath, storage.Options{}) // stands for the running bot
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"audit", "verify", "--config", cfg}, {"export", "--config", cfg}} {
		code, out, errOut := runMain(t, nil, args...)
		if code != exitFatal || out != "" || !strings.Contains(errOut, "in use by another process") || !strings.Contains(errOut, "stop the bot") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestExportWritesTheRequestsSinceAsCSVOrJSON(t *testing.T) {
	cfg, _ := offlineFixture(t, 30) // one an hour: 25 in the last day (0h…24h ago, minus the edge)
	code, out, errOut := runMain(t, nil, "export", "--config", cfg, "--since", "1d", "--format", "csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "id" || len(recs) != 1+24 && len(recs) != 1+25 {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	if recs[1][0] != "R-0000" || recs[1][9] != "'=cmd|' /C calc'!A0" || recs[1][7] != "U0APPR" {
		t.Errorf("first row = %v", recs[1])
	}
	code, out, errOut = runMain(t, nil, "export", "--config", cfg, "--since", "2w", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 30 || rows[0]["reason"] != "=cmd|' /C calc'!A0" || rows[29]["id"] != "R-0029" {
		t.Errorf("%d JSON rows; first %v", len(rows), rows[0])
	}
}

func TestOfflineCommandsRefuseBadCommandLines(t *testing.T) {
	for name, args := range map[string][]string{
		"no config":          {"export"},
		"a bad format":       {"export", "--config", "x.yaml", "--format", "xlsx"},
		"a bad since":        {"export", "--config", "x.yaml", "--since", "soon"},
		"audit without verb": {"audit"},
		"audit unknown verb": {"audit", "check"},
		"verify no config":   {"audit", "verify"},
	} {
		if code, _, _ := runMain(t, nil, args...); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, exitUsage)
		}
	}
}

func TestOfflineCommandsNeedOnlyStoragePath(t *testing.T) {
	_, dbPath := offlineFixture(t, 2)
	cfg := filepath.Join(t.TempDir(), "only-storage.yaml")
	if err := os.WriteFile(cfg, []byte("storage:\n  path: "+dbPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	for _, args := range [][]string{
		{"audit", "verify", "--config", cfg},
		{"export", "--config", cfg},
		{"backup", "--config", cfg, "--out", out},
	} {
		if code, _, errOut := runMain(t, nil, args...); code != exitOK {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestOfflineCommandsPrintEachProblemOnce(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "typo.yaml")
	if err := os.WriteFile(cfg, []byte("storage:\n  pth: /x.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"audit", "verify", "--config", cfg},
		{"export", "--config", cfg},
		{"backup", "--config", cfg, "--out", filepath.Join(t.TempDir(), "b.db")},
	} {
		code, _, errOut := runMain(t, nil, args...)
		if code != exitFatal {
			t.Errorf("%v: exit %d, want %d", args, code, exitFatal)
		}
		for _, msg := range []string{`unknown key "storage.pth"`, "storage.path is required"} {
			if n := strings.Count(errOut, msg); n != 1 {
				t.Errorf("%v: %q appears %d times in stderr:\n%s", args, msg, n, errOut)
			}
		}
	}
}

func TestAuditVerifyPrintsABrokenChainOnce(t *testing.T) {
	cfg, dbPath := offlineFixture(t, 3)
	b, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("audit")).Cursor()
		k, v := c.Last()
		changed := []byte(strings.Replace(string(v), "U0RESP", "U0EVIL", 1))
		return tx.Bucket([]byte("audit")).Put(append([]byte(nil), k...), changed)
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, _, errOut := runMain(t, nil, "audit", "verify", "--config", cfg)
	if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || strings.Count(errOut, "record 3") != 1 {
		t.Errorf("stderr should say once which record broke:\n%s", errOut)
	}
}
