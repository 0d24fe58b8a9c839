package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/approvals"
)

// kinds lists the deliveries' kinds and payloads, in order.
func kinds(ds []approvals.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Kind+":"+string(d.Payload))
	}
	return out
}

func TestAnUpdateWritesItsAnnouncedDeliveriesInItsTransaction(t *testing.T) {
	forEachBackend(t, testAnUpdateWritesItsAnnouncedDeliveriesInItsTransaction)
}

func testAnUpdateWritesItsAnnouncedDeliveriesInItsTransaction(t *testing.T, newStore func(t testing.TB) (open func() store)) {
	ctx := context.Background()
	open := newStore(t)
	db := open()
	c := &clock{t: t0}
	svc := newService(t, db, c.Now)
	db.Announce(func(before, after *approvals.Request) []approvals.Delivery {
		return []approvals.Delivery{{Kind: "state", Lane: "thread/" + after.ID, Payload: []byte(string(before.State) + ">" + string(after.State))}}
	})
	r := mustOpen(t, svc, draft(approvals.KindIsolate, machineID(1)))
	if _, err := svc.Approve(ctx, r.ID, r.Requester, r.Fingerprint()); err == nil {
		t.Fatal("the requester approved their own request")
	}
	if _, err := svc.Deny(ctx, r.ID, approverIDs(1)[0], "not now"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Deny(ctx, r.ID, approverIDs(1)[0], "again"); err == nil {
		t.Fatal("a second deny succeeded")
	}
	db.Close()

	// A restart (reopen) still holds what was owed: one delivery, for the
	// change that was written, none for the refusals.
	db = open()
	got, err := db.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"state:awaiting_approval>denied"}, kinds(got)); diff != "" {
		t.Fatalf("pending deliveries (-want +got):\n%s", diff)
	}
	if err := db.Done(ctx, got[0].Seq); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Pending(ctx); len(got) != 0 {
		t.Fatalf("pending after Done: %v", kinds(got))
	}
}

func TestANoteIsAnnouncedWithItsChangeOnceAndKeptWithTheRequest(t *testing.T) {
	forEachBackend(t, testANoteIsAnnouncedWithItsChangeOnceAndKeptWithTheRequest)
}

func testANoteIsAnnouncedWithItsChangeOnceAndKeptWithTheRequest(t *testing.T, newStore func(t testing.TB) (open func() store)) {
	ctx := context.Background()
	open := newStore(t)
	db := open()
	c := &clock{t: t0}
	svc := newService(t, db, c.Now)
	db.Announce(func(before, after *approvals.Request) []approvals.Delivery {
		var ds []approvals.Delivery
		for _, n := range approvals.NewNotes(before, after) {
			ds = append(ds, approvals.Delivery{Kind: "note", Lane: "thread/" + after.ID, Payload: []byte(string(n.Kind) + ":" + n.Text)})
		}
		return ds
	})
	r := mustOpen(t, svc, draft(approvals.KindIsolate, machineID(1)))
	if _, err := svc.Approve(ctx, r.ID, approverIDs(1)[0], r.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	note := approvals.Note{Kind: approvals.NoteSubmitFailed, Text: "Defender refused the request"}
	for range 2 { // the second is recovery repeating it
		if _, err := svc.MarkFailed(ctx, r.ID, "refused", note); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db = open()
	got, err := db.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"note:submit_failed:Defender refused the request"}, kinds(got)); diff != "" {
		t.Errorf("pending deliveries (-want +got):\n%s", diff)
	}
	stored, err := db.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	note.At = t0
	if diff := cmp.Diff([]approvals.Note{note}, stored.Notes); diff != "" {
		t.Errorf("stored notes (-want +got):\n%s", diff)
	}
}

func TestAnAnnouncerThatFailsTheWriteLeavesTheRequestUnchanged(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newStore func(t testing.TB) (open func() store)) {
		testAnAnnouncerThatFailsTheWriteLeavesTheRequestUnchanged(t, newStore(t)())
	})
}

func testAnAnnouncerThatFailsTheWriteLeavesTheRequestUnchanged(t *testing.T, db store) {
	ctx := context.Background()
	svc := newService(t, db, (&clock{t: t0}).Now)
	r := mustOpen(t, svc, draft(approvals.KindIsolate, machineID(1)))
	db.Announce(func(_, _ *approvals.Request) []approvals.Delivery {
		return []approvals.Delivery{{Kind: "no lane"}}
	})
	if _, err := svc.Deny(ctx, r.ID, approverIDs(1)[0], "no"); err == nil {
		t.Fatal("Deny succeeded although its delivery could not be written")
	}
	got, err := svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != approvals.StateAwaiting {
		t.Fatalf("state %s, want awaiting: the change and its delivery are one transaction", got.State)
	}
}

func TestADeliveryWithAPendingKeyReplacesIt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newStore func(t testing.TB) (open func() store)) {
		testADeliveryWithAPendingKeyReplacesIt(t, newStore(t)())
	})
}

func testADeliveryWithAPendingKeyReplacesIt(t *testing.T, db store) {
	ctx := context.Background()
	err := db.Enqueue(ctx,
		approvals.Delivery{Kind: "card", Lane: "card/A", Key: "card/A", Payload: []byte("1")},
		approvals.Delivery{Kind: "reply", Lane: "C1", Payload: []byte("x")},
		approvals.Delivery{Kind: "card", Lane: "card/A", Key: "card/A", Payload: []byte("2")},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Enqueue(ctx, approvals.Delivery{Kind: "card", Lane: "card/A", Key: "card/A", Payload: []byte("3")}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"reply:x", "card:3"}, kinds(got)); diff != "" {
		t.Fatalf("pending (-want +got):\n%s", diff)
	}
	if got[0].Seq >= got[1].Seq {
		t.Fatalf("sequence not increasing: %d, %d", got[0].Seq, got[1].Seq)
	}
	// Once the newest is done, the key is free: a later one is kept.
	if err := db.Done(ctx, got[1].Seq); err != nil {
		t.Fatal(err)
	}
	if err := db.Enqueue(ctx, approvals.Delivery{Kind: "card", Lane: "card/A", Key: "card/A", Payload: []byte("4")}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Pending(ctx)
	if diff := cmp.Diff([]string{"reply:x", "card:4"}, kinds(got)); diff != "" {
		t.Fatalf("pending (-want +got):\n%s", diff)
	}
	if err := db.Enqueue(ctx, approvals.Delivery{Lane: "x"}); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("a delivery without a kind: %v", err)
	}
}

func TestAClaimIsKeptAcrossARestartUntilReleased(t *testing.T) {
	forEachBackend(t, testAClaimIsKeptAcrossARestartUntilReleased)
}

func testAClaimIsKeptAcrossARestartUntilReleased(t *testing.T, newStore func(t testing.TB) (open func() store)) {
	ctx := context.Background()
	open := newStore(t)
	db := open()
	if err := db.Enqueue(ctx, approvals.Delivery{Kind: "reply", Lane: "C1"}, approvals.Delivery{Kind: "reply", Lane: "C1"}); err != nil {
		t.Fatal(err)
	}
	ds, _ := db.Pending(ctx)
	if err := db.Claim(ctx, ds[0].Seq, true); err != nil {
		t.Fatal(err)
	}
	if err := db.Claim(ctx, ds[1].Seq, true); err != nil {
		t.Fatal(err)
	}
	if err := db.Claim(ctx, ds[1].Seq, false); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open()
	ds, _ = db.Pending(ctx)
	if len(ds) != 2 || !ds[0].Claimed || ds[1].Claimed {
		t.Fatalf("after a restart: %+v, want the first claimed, the second released", ds)
	}
}

// BenchmarkOutboxDelivery is the outbox's cost per delivery on a real file
// (each transaction fsynced): the Enqueue, the Claim before the call and
// the Done after it.
func BenchmarkOutboxDelivery(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, "")
	payload := make([]byte, 1500) // a rendered thread reply's size
	for b.Loop() {
		if err := db.Enqueue(ctx, approvals.Delivery{Kind: "reply", Lane: "post/C1", RequestID: "R-1", Payload: payload}); err != nil {
			b.Fatal(err)
		}
		ds, err := db.Pending(ctx)
		if err != nil || len(ds) != 1 {
			b.Fatal(len(ds), err)
		}
		if err := db.Claim(ctx, ds[0].Seq, true); err != nil {
			b.Fatal(err)
		}
		if err := db.Done(ctx, ds[0].Seq); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnnouncedUpdate is a decision's transaction with and without
// the deliveries it owes written in it (a card update, a status reply, a
// notice): the outbox adds no transaction, only its writes.
func BenchmarkAnnouncedUpdate(b *testing.B) {
	for _, announce := range []bool{false, true} {
		b.Run(fmt.Sprintf("announce=%t", announce), func(b *testing.B) {
			ctx := context.Background()
			db := openDB(b, "")
			svc := newService(b, db, (&clock{t: t0}).Now)
			if announce {
				db.Announce(func(_, after *approvals.Request) []approvals.Delivery {
					p := make([]byte, 1500)
					return []approvals.Delivery{
						{Kind: "card", Lane: "card/" + after.ID, Key: "card/" + after.ID},
						{Kind: "status", Lane: "post/C1", Payload: p},
						{Kind: "notice", Lane: "dm/U1", Payload: p},
					}
				})
			}
			r := mustOpen(b, svc, draft(approvals.KindScan, machineID(1)))
			i := 0
			for b.Loop() {
				i++
				if _, err := svc.SetCancelOffer(ctx, r.ID, fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
