package main

import (
	"context"
	"fmt"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/storage"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

// database is what mdebot's commands use of the store storage.backend
// names: a *storage.DB (bolt) or an *etcdstore.Store (etcd).
type database interface {
	approvals.Store
	approvals.History
	approvals.Outbox
	Mark(ctx context.Context, key, value string) (first bool, err error)
	Marked(ctx context.Context, key string) (value string, ok bool, err error)
	Ping(ctx context.Context) error
	AuditHead(ctx context.Context) (storage.AuditHead, error)
	CheckAuditKey(ctx context.Context) error
	VerifyChain(ctx context.Context) (storage.ChainReport, error)
	AuditLog(ctx context.Context, after uint64, limit int) ([]storage.AuditRecord, error)
	// Path names the store for people: the file, or etcd's endpoints and
	// prefix.
	Path() string
	Close() error
}

var (
	_ database = (*storage.DB)(nil)
	_ database = (*etcdstore.Store)(nil)
)

// openDatabase opens the store cfg names, with the audit key (nil if
// none).
func openDatabase(ctx context.Context, cfg config.Storage, key []byte) (database, error) {
	switch cfg.Backend {
	case config.StorageEtcd:
		s, err := etcdstore.Open(ctx, etcdConfig(cfg.Etcd, key))
		if err != nil {
			return nil, err
		}
		return s, nil
	case config.StorageBolt, "":
		db, err := storage.Open(cfg.Path, storage.Options{AuditKey: key})
		if err != nil {
			return nil, err
		}
		return db, nil
	default:
		return nil, fmt.Errorf("storage.backend %q is not bolt or etcd", cfg.Backend)
	}
}

// etcdConfig is cfg (storage.etcd) as etcdstore takes it.
func etcdConfig(cfg config.Etcd, key []byte) etcdstore.Config {
	return etcdstore.Config{
		Endpoints: cfg.Endpoints, Prefix: cfg.Prefix,
		CAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile,
		Username: cfg.Username, Password: cfg.Password.Reveal(),
		AuditKey: key,
	}
}
