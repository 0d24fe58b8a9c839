package etcdstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

func TestADeposedLeadersWritesFailAndItsSuccessorsCommit(t *testing.T) {
	ctx := t.Context()
	prefix := freshPrefix()
	now := func() time.Time { return t0 }
	a, b := open(t, prefix, nil), open(t, prefix, nil)
	if err := a.StillLeads(ctx); err != nil {
		t.Errorf("StillLeads before leading = %v, want nil (nothing to check)", err)
	}
	termA, err := a.Lead(ctx, "replica-a", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StillLeads(ctx); err != nil {
		t.Errorf("StillLeads while leading = %v, want nil", err)
	}
	svcA, svcB := service(t, a, now), service(t, b, now)
	res, err := svcA.Open(ctx, isolate(1))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request

	led := make(chan *etcdstore.Term, 1)
	waiting := make(chan string, 1)
	go func() {
		term, err := b.Lead(ctx, "replica-b", time.Second, func(l string) { waiting <- l })
		if err != nil {
			t.Error(err)
		}
		led <- term
	}()
	if l := <-waiting; l != "replica-a" {
		t.Errorf("b waits on %q, want replica-a", l)
	}
	if err := etcdstore.ExpireForTest(termA); err != nil {
		t.Fatal(err)
	}
	termB := <-led
	if termB == nil {
		t.FailNow()
	}
	if termB.Rev() <= termA.Rev() {
		t.Errorf("term %d follows term %d", termB.Rev(), termA.Rev())
	}
	<-termA.Done()
	if err := a.StillLeads(ctx); !errors.Is(err, etcdstore.ErrDeposed) {
		t.Errorf("StillLeads of the deposed leader = %v, want ErrDeposed", err)
	}
	if err := b.StillLeads(ctx); err != nil {
		t.Errorf("StillLeads of the new leader = %v, want nil", err)
	}

	if _, err := svcA.Approve(ctx, r.ID, "UAPP001", r.Fingerprint()); !errors.Is(err, etcdstore.ErrDeposed) {
		t.Fatalf("the deposed leader's approval = %v, want ErrDeposed", err)
	}
	if _, err := a.Mark(ctx, "notified/"+r.ID, "a"); !errors.Is(err, etcdstore.ErrDeposed) {
		t.Errorf("the deposed leader's mark = %v, want ErrDeposed", err)
	}
	got, err := b.Get(ctx, r.ID)
	if err != nil || got.State != approvals.StateAwaiting {
		t.Fatalf("after the deposed write the request is %+v, %v; want unchanged", got, err)
	}
	res2, err := svcB.Approve(ctx, r.ID, "UAPP001", r.Fingerprint())
	if err != nil || !res2.Executable {
		t.Fatalf("the new leader's approval = %+v, %v", res2, err)
	}
	if first, err := b.Mark(ctx, "notified/"+r.ID, "b"); !first || err != nil {
		t.Errorf("the new leader's mark = %v, %v", first, err)
	}
	if n, err := b.Verify(ctx); err != nil || n != 3 {
		t.Errorf("Verify = %d, %v; want 3 records", n, err)
	}
	if err := termB.Resign(ctx); err != nil {
		t.Error(err)
	}
}
