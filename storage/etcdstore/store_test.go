package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/storage"
	"github.com/mdebot/mdebot/storage/etcdstore"
	"github.com/mdebot/mdebot/storage/etcdstore/etcdtest"
)

var (
	t0       = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	auditKey = []byte("0123456789abcdef0123456789abcdef-audit-key")
)

// The tests of this file share one embedded etcd, each under its own
// prefix.
var (
	etcdEndpoint string
	prefixes     atomic.Int64
)

func TestMain(m *testing.M) {
	ep, stop, err := etcdtest.Run()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	etcdEndpoint = ep
	code := m.Run()
	stop()
	os.Exit(code)
}

func freshPrefix() string { return fmt.Sprintf("/t/%d/", prefixes.Add(1)) }

func open(t testing.TB, prefix string, key []byte) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{etcdEndpoint}, Prefix: prefix, AuditKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func service(t testing.TB, s approvals.Store, now func() time.Time) *approvals.Service {
	t.Helper()
	approvers := make([]string, 100)
	for i := range approvers {
		approvers[i] = fmt.Sprintf("UAPP%03d", i)
	}
	svc, err := approvals.New(approvals.Options{Policy: approvals.Policy{Approvers: approvers}, Store: s, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func isolate(m int) approvals.Draft {
	return approvals.Draft{Kind: approvals.KindIsolate, Requester: "UREQ1", Channel: "CSEC1", Reason: "alert 42",
		Params: approvals.Params{Machine: defender.MachineID(fmt.Sprintf("%040x", m)), Isolation: defender.IsolationFull}}
}

func TestApprovalsFromThreeClientsMakeARequestExecutableOnce(t *testing.T) {
	ctx := t.Context()
	prefix := freshPrefix()
	now := func() time.Time { return t0 }
	var svcs []*approvals.Service
	var stores []*etcdstore.Store
	for range 3 {
		s := open(t, prefix, nil)
		stores = append(stores, s)
		svcs = append(svcs, service(t, s, now))
	}
	res, err := svcs[0].Open(ctx, isolate(1))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	var executable, counted atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 100 {
		wg.Go(func() {
			<-start
			res, err := svcs[i%3].Approve(ctx, r.ID, fmt.Sprintf("UAPP%03d", i), r.Fingerprint())
			var e *approvals.Error
			switch {
			case err == nil:
				counted.Add(1)
				if res.Executable {
					executable.Add(1)
				}
			case !errors.As(err, &e):
				t.Errorf("approve %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if executable.Load() != 1 || counted.Load() != 1 {
		t.Errorf("%d executable results of %d counted approvals, want 1 of 1", executable.Load(), counted.Load())
	}
	got, err := stores[2].Get(ctx, r.ID)
	if err != nil || got.State != approvals.StateApproved || len(got.Approvals()) != 1 {
		t.Fatalf("stored request = %+v, %v; want approved once", got, err)
	}
	n, err := stores[1].Verify(ctx)
	if err != nil || n != 102 { // requested, approved, executable, 99 refused
		t.Errorf("Verify = %d, %v; want 102 records", n, err)
	}
	var conflicts int64
	for _, s := range stores {
		conflicts += s.Conflicts()
	}
	if conflicts == 0 {
		t.Error("100 racing approvals caused no transaction conflict: the test did not race")
	}
	t.Logf("%d transaction conflicts retried", conflicts)
}

func TestOnlyOneReplicaOpensARequestForAMachine(t *testing.T) {
	ctx := t.Context()
	prefix := freshPrefix()
	now := func() time.Time { return t0 }
	var wg sync.WaitGroup
	var opened atomic.Int32
	svcs := []*approvals.Service{service(t, open(t, prefix, nil), now), service(t, open(t, prefix, nil), now), service(t, open(t, prefix, nil), now)}
	for i := range 30 {
		wg.Go(func() {
			if _, err := svcs[i%3].Open(ctx, isolate(7)); err == nil {
				opened.Add(1)
			} else if !errors.Is(err, approvals.ErrConflict) {
				t.Errorf("open %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if opened.Load() != 1 {
		t.Errorf("%d requests opened for one machine, want 1", opened.Load())
	}
	if live, err := open(t, prefix, nil).Live(ctx); err != nil || len(live) != 1 {
		t.Errorf("Live = %d requests, %v; want 1", len(live), err)
	}
}

func TestVerifyNamesATamperedRecordOnEtcd(t *testing.T) {
	ctx := t.Context()
	s := open(t, freshPrefix(), nil)
	svc := service(t, s, func() time.Time { return t0 })
	for m := range 3 {
		if _, err := svc.Open(ctx, isolate(m)); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.AuditLog(ctx, 1, 1)
	if err != nil || len(recs) != 1 || recs[0].Seq != 2 {
		t.Fatalf("AuditLog = %+v, %v", recs, err)
	}
	// Record 2 rewritten with a valid-looking hash of 32 zero bytes.
	if err := etcdstore.PutRaw(s, "audit/0000000000000002", string(make([]byte, 32))+`{"seq":2,"type":"requested"}`); err != nil {
		t.Fatal(err)
	}
	n, err := s.Verify(ctx)
	var ce *storage.ChainError
	if !errors.As(err, &ce) || ce.Seq != 2 || n != 1 {
		t.Errorf("Verify = %d, %v; want 1 verified and a break at record 2", n, err)
	}
}

func TestAKeyedChainOnEtcdNeedsItsKey(t *testing.T) {
	ctx := t.Context()
	prefix := freshPrefix()
	plain := open(t, prefix, nil)
	if _, err := service(t, plain, func() time.Time { return t0 }).Open(ctx, isolate(1)); err != nil {
		t.Fatal(err)
	}
	keyed := open(t, prefix, auditKey)
	if _, err := service(t, keyed, func() time.Time { return t0 }).Open(ctx, isolate(2)); err != nil {
		t.Fatal(err)
	}
	rep, err := keyed.VerifyChain(ctx)
	if err != nil || rep.Records != 2 || rep.KeyedFrom != 2 {
		t.Errorf("VerifyChain = %+v, %v; want 2 records keyed from 2", rep, err)
	}
	if err := keyed.CheckAuditKey(ctx); err != nil {
		t.Errorf("CheckAuditKey with the key = %v", err)
	}
	if err := plain.CheckAuditKey(ctx); !errors.Is(err, storage.ErrAuditKey) {
		t.Errorf("CheckAuditKey without the key = %v, want ErrAuditKey", err)
	}
	if err := plain.Append(ctx, approvals.AuditEvent{At: t0, Type: approvals.EventExported}); !errors.Is(err, storage.ErrAuditKey) {
		t.Errorf("a plain append to a keyed chain = %v, want ErrAuditKey", err)
	}
	if h, err := plain.AuditHead(ctx); err != nil || h.Seq != 2 || !h.Keyed {
		t.Errorf("AuditHead = %+v, %v", h, err)
	}
}

func TestOpenRefusesAPrefixOfAnotherSchema(t *testing.T) {
	prefix := freshPrefix()
	s := open(t, prefix, nil)
	if err := etcdstore.PutRaw(s, "meta/schema", "2"); err != nil {
		t.Fatal(err)
	}
	_, err := etcdstore.Open(context.Background(), etcdstore.Config{Endpoints: []string{etcdEndpoint}, Prefix: prefix})
	if !errors.Is(err, storage.ErrSchema) {
		t.Errorf("Open = %v, want ErrSchema", err)
	}
}

func TestOpenFailsWithoutEtcd(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: 300 * time.Millisecond})
	if err == nil {
		t.Error("Open reached an etcd that is not there")
	}
}
