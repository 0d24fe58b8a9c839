package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

// store is what the contract tests use of a backend: storage.DB (bbolt)
// and etcdstore.Store (etcd) both provide it.
type store interface {
	approvals.Store
	approvals.History
	approvals.Outbox
	AuditLog(ctx context.Context, after uint64, limit int) ([]storage.AuditRecord, error)
	RequestAudit(ctx context.Context, id string) ([]storage.AuditRecord, error)
	Verify(ctx context.Context) (uint64, error)
	Mark(ctx context.Context, key, value string) (bool, error)
	Marked(ctx context.Context, key string) (string, bool, error)
	Close() error
}

var (
	_ store = (*storage.DB)(nil)
	_ store = (*etcdstore.Store)(nil)
)

// backends is every store the contract tests run on. newStore makes a
// fresh, empty store and returns the function that opens it; each call
// opens it again (a reopen after Close, or with etcd another client of the
// same data), closed when the test ends.
var backends = []struct {
	name     string
	newStore func(t testing.TB) (open func() store)
}{
	{"bolt", func(t testing.TB) func() store {
		path := filepath.Join(t.TempDir(), "mdebot.db")
		return func() store { return openDB(t, path) }
	}},
	{"etcd", func(t testing.TB) func() store {
		prefix := fmt.Sprintf("/test/%d-%d/", os.Getpid(), etcdPrefixes.Add(1))
		return func() store {
			s, err := etcdstore.Open(context.Background(), etcdstore.Config{
				Endpoints: []string{storage.EtcdEndpoint}, Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}},
}

// etcdPrefixes gives each etcd store of the test binary its own prefix.
var etcdPrefixes atomic.Int64

// forEachBackend runs test as a subtest per backend; newStore is that
// backend's (see backends).
func forEachBackend(t *testing.T, test func(t *testing.T, newStore func(t testing.TB) (open func() store))) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.newStore) })
	}
}
