package approvals_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

func TestExecutionLifecycle(t *testing.T) {
	ctx := context.Background()
	type op func(f *fixture, id string) (approvals.Result, error)
	submit := func(action string) op {
		return func(f *fixture, id string) (approvals.Result, error) { return f.svc.MarkSubmitted(ctx, id, action) }
	}
	status := func(s mde.ActionStatus, detail string) op {
		return func(f *fixture, id string) (approvals.Result, error) { return f.svc.RecordStatus(ctx, id, s, detail) }
	}
	fail := func(f *fixture, id string) (approvals.Result, error) {
		return f.svc.MarkFailed(ctx, id, "400 ActiveRequestAlreadyExists", approvals.Note{Kind: approvals.NoteSubmitFailed, Text: "400 ActiveRequestAlreadyExists"})
	}
	cancelBy := func(actor string) op {
		return func(f *fixture, id string) (approvals.Result, error) {
			return f.svc.Cancel(ctx, id, actor, "no longer needed")
		}
	}
	tests := []struct {
		name        string
		from        approvals.State
		op          op
		wantCode    approvals.Code
		wantState   approvals.State
		wantChanged bool
		check       func(t *testing.T, r *approvals.Request)
	}{
		{name: "an approved request is submitted with its MDE action id", from: approvals.StateApproved, op: submit("act-9"),
			wantState: approvals.StateSubmitted, wantChanged: true,
			check: func(t *testing.T, r *approvals.Request) {
				if r.ActionID != "act-9" {
					t.Errorf("action id %q", r.ActionID)
				}
			}},
		{name: "submitting again with the same action id changes nothing", from: approvals.StateSubmitted, op: submit("act-1"),
			wantState: approvals.StateSubmitted},
		{name: "submitting with another action id is refused", from: approvals.StateSubmitted, op: submit("act-2"), wantCode: approvals.CodeIllegal},
		{name: "a request awaiting approval cannot be submitted", from: approvals.StateAwaiting, op: submit("act-1"), wantCode: approvals.CodeIllegal},
		{name: "a cancelled request cannot be submitted", from: approvals.StateCancelled, op: submit("act-1"), wantCode: approvals.CodeIllegal},
		{name: "an approved request MDE refused becomes failed", from: approvals.StateApproved, op: fail,
			wantState: approvals.StateFailed, wantChanged: true,
			check: func(t *testing.T, r *approvals.Request) {
				if r.Error != "400 ActiveRequestAlreadyExists" {
					t.Errorf("error text %q", r.Error)
				}
			}},
		{name: "a submitted request cannot be marked as refused", from: approvals.StateSubmitted, op: fail, wantCode: approvals.CodeIllegal},
		{name: "an InProgress status keeps it submitted", from: approvals.StateSubmitted, op: status(mde.StatusInProgress, ""),
			wantState: approvals.StateSubmitted, wantChanged: true},
		{name: "an unknown status keeps it submitted", from: approvals.StateSubmitted, op: status("Paused", ""),
			wantState: approvals.StateSubmitted, wantChanged: true},
		{name: "a Succeeded status ends it as succeeded", from: approvals.StateSubmitted, op: status(mde.StatusSucceeded, ""),
			wantState: approvals.StateSucceeded, wantChanged: true},
		{name: "a Failed status ends it as failed with the error text", from: approvals.StateSubmitted, op: status(mde.StatusFailed, "device offline"),
			wantState: approvals.StateFailed, wantChanged: true,
			check: func(t *testing.T, r *approvals.Request) {
				if r.Error != "device offline" || r.MDEStatus != mde.StatusFailed {
					t.Errorf("error %q status %s", r.Error, r.MDEStatus)
				}
			}},
		{name: "a TimeOut status ends it as timed out", from: approvals.StateSubmitted, op: status(mde.StatusTimeOut, ""),
			wantState: approvals.StateTimedOut, wantChanged: true},
		{name: "a Cancelled status ends it as cancelled", from: approvals.StateSubmitted, op: status(mde.StatusCancelled, ""),
			wantState: approvals.StateCancelled, wantChanged: true},
		{name: "a repeated terminal status changes nothing", from: approvals.StateSucceeded, op: status(mde.StatusSucceeded, ""),
			wantState: approvals.StateSucceeded},
		{name: "a different status after the end is refused", from: approvals.StateSucceeded, op: status(mde.StatusFailed, ""), wantCode: approvals.CodeIllegal},
		{name: "a status for a request never submitted is refused", from: approvals.StateApproved, op: status(mde.StatusPending, ""), wantCode: approvals.CodeIllegal},
		{name: "an empty status is refused", from: approvals.StateSubmitted, op: status("", ""), wantCode: approvals.CodeInvalid},
		{name: "the requester cancels an approved request before submission", from: approvals.StateApproved, op: cancelBy(requester),
			wantState: approvals.StateCancelled, wantChanged: true},
		{name: "an approver's cancel of a submitted request is recorded for MDE", from: approvals.StateSubmitted, op: cancelBy(approver2),
			wantState: approvals.StateSubmitted, wantChanged: true,
			check: func(t *testing.T, r *approvals.Request) {
				if r.CancelRequested != approver2 {
					t.Errorf("cancel requested by %q", r.CancelRequested)
				}
			}},
		{name: "someone else cannot cancel", from: approvals.StateApproved, op: cancelBy(outsider), wantCode: approvals.CodeNotPermitted},
		{name: "a request awaiting approval is withdrawn, not cancelled", from: approvals.StateAwaiting, op: cancelBy(requester), wantCode: approvals.CodeIllegal},
		{name: "a finished request cannot be cancelled", from: approvals.StateTimedOut, op: cancelBy(requester), wantCode: approvals.CodeIllegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			r := f.inState(t, approvals.KindIsolate, tt.from)
			before := len(f.store.Events())
			res, err := tt.op(f, r.ID)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				got, _ := f.svc.Get(ctx, r.ID)
				if diff := cmp.Diff(r, got); diff != "" {
					t.Errorf("refused operation changed the request:\n%s", diff)
				}
				if tt.wantCode != approvals.CodeInvalid && f.lastEvent(t).Type != approvals.EventRefused {
					t.Error("refusal not audited")
				}
				return
			}
			if res.Request.State != tt.wantState || res.Changed != tt.wantChanged || res.Executable {
				t.Errorf("state %s changed %v executable %v, want %s %v false", res.Request.State, res.Changed, res.Executable, tt.wantState, tt.wantChanged)
			}
			if wrote := len(f.store.Events()) - before; (wrote > 0) != tt.wantChanged {
				t.Errorf("wrote %d audit events, changed %v", wrote, tt.wantChanged)
			}
			if tt.check != nil {
				tt.check(t, res.Request)
			}
		})
	}
}

func TestStatusHistoryKeepsEachStatusOnceWithItsTime(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.inState(t, approvals.KindIsolate, approvals.StateSubmitted)
	seq := []mde.ActionStatus{mde.StatusPending, mde.StatusPending, mde.StatusInProgress,
		mde.StatusInProgress, mde.StatusSucceeded, mde.StatusSucceeded}
	for i, s := range seq {
		f.clock.Advance(1e9)
		if _, err := f.svc.RecordStatus(ctx, r.ID, s, ""); err != nil {
			t.Fatalf("status %d (%s): %v", i, s, err)
		}
	}
	got, _ := f.svc.Get(ctx, r.ID)
	want := []approvals.StatusChange{
		{At: f.clock.Now().Add(-5e9), Status: mde.StatusPending},
		{At: f.clock.Now().Add(-3e9), Status: mde.StatusInProgress},
		{At: f.clock.Now().Add(-1e9), Status: mde.StatusSucceeded},
	}
	if diff := cmp.Diff(want, got.StatusHistory); diff != "" {
		t.Errorf("status history (-want +got):\n%s", diff)
	}
}

func TestSetCardStoresTheCardLocation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.open(t, draft(approvals.KindIsolate))
	c := approvals.Card{Channel: channel, TS: "1700000000.000100"}
	res, err := f.svc.SetCard(ctx, r.ID, c)
	if err != nil || res.Request.Card != c || !res.Changed {
		t.Fatalf("SetCard = %+v, %v", res, err)
	}
	if res, _ = f.svc.SetCard(ctx, r.ID, c); res.Changed {
		t.Error("setting the same card again reported a change")
	}
}

func TestAnAttemptOnAnUnknownRequestIsRefusedAndAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	_, err := f.svc.Approve(ctx, "R-NOPE", approver1, "x")
	wantCode(t, err, approvals.CodeNotFound)
	want := approvals.AuditEvent{At: t0, Type: approvals.EventRefused, RequestID: "R-NOPE", Actor: approver1,
		Code: approvals.CodeNotFound, Detail: "approve: request not found"}
	if diff := cmp.Diff(want, f.lastEvent(t)); diff != "" {
		t.Errorf("refusal audit (-want +got):\n%s", diff)
	}
	_, err = f.svc.Get(ctx, "R-NOPE")
	wantCode(t, err, approvals.CodeNotFound)
}

func TestAnApprovedBlockOrUnblockCannotBeCancelledWhileDefenderAppliesIt(t *testing.T) {
	ctx := context.Background()
	for _, k := range []approvals.Kind{approvals.KindBlock, approvals.KindUnblock} {
		t.Run(string(k), func(t *testing.T) {
			f := newFixture(t, testPolicy())
			r := f.inState(t, k, approvals.StateApproved)
			_, err := f.svc.Cancel(ctx, r.ID, requester, "changed my mind")
			wantCode(t, err, approvals.CodeIllegal)
			if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Actor != requester {
				t.Errorf("last event %+v, want the refusal audited", ev)
			}
			// The indicator call in flight is recorded as it completes.
			res, err := f.svc.MarkSubmitted(ctx, r.ID, "indicator-1")
			if err != nil || res.Request.State != approvals.StateSubmitted {
				t.Fatalf("MarkSubmitted after the refused cancel = %v, %v; want submitted", res.Request, err)
			}
		})
	}
}
