package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/storage"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

// migrateUsage heads "mdebot migrate -h".
const migrateUsage = `Usage: mdebot migrate --config FILE --from-bolt DB

Copies the bbolt database DB (storage.path of a single-node mdebot, with
that bot stopped) into the etcd that FILE's storage.etcd names
(storage.backend: etcd), under storage.etcd.prefix, which must be empty.
Verifies DB's audit chain first and the copy's after, with the audit key
the environment gives (MDEBOT_AUDIT_KEY or MDEBOT_AUDIT_KEY_FILE, as the
bot had it). MDEBOT_ETCD_PASSWORD is storage.etcd.username's password.

Flags:
`

// migrate runs "mdebot migrate".
func (m *Main) migrate(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("mdebot migrate", flag.ContinueOnError)
	configPath := fs.String("config", "", "the YAML configuration `FILE` whose storage.etcd is written")
	from := fs.String("from-bolt", "", "the bbolt database `DB` to copy")
	if ok, code := m.parseOffline(fs, migrateUsage, args); !ok {
		return code
	}
	if *from == "" {
		fmt.Fprintln(m.Stderr, "mdebot migrate: --from-bolt DB is required (run \"mdebot migrate -h\")")
		return exitUsage
	}
	cfg, ok := m.loadOffline("mdebot migrate", *configPath, "storage.etcd")
	if !ok {
		return exitFatal
	}
	if cfg.Storage.Backend != config.StorageEtcd {
		fmt.Fprintf(m.Stderr, "mdebot migrate: %s has storage.backend %s: set it to etcd, with storage.etcd.endpoints, to migrate into etcd\n", *configPath, cfg.Storage.Backend)
		return exitFatal
	}
	key, err := m.offlineAuditKey()
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot migrate: %v\n", err)
		return exitFatal
	}
	cfg.Storage.Etcd.Password = config.EtcdPassword(m.Getenv)
	n, err := migrateBolt(ctx, *from, cfg.Storage.Etcd, key)
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot migrate: %v\n", err)
		return exitFatal
	}
	fmt.Fprintf(m.Stdout, "%s copied into etcd %v prefix %s: %d requests, %d audit records verified\n",
		*from, cfg.Storage.Etcd.Endpoints, cfg.Storage.Etcd.Prefix, n.requests, n.records)
	return exitOK
}

type migrated struct{ requests, records int }

// migrateBolt copies the bbolt database at path into etcd, verifying the
// audit chain before and after with key.
func migrateBolt(ctx context.Context, path string, cfg config.Etcd, key []byte) (migrated, error) {
	if _, err := os.Stat(path); err != nil {
		return migrated{}, fmt.Errorf("--from-bolt: %w", err) // Open would create it
	}
	src, err := storage.Open(path, storage.Options{Timeout: backupLockWait, AuditKey: key})
	if errors.Is(err, storage.ErrLocked) {
		return migrated{}, fmt.Errorf("%w: stop the bot that uses it first", err)
	}
	if err != nil {
		return migrated{}, err
	}
	defer src.Close()
	if _, err := src.Verify(ctx); err != nil {
		return migrated{}, fmt.Errorf("%s: the audit log does not verify, nothing was copied: %w", path, err)
	}
	contents, err := src.Contents(ctx)
	if err != nil {
		return migrated{}, err
	}
	dst, err := etcdstore.Open(ctx, etcdConfig(cfg, key))
	if err != nil {
		return migrated{}, err
	}
	defer dst.Close()
	if err := dst.Import(ctx, contents); err != nil {
		return migrated{}, err
	}
	n, err := dst.Verify(ctx)
	if err != nil {
		return migrated{}, fmt.Errorf("the copy in etcd does not verify: %w", err)
	}
	if int(n) != len(contents.Audit) {
		return migrated{}, fmt.Errorf("the copy in etcd has %d audit records, the database %d", n, len(contents.Audit))
	}
	return migrated{requests: len(contents.Requests), records: int(n)}, nil
}
