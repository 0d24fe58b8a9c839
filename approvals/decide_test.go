package approvals_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
)

func TestApprove(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		kind      approvals.Kind
		state     approvals.State
		before    []string // approvals given first
		advance   time.Duration
		actor     string
		wrongFP   bool
		wantCode  approvals.Code
		wantState approvals.State
		wantExec  bool
	}{
		{name: "an approver approving a one-approval request makes it executable", kind: approvals.KindIsolate,
			actor: approver1, wantState: approvals.StateApproved, wantExec: true},
		{name: "a member of an approver group may approve", kind: approvals.KindIsolate,
			actor: approver3, wantState: approvals.StateApproved, wantExec: true},
		{name: "the first of two approvals leaves the request awaiting", kind: approvals.KindOffboard,
			actor: approver1, wantState: approvals.StateAwaiting},
		{name: "the second distinct approval makes a two-approval request executable", kind: approvals.KindOffboard,
			before: []string{approver1}, actor: approver2, wantState: approvals.StateApproved, wantExec: true},
		{name: "the same approver clicking twice counts once", kind: approvals.KindOffboard,
			before: []string{approver1}, actor: approver1, wantCode: approvals.CodeAlreadyDecided},
		{name: "the requester cannot approve their own request", kind: approvals.KindIsolate,
			actor: requester, wantCode: approvals.CodeSelfDecision},
		{name: "someone who is not an approver cannot approve", kind: approvals.KindIsolate,
			actor: outsider, wantCode: approvals.CodeNotPermitted},
		{name: "an approval carrying another fingerprint is refused", kind: approvals.KindIsolate,
			actor: approver1, wrongFP: true, wantCode: approvals.CodeFingerprint},
		{name: "an approval after the window ended is refused before the sweeper runs", kind: approvals.KindIsolate,
			advance: 30 * time.Minute, actor: approver1, wantCode: approvals.CodeExpired},
		{name: "an approval one second before the window ends counts", kind: approvals.KindIsolate,
			advance: 30*time.Minute - time.Second, actor: approver1, wantState: approvals.StateApproved, wantExec: true},
		{name: "an approval of an already approved request is refused", kind: approvals.KindIsolate,
			state: approvals.StateApproved, actor: approver2, wantCode: approvals.CodeNotAwaiting},
		{name: "an approval of a denied request is refused", kind: approvals.KindIsolate,
			state: approvals.StateDenied, actor: approver2, wantCode: approvals.CodeNotAwaiting},
		{name: "an approval of a withdrawn request is refused", kind: approvals.KindIsolate,
			state: approvals.StateWithdrawn, actor: approver1, wantCode: approvals.CodeNotAwaiting},
		{name: "an approval of an expired request is refused", kind: approvals.KindIsolate,
			state: approvals.StateExpired, actor: approver1, wantCode: approvals.CodeNotAwaiting},
		{name: "an approval of a submitted request is refused", kind: approvals.KindIsolate,
			state: approvals.StateSubmitted, actor: approver2, wantCode: approvals.CodeNotAwaiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			st := tt.state
			if st == "" {
				st = approvals.StateAwaiting
			}
			r := f.inState(t, tt.kind, st)
			for _, a := range tt.before {
				if _, err := f.svc.Approve(ctx, r.ID, a, r.Fingerprint()); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Advance(tt.advance)
			fp := r.Fingerprint()
			if tt.wrongFP {
				changed := r.Clone()
				changed.Params.Machine = machine2
				fp = changed.Fingerprint()
			}
			n := len(f.store.Events())
			res, err := f.svc.Approve(ctx, r.ID, tt.actor, fp)
			wantCode(t, err, tt.wantCode)
			if tt.wantCode != "" {
				ev := f.lastEvent(t)
				want := approvals.AuditEvent{At: f.clock.Now(), Type: approvals.EventRefused, RequestID: r.ID,
					Actor: tt.actor, Kind: r.Kind, Machine: r.Params.Machine, Code: tt.wantCode}
				if diff := cmp.Diff(want, ev, cmpIgnoreDetailAndState); diff != "" {
					t.Errorf("refusal audit event (-want +got):\n%s", diff)
				}
				if len(f.store.Events()) != n+1 {
					t.Errorf("refusal wrote %d events, want 1", len(f.store.Events())-n)
				}
				got, _ := f.svc.Get(ctx, r.ID)
				if got.State != st || len(got.Approvals()) != len(r.Approvals())+len(tt.before) {
					t.Errorf("refused approval changed the request: state %s, approvals %v", got.State, got.Approvals())
				}
				return
			}
			if res.Request.State != tt.wantState || res.Executable != tt.wantExec || !res.Changed {
				t.Errorf("got state %s executable %v changed %v, want %s %v true",
					res.Request.State, res.Executable, res.Changed, tt.wantState, tt.wantExec)
			}
		})
	}
}

var cmpIgnoreDetailAndState = cmp.FilterPath(func(p cmp.Path) bool {
	s := p.String()
	return s == "Detail" || s == "State"
}, cmp.Ignore())

func TestDeny(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		state    approvals.State
		advance  time.Duration
		actor    string
		reason   string
		wantCode approvals.Code
	}{
		{name: "an approver with a reason denies the request", actor: approver1, reason: "wrong host"},
		{name: "a denial without a reason is refused", actor: approver1, reason: "  ", wantCode: approvals.CodeReasonRequired},
		{name: "the requester cannot deny their own request", actor: requester, reason: "oops", wantCode: approvals.CodeSelfDecision},
		{name: "someone who is not an approver cannot deny", actor: outsider, reason: "no", wantCode: approvals.CodeNotPermitted},
		{name: "a denial after the window ended is refused", advance: time.Hour, actor: approver1, reason: "late", wantCode: approvals.CodeExpired},
		{name: "a denial of an approved request is refused", state: approvals.StateApproved, actor: approver2, reason: "late", wantCode: approvals.CodeNotAwaiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			st := tt.state
			if st == "" {
				st = approvals.StateAwaiting
			}
			r := f.inState(t, approvals.KindIsolate, st)
			f.clock.Advance(tt.advance)
			res, err := f.svc.Deny(ctx, r.ID, tt.actor, tt.reason)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Actor != tt.actor {
					t.Errorf("last event = %+v, want a refusal by %s", ev, tt.actor)
				}
				return
			}
			want := []approvals.Decision{{Actor: tt.actor, Verdict: approvals.Deny, Reason: tt.reason, At: f.clock.Now()}}
			if diff := cmp.Diff(want, res.Request.Decisions); diff != "" || res.Request.State != approvals.StateDenied {
				t.Errorf("state %s, decisions (-want +got):\n%s", res.Request.State, diff)
			}
			if res.Executable {
				t.Error("a denial made the request executable")
			}
		})
	}
}

func TestWithdraw(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		state    approvals.State
		advance  time.Duration
		actor    string
		wantCode approvals.Code
	}{
		{name: "the requester withdraws a pending request", actor: requester},
		{name: "an approver withdraws a pending request", actor: approver2},
		{name: "someone else cannot withdraw it", actor: outsider, wantCode: approvals.CodeNotPermitted},
		{name: "an approved request cannot be withdrawn", state: approvals.StateApproved, actor: requester, wantCode: approvals.CodeNotAwaiting},
		{name: "a request past its window cannot be withdrawn", advance: time.Hour, actor: requester, wantCode: approvals.CodeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			st := tt.state
			if st == "" {
				st = approvals.StateAwaiting
			}
			r := f.inState(t, approvals.KindIsolate, st)
			f.clock.Advance(tt.advance)
			res, err := f.svc.Withdraw(ctx, r.ID, tt.actor)
			wantCode(t, err, tt.wantCode)
			if err == nil && (res.Request.State != approvals.StateWithdrawn || res.Request.ClosedBy != tt.actor) {
				t.Errorf("state %s closed by %q, want withdrawn by %s", res.Request.State, res.Request.ClosedBy, tt.actor)
			}
			if err != nil && f.lastEvent(t).Type != approvals.EventRefused {
				t.Error("refused withdrawal was not audited")
			}
		})
	}
}

func TestApprovalRecordsWhoAndWhen(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.open(t, draft(approvals.KindOffboard))
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Approve(ctx, r.ID, approver1, r.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	res, err := f.svc.Approve(ctx, r.ID, approver3, r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	want := []approvals.Decision{
		{Actor: approver1, Verdict: approvals.Approve, At: t0.Add(time.Minute)},
		{Actor: approver3, Verdict: approvals.Approve, At: t0.Add(2 * time.Minute)},
	}
	if diff := cmp.Diff(want, res.Request.Decisions); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	var types []approvals.EventType
	for _, ev := range f.store.Events() {
		types = append(types, ev.Type)
	}
	wantTypes := []approvals.EventType{approvals.EventRequested, approvals.EventApproved, approvals.EventApproved, approvals.EventExecutable}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
}
