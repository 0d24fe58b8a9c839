package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/storage"
)

// backupRequests opens the backup at path and returns its request ids.
func backupRequests(t *testing.T, path string) []string {
	t.Helper()
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer db.Close()
	page, err := db.History(t.Context(), storage.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range page.Requests {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestBackupWhileTheBotRunsGoesThroughTheAdminListener(t *testing.T) {
	addr := freeAddr(t)
	w := newWorld(t, spec{admin: addr, backupToken: testBackupToken, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	w.command(ctx, alice, "scan ws-0042 quick alert 1234 follow-up")
	card := w.card(ctx, "requested by")
	w.cardState(ctx, card, ": succeeded")

	out := filepath.Join(t.TempDir(), "backup.db")
	w.writeFile(out, "an older backup")
	b := w.startWith(nil, "backup", "--config", w.config, "--out", out)
	if code := b.wait(ctx); code != exitOK {
		t.Fatalf("mdebot backup exit %d:\n%s", code, b.out.String())
	}
	if got := b.out.String(); !strings.Contains(got, "online, from the running bot (POST http://"+addr+"/backup)") {
		t.Errorf("mdebot backup said %q, want it to say it went online", got)
	}
	if ids := backupRequests(t, out); len(ids) != 1 {
		t.Errorf("the backup holds requests %q, want the scan", ids)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("the backup directory holds %d files, want the backup only", len(entries))
	}
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

func TestBackupWithNoBotRunningReadsTheFile(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	w.command(ctx, alice, "scan ws-0042 quick alert 1234 follow-up")
	card := w.card(ctx, "requested by")
	w.cardState(ctx, card, ": succeeded")
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}

	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := runMain(t, nil, "backup", "--config", w.config, "--out", out)
	if code != exitOK {
		t.Fatalf("mdebot backup exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "offline, from the file (no bot was running)") {
		t.Errorf("mdebot backup said %q, want it to say it read the file", stdout)
	}
	if ids := backupRequests(t, out); len(ids) != 1 {
		t.Errorf("the backup holds requests %q, want the scan", ids)
	}
}

func TestBackupOfALockedDatabaseWithoutAdminListenSaysWhatToDo(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	out := filepath.Join(t.TempDir(), "backup.db")
	code, _, stderr := runMain(t, nil, "backup", "--config", w.config, "--out", out)
	if code != exitFatal || !strings.Contains(stderr, "admin.listen is off") {
		t.Errorf("mdebot backup = %d %q, want exit 1 naming admin.listen", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a backup file was left: %v", err)
	}
}

func TestBackupWhileTheBotRunsNeedsTheTokenFile(t *testing.T) {
	addr := freeAddr(t)
	w := newWorld(t, spec{admin: addr})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	out := filepath.Join(t.TempDir(), "backup.db")
	code, _, stderr := runMain(t, nil, "backup", "--config", w.config, "--out", out)
	if code != exitFatal || !strings.Contains(stderr, "admin.backup_token_file is not set, so online backup is off") {
		t.Errorf("mdebot backup = %d %q, want exit 1 naming admin.backup_token_file", code, stderr)
	}
	// Whoever reaches the port without the token gets nothing.
	resp, err := http.Post("http://"+addr+"/backup", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /backup with backup off = %s, want 404", resp.Status)
	}
}

func TestServeRefusesABackupTokenFileOthersCanRead(t *testing.T) {
	w := newWorld(t, spec{admin: freeAddr(t), backupToken: testBackupToken})
	if err := os.Chmod(filepath.Join(w.dir, "backup.token"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := w.ctx()
	c := w.start()
	if code := c.wait(ctx); code != exitFatal || !strings.Contains(c.out.String(), "readable by its group or others (mode 0644): chmod 600 it") {
		t.Errorf("serve with a 0644 token file = exit %d:\n%s", code, c.out.String())
	}
}
