package approvals_test

import (
	"errors"
	"testing"

	"github.com/mdebot/mdebot/approvals"
)

func TestACancelBeforeSendingClosesTheRequestButWhileSendingOnlyRequestsIt(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := t.Context()

	unsent := f.inState(t, approvals.KindIsolate, approvals.StateApproved)
	res, err := f.svc.Cancel(ctx, unsent.ID, requester, "")
	if err != nil || res.Request.State != approvals.StateCancelled {
		t.Fatalf("cancel before sending: %v, %v; want cancelled", res.Request, err)
	}
	if _, err := f.svc.MarkSubmitting(ctx, unsent.ID); !errors.Is(err, approvals.ErrIllegal) {
		t.Errorf("MarkSubmitting of a cancelled request = %v, want ErrIllegal (it must not be sent)", err)
	}

	r := f.inState(t, approvals.KindIsolate, approvals.StateApproved)
	if res, err := f.svc.MarkSubmitting(ctx, r.ID); err != nil || res.Request.Submitting.IsZero() {
		t.Fatalf("MarkSubmitting = %+v, %v", res.Request, err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventSubmitting {
		t.Errorf("audit = %+v, want submitting", ev)
	}
	if res, err := f.svc.MarkSubmitting(ctx, r.ID); err != nil || res.Changed {
		t.Errorf("a repeated MarkSubmitting = changed %v, %v; want unchanged", res.Changed, err)
	}
	res, err = f.svc.Cancel(ctx, r.ID, requester, "wrong machine")
	if err != nil || res.Request.State != approvals.StateApproved || res.Request.CancelRequested != requester {
		t.Fatalf("cancel while sending = %s, requested by %q, %v; want approved with the cancel requested", res.Request.State, res.Request.CancelRequested, err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventCancelRequested || ev.Actor != requester {
		t.Errorf("audit = %+v, want the cancel requested", ev)
	}
	// The action is found: it is recorded, the cancel request kept for the bot.
	res, err = f.svc.MarkSubmitted(ctx, r.ID, "act-9")
	if err != nil || res.Request.State != approvals.StateSubmitted || res.Request.CancelRequested != requester {
		t.Fatalf("MarkSubmitted = %s %q, %v; want submitted with the cancel still requested", res.Request.State, res.Request.CancelRequested, err)
	}
}

func TestARequestFoundNeverSentAfterItsCancelEndsCancelledByWhoeverAsked(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := t.Context()
	r := f.inState(t, approvals.KindIsolate, approvals.StateApproved)
	if _, err := f.svc.MarkNotSent(ctx, r.ID, "none"); !errors.Is(err, approvals.ErrIllegal) {
		t.Fatalf("MarkNotSent without a cancel requested = %v, want ErrIllegal", err)
	}
	if _, err := f.svc.MarkSubmitting(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(ctx, r.ID, approver2, ""); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.MarkNotSent(ctx, r.ID, "Defender has no action for this request")
	if err != nil || res.Request.State != approvals.StateCancelled || res.Request.ClosedBy != approver2 {
		t.Fatalf("MarkNotSent = %s by %q, %v; want cancelled by %s", res.Request.State, res.Request.ClosedBy, err, approver2)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventCancelled || ev.Actor != approver2 {
		t.Errorf("audit = %+v, want cancelled by %s", ev, approver2)
	}
}
