package etcdstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/storage"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

func TestImportKeepsAKeyedBoltChainVerifiable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mdebot.db")
	plain, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return t0 }
	if _, err := service(t, plain, now).Open(ctx, isolate(1)); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	bolt, err := storage.Open(path, storage.Options{AuditKey: auditKey})
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	svc := service(t, bolt, now)
	res, err := svc.Open(ctx, isolate(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.Mark(ctx, "remind/"+res.Request.ID, "posted"); err != nil {
		t.Fatal(err)
	}
	contents, err := bolt.Contents(ctx)
	if err != nil {
		t.Fatal(err)
	}

	s := open(t, freshPrefix(), auditKey)
	if err := s.Import(ctx, contents); err != nil {
		t.Fatal(err)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || rep.Records != 2 || rep.KeyedFrom != 2 {
		t.Errorf("VerifyChain after import = %+v, %v; want 2 records keyed from 2", rep, err)
	}
	want, _ := bolt.AuditHead(ctx)
	if got, err := s.AuditHead(ctx); err != nil || got != want {
		t.Errorf("AuditHead = %+v, %v; want bbolt's %+v", got, err, want)
	}
	got, err := s.Get(ctx, res.Request.ID)
	if err != nil || !cmp.Equal(got, res.Request) {
		t.Errorf("imported request = %+v, %v; want %+v", got, err, res.Request)
	}
	if live, err := s.Live(ctx); err != nil || len(live) != 2 {
		t.Errorf("Live = %d requests, %v; want 2", len(live), err)
	}
	if v, ok, err := s.Marked(ctx, "remind/"+res.Request.ID); v != "posted" || !ok || err != nil {
		t.Errorf("Marked = %q, %v, %v", v, ok, err)
	}
	// The imported chain goes on: the next decision links to its head.
	if _, err := service(t, s, now).Open(ctx, isolate(3)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Verify(ctx); err != nil || n != 3 {
		t.Errorf("Verify after a new request = %d, %v", n, err)
	}
	if err := s.Import(ctx, contents); !errors.Is(err, etcdstore.ErrNotEmpty) {
		t.Errorf("a second Import = %v, want ErrNotEmpty", err)
	}
}
