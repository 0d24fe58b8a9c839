package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/storage"
)

// backupUsage heads "mdebot backup -h".
const backupUsage = `Usage: mdebot backup --config FILE --out BACKUP

Writes a consistent copy of the database that FILE's storage.path names to
BACKUP, replacing it atomically (a temporary file in BACKUP's directory,
verified, then renamed), and says which way it went:

  online   a running bot holds the database: the copy is asked from its
           admin listener (POST http://<admin.listen>/backup, served to
           loopback clients sending the token in admin.backup_token_file),
           so admin.listen and admin.backup_token_file must be set and this
           command must run on the bot's host, as a user who can read that
           file;
  offline  no bot runs: the copy is read from the file directly.

The copy is opened and its audit log verified before it replaces BACKUP.

Flags:
`

// backupLockWait is how long backup waits for the database's lock before
// deciding a bot holds it.
const backupLockWait = 200 * time.Millisecond

// backup runs "mdebot backup".
func (m *Main) backup(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("mdebot backup", flag.ContinueOnError)
	configPath := fs.String("config", "", "the YAML configuration `FILE` whose storage.path is backed up")
	out := fs.String("out", "", "the backup `FILE` to write (replaced if it exists)")
	if ok, code := m.parseOffline(fs, backupUsage, args); !ok {
		return code
	}
	if *out == "" {
		fmt.Fprintln(m.Stderr, "mdebot backup: --out FILE is required (run \"mdebot backup -h\")")
		return exitUsage
	}
	cfg, ok := m.loadOffline("mdebot backup", *configPath, "storage.path", "admin.listen")
	if !ok {
		return exitFatal
	}
	if cfg.Storage.Backend == config.StorageEtcd {
		fmt.Fprintln(m.Stderr, "mdebot backup: storage.backend is etcd: back up etcd itself, with every replica's data in it: "+
			"etcdctl --endpoints URL snapshot save FILE (see README, High availability)")
		return exitFatal
	}
	key, err := m.offlineAuditKey()
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot backup: %v\n", err)
		return exitFatal
	}
	how, records, err := backupTo(ctx, cfg, key, *out)
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot backup: %v\n", err)
		return exitFatal
	}
	fmt.Fprintf(m.Stdout, "backup of %s written to %s %s (%d audit records verified)\n",
		cfg.Storage.Path, *out, how, records)
	return exitOK
}

// backupTo copies cfg's database to out, online or offline, and returns
// how it did and the number of audit records in the verified copy; key
// is the audit key (nil if none) the copy is verified with.
func backupTo(ctx context.Context, cfg *config.Config, key []byte, out string) (how string, records uint64, err error) {
	if _, err := os.Stat(cfg.Storage.Path); err != nil {
		return "", 0, fmt.Errorf("no database at storage.path: %w", err)
	}
	var copyTo func(w io.Writer) error
	db, err := storage.Open(cfg.Storage.Path, storage.Options{Timeout: backupLockWait, AuditKey: key})
	switch {
	case errors.Is(err, storage.ErrLocked):
		if cfg.Admin.Listen == "" {
			return "", 0, fmt.Errorf("%v, and admin.listen is off: set admin.listen and admin.backup_token_file (the bot serves POST /backup there) or stop the bot", err)
		}
		if cfg.Admin.BackupTokenFile == "" {
			return "", 0, fmt.Errorf("%v, and admin.backup_token_file is not set, so online backup is off: set it (and restart the bot) or stop the bot", err)
		}
		token, err := readSecretFile(cfg.Admin.BackupTokenFile)
		if err != nil {
			return "", 0, fmt.Errorf("admin.backup_token_file: %w", err)
		}
		url := "http://" + loopbackAddr(cfg.Admin.Listen) + "/backup"
		how = "online, from the running bot (POST " + url + ")"
		copyTo = func(w io.Writer) error { return fetchBackup(ctx, url, token, w) }
	case err != nil:
		return "", 0, err
	default:
		defer db.Close()
		how = "offline, from the file (no bot was running)"
		copyTo = func(w io.Writer) error { _, err := db.Backup(ctx, w); return err }
	}
	records, err = writeVerified(ctx, out, key, copyTo)
	return how, records, err
}

// loopbackAddr is admin.listen as a client dials it: an unspecified host
// (":9464", "0.0.0.0:9464", "[::]:9464") becomes 127.0.0.1.
func loopbackAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// fetchBackup asks the running bot for a backup at url, sending token,
// and copies it to w; the reply's trailer must say the copy is whole.
func fetchBackup(ctx context.Context, url string, token []byte, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+string(token))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("asking the running bot for a backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("the running bot answered %s: %s", resp.Status, b)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("reading the backup from the running bot: %w", err)
	}
	if t := resp.Trailer.Get(backupTrailer); t != "ok" {
		return fmt.Errorf("the running bot's backup is incomplete (%s)", t)
	}
	return nil
}

// writeVerified writes what copyTo produces to a temporary file beside
// out, syncs it, opens it as a database and verifies its audit log, then
// renames it to out. It returns the number of audit records.
func writeVerified(ctx context.Context, out string, key []byte, copyTo func(io.Writer) error) (uint64, error) {
	dir := filepath.Dir(out)
	f, err := os.CreateTemp(dir, "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	err = copyTo(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if st, err := os.Stat(tmp); err != nil || st.Size() == 0 {
		return 0, errors.New("the backup came out empty")
	}
	records, err := verifyBackup(ctx, tmp, key)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, err
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable
		d.Close()
	}
	return records, nil
}

// verifyBackup opens the copy at path and verifies its audit log, with
// key (nil if none).
func verifyBackup(ctx context.Context, path string, key []byte) (uint64, error) {
	db, err := storage.Open(path, storage.Options{AuditKey: key})
	if err != nil {
		return 0, fmt.Errorf("the copy does not open as a database: %w", err)
	}
	defer db.Close()
	n, err := db.Verify(ctx)
	if errors.Is(err, storage.ErrAuditKey) {
		return n, fmt.Errorf("the copy's audit log is keyed and cannot be verified without the key: %s", auditKeyHint)
	}
	if err != nil {
		return n, fmt.Errorf("the copy's audit log does not verify: %w", err)
	}
	return n, nil
}
