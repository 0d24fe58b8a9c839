package approvals_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

const glassUser = "UGLASS1"

func breakGlassPolicy() approvals.Policy {
	p := testPolicy()
	p.BreakGlass = []string{glassUser, requester}
	return p
}

func glassDraft(k approvals.Kind) approvals.Draft {
	d := draft(k)
	d.Requester = glassUser
	d.BreakGlass = true
	return d
}

func TestBreakGlassRunsAtOnceAndOpensAReview(t *testing.T) {
	f := newFixture(t, breakGlassPolicy())
	res, err := f.svc.Open(context.Background(), glassDraft(approvals.KindIsolate))
	if err != nil || !res.Executable {
		t.Fatalf("break-glass isolate: executable %v, %v; want executable at once", res.Executable, err)
	}
	r := res.Request
	if !r.BreakGlass || r.State != approvals.StateApproved || r.Review == nil || r.Review.State != approvals.ReviewPending ||
		!r.Review.Due.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("request %+v review %+v; want approved break-glass with a review due in 24h", r, r.Review)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventBreakGlass || ev.Actor != glassUser {
		t.Errorf("last event %+v, want break_glass by %s", ev, glassUser)
	}
}

func TestBreakGlassIsRefusedToOthersForOtherKindsAndPastTheCap(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, breakGlassPolicy())

	d := glassDraft(approvals.KindIsolate)
	d.Requester = outsider
	if _, err := f.svc.Open(ctx, d); !errors.Is(err, approvals.ErrNotBreakGlass) {
		t.Errorf("break-glass by someone not in slack.break_glass: %v", err)
	}
	if _, err := f.svc.Open(ctx, glassDraft(approvals.KindRestrict)); !errors.Is(err, approvals.ErrBreakGlassKind) {
		t.Errorf("break-glass restrict with the default kinds: %v", err)
	}
	for i, m := range []mde.MachineID{machine, machine2} {
		d := glassDraft(approvals.KindIsolate)
		d.Params.Machine = m
		if _, err := f.svc.Open(ctx, d); err != nil {
			t.Fatalf("break-glass %d of 2: %v", i+1, err)
		}
	}
	d = glassDraft(approvals.KindIsolate)
	d.Params.Machine = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	_, err := f.svc.Open(ctx, d)
	if !errors.Is(err, approvals.ErrBreakGlassCap) {
		t.Fatalf("a third break-glass the same day: %v, want ErrBreakGlassCap", err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Code != approvals.CodeBreakGlassCap {
		t.Errorf("the cap refusal is not audited: %+v", ev)
	}
	// Another requester has their own count, and the next UTC day resets it.
	d.Requester = requester
	if _, err := f.svc.Open(ctx, d); err != nil {
		t.Errorf("break-glass by another member: %v", err)
	}
	f.clock.Advance(24 * time.Hour)
	d.Requester = glassUser
	d.Params.Machine = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	if _, err := f.svc.Open(ctx, d); err != nil {
		t.Errorf("break-glass the next day: %v", err)
	}
}

func TestBreakGlassNeverOffboards(t *testing.T) {
	p := breakGlassPolicy()
	p.BreakGlassKinds = []approvals.Kind{approvals.KindIsolate, approvals.KindOffboard}
	if err := p.Validate(); !errors.Is(err, approvals.ErrInvalidPolicy) {
		t.Errorf("Validate with offboard in break_glass_kinds = %v", err)
	}
}

func TestAnApproverReviewsABreakGlassActionOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, breakGlassPolicy())
	r := f.open(t, glassDraft(approvals.KindIsolate))

	if _, err := f.svc.Acknowledge(ctx, r.ID, glassUser, "fine"); !errors.Is(err, approvals.ErrSelfDecision) {
		t.Errorf("self review: %v", err)
	}
	if _, err := f.svc.Acknowledge(ctx, r.ID, outsider, "fine"); !errors.Is(err, approvals.ErrNotApprover) {
		t.Errorf("review by a non-approver: %v", err)
	}
	if _, err := f.svc.Acknowledge(ctx, r.ID, approver1, " "); !errors.Is(err, approvals.ErrReasonRequired) {
		t.Errorf("acknowledgement without a note: %v", err)
	}
	res, err := f.svc.Acknowledge(ctx, r.ID, approver1, "C2 beacon confirmed, right call")
	if err != nil {
		t.Fatal(err)
	}
	if rv := res.Request.Review; rv.State != approvals.ReviewAcknowledged || rv.By != approver1 || rv.Note != "C2 beacon confirmed, right call" {
		t.Errorf("review %+v", rv)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventReviewAcknowledged {
		t.Errorf("last event %+v", ev)
	}
	if _, err := f.svc.Flag(ctx, r.ID, approver2, "no"); !errors.Is(err, approvals.ErrIllegal) {
		t.Errorf("a second review: %v", err)
	}
	pd := draft(approvals.KindIsolate)
	pd.Params.Machine = machine2
	plain := f.open(t, pd)
	if _, err := f.svc.Flag(ctx, plain.ID, approver2, ""); !errors.Is(err, approvals.ErrIllegal) {
		t.Errorf("review of a request that was not break-glass: %v", err)
	}
	if pending, err := f.svc.PendingReviews(ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending reviews after the review: %d, %v", len(pending), err)
	}
}

func TestAnUnreviewedBreakGlassActionIsFlaggedOverdue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, breakGlassPolicy())
	r := f.open(t, glassDraft(approvals.KindIsolate))
	if got, err := f.svc.SweepReviews(ctx); err != nil || len(got) != 0 {
		t.Fatalf("sweep before the due time flagged %d, %v", len(got), err)
	}
	f.clock.Advance(24*time.Hour + time.Second)
	got, err := f.svc.SweepReviews(ctx)
	if err != nil || len(got) != 1 || got[0].ID != r.ID || !got[0].Review.Overdue {
		t.Fatalf("sweep after the due time: %v, %v", got, err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventReviewOverdue {
		t.Errorf("last event %+v, want review_overdue", ev)
	}
	if again, _ := f.svc.SweepReviews(ctx); len(again) != 0 {
		t.Errorf("a second sweep flagged it again")
	}
	pending, err := f.svc.PendingReviews(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("an overdue review is still pending: %d, %v", len(pending), err)
	}
	res, err := f.svc.Flag(ctx, r.ID, approver2, "")
	if err != nil || res.Request.Review.State != approvals.ReviewFlagged || !res.Request.Review.Overdue {
		t.Fatalf("a late flag: %+v, %v; want flagged and still marked overdue", res.Request.Review, err)
	}
}
