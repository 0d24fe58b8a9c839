package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/storage/etcdstore/etcdtest"
)

// Benchmarks only: go test -run x -bench . ./storage

const (
	benchEvents   = 100_000
	benchMachines = 1000
	benchUsers    = 500
)

var bench struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	// MDEBOT_TEST_ETCD names an etcd to use instead of an embedded one
	// (.ci/run points it at Debian's etcd-server).
	ep, stop := os.Getenv("MDEBOT_TEST_ETCD"), func() {}
	if ep == "" {
		var err error
		if ep, stop, err = etcdtest.Run(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	EtcdEndpoint = ep
	code := m.Run()
	stop()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchDB returns the path of a database holding 100,000 requests, each
// with its "requested" audit event, written in batches of 1000 per
// transaction. It is built once per test binary.
func benchDB(b *testing.B) string {
	b.Helper()
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "mdebot-bench-")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "mdebot.db")
		db, err := Open(bench.path, Options{})
		if err != nil {
			bench.err = err
			return
		}
		defer db.Close()
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for batch := 0; batch < benchEvents; batch += 1000 {
			bench.err = db.bolt.Update(func(tx *bolt.Tx) error {
				for i := batch; i < batch+1000; i++ {
					r := &approvals.Request{
						ID: fmt.Sprintf("R-%010d", i), Kind: approvals.KindScan, Reason: "benchmark",
						Params:    approvals.Params{Machine: defender.MachineID(fmt.Sprintf("%040x", i%benchMachines)), Scan: defender.ScanQuick},
						Requester: fmt.Sprintf("U%06d", i%benchUsers), Channel: "CBENCH",
						Created: start.Add(time.Duration(i) * time.Second), State: approvals.StateSucceeded,
					}
					r.Expires, r.Updated = r.Created.Add(approvals.DefaultTTL), r.Created
					if err := putRequest(tx, nil, r); err != nil {
						return err
					}
					ev := approvals.AuditEvent{At: r.Created, Type: approvals.EventRequested, RequestID: r.ID,
						Actor: r.Requester, Kind: r.Kind, Machine: r.Params.Machine, State: r.State, Detail: r.Reason}
					if err := db.appendEvents(tx, []approvals.AuditEvent{ev}); err != nil {
						return err
					}
				}
				return nil
			})
			if bench.err != nil {
				return
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path
}

func BenchmarkAuditAppendWithFsync(b *testing.B) {
	ctx := context.Background()
	db, err := Open(filepath.Join(b.TempDir(), "mdebot.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ev := approvals.AuditEvent{At: time.Now(), Type: approvals.EventRefused, RequestID: "R-ABCDEFGHIJ",
		Actor: "U012345", Kind: approvals.KindIsolate, Code: approvals.CodeSelfDecision, Detail: "approve: self-approval"}
	for b.Loop() {
		if err := db.Append(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkHistory(b *testing.B, q HistoryQuery) {
	path := benchDB(b)
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for b.Loop() {
		page, err := db.History(ctx, q)
		if err != nil || len(page.Requests) != q.Limit {
			b.Fatalf("History = %d requests, %v", len(page.Requests), err)
		}
	}
}

func BenchmarkHistoryOneMachineOf100kEvents(b *testing.B) {
	benchmarkHistory(b, HistoryQuery{Machine: defender.MachineID(fmt.Sprintf("%040x", 123)), Limit: 50})
}

func BenchmarkHistoryOneUserOf100kEvents(b *testing.B) {
	benchmarkHistory(b, HistoryQuery{User: fmt.Sprintf("U%06d", 77), Limit: 50})
}

func BenchmarkHistoryOneMachineLastPageOf100kEvents(b *testing.B) {
	// 100 requests per machine: the second page of 50 is the oldest.
	path := benchDB(b)
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	q := HistoryQuery{Machine: defender.MachineID(fmt.Sprintf("%040x", 123)), Limit: 50}
	first, err := db.History(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	q.Cursor = first.Next
	for b.Loop() {
		if page, err := db.History(ctx, q); err != nil || len(page.Requests) != 50 {
			b.Fatalf("History = %d, %v", len(page.Requests), err)
		}
	}
}

func BenchmarkOpen100kEvents(b *testing.B) {
	path := benchDB(b)
	for b.Loop() {
		db, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

func BenchmarkVerify100kEvents(b *testing.B) {
	path := benchDB(b)
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		if n, err := db.Verify(context.Background()); err != nil || n != benchEvents {
			b.Fatalf("Verify = %d, %v", n, err)
		}
	}
}
