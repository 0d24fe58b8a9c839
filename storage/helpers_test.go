package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/storage"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const (
	requester = "UREQ1"
	channel   = "CSEC1"
	sha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// approverIDs returns n approver ids.
func approverIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("UAPP%03d", i)
	}
	return ids
}

func machineID(i int) defender.MachineID { return defender.MachineID(fmt.Sprintf("%040x", i)) }

func openDB(t testing.TB, path string) *storage.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "mdebot.db")
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newService(t testing.TB, db approvals.Store, now func() time.Time) *approvals.Service {
	t.Helper()
	svc, err := approvals.New(approvals.Options{
		Policy: approvals.Policy{Approvers: approverIDs(100)},
		Store:  db, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func draft(k approvals.Kind, m defender.MachineID) approvals.Draft {
	d := approvals.Draft{Kind: k, Requester: requester, Channel: channel, Reason: "alert 42",
		Params: approvals.Params{Machine: m}}
	switch k {
	case approvals.KindIsolate:
		d.Params.Isolation = defender.IsolationFull
	case approvals.KindScan:
		d.Params.Scan = defender.ScanQuick
	case approvals.KindBlock, approvals.KindUnblock:
		d.Params = approvals.Params{FileHash: sha256Hex}
	}
	return d
}

func mustOpen(t testing.TB, svc *approvals.Service, d approvals.Draft) *approvals.Request {
	t.Helper()
	res, err := svc.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return res.Request
}
