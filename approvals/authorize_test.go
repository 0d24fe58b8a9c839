package approvals_test

import (
	"errors"
	"testing"

	"github.com/mdebot/mdebot/approvals"
)

const auditor = "UAUD1"

func TestAuthorizeDecidesEachReadAndAuditsEveryRefusal(t *testing.T) {
	withAuditors := testPolicy()
	withAuditors.Auditors = []string{auditor, "SAUDITORS"}
	withAuditors.Requesters = []string{requester}
	withAuditors.Channels = []string{channel}
	noAuditors := testPolicy()
	for _, tc := range []struct {
		name     string
		policy   approvals.Policy
		actor    string
		channel  string
		op       approvals.Op
		want     error // nil: allowed
		wantRule approvals.Rule
	}{
		{"a requester looks up in a response channel", withAuditors, requester, channel, approvals.OpLookUp, nil, ""},
		{"an approver looks up", withAuditors, approver1, channel, approvals.OpLookUp, nil, ""},
		{"an auditor looks up", withAuditors, auditor, channel, approvals.OpLookUp, nil, ""},
		{"a group auditor looks up", withAuditors, "UGRPAUD", channel, approvals.OpLookUp, nil, ""},
		{"someone with no role cannot look up", withAuditors, outsider, channel, approvals.OpLookUp, approvals.ErrNotReader, approvals.RuleReader},
		{"nobody looks up outside the channels", withAuditors, approver1, "COTHER", approvals.OpLookUp, approvals.ErrChannel, approvals.RuleChannel},
		{"a look-up without a channel (the App Home) skips the channel rule", withAuditors, approver1, "", approvals.OpLookUp, nil, ""},
		{"an auditor reads history", withAuditors, auditor, channel, approvals.OpHistory, nil, ""},
		{"an approver is no auditor when auditors are configured", withAuditors, approver1, channel, approvals.OpHistory, approvals.ErrNotAuditor, approvals.RuleAuditor},
		{"approvers read history when no auditors are configured", noAuditors, approver1, channel, approvals.OpHistory, nil, ""},
		{"a requester cannot read history", noAuditors, requester, channel, approvals.OpHistory, approvals.ErrNotAuditor, approvals.RuleAuditor},
		{"an auditor exports", withAuditors, auditor, channel, approvals.OpExport, nil, ""},
		{"nobody exports when no auditors are configured", noAuditors, approver1, channel, approvals.OpExport, approvals.ErrNotAuditor, approvals.RuleAuditor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.policy)
			err := f.svc.Authorize(t.Context(), tc.actor, tc.channel, tc.op)
			events := f.store.Events()
			if tc.want == nil {
				if err != nil || len(events) != 0 {
					t.Fatalf("Authorize = %v with %d audit events, want allowed and nothing audited", err, len(events))
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, approvals.ErrNotPermitted) {
				t.Fatalf("Authorize = %v, want %v (a not_permitted refusal)", err, tc.want)
			}
			var ae *approvals.Error
			if !errors.As(err, &ae) || ae.Rule != tc.wantRule || ae.Op != tc.op {
				t.Fatalf("refusal = %+v, want rule %s for op %s", ae, tc.wantRule, tc.op)
			}
			if len(events) != 1 || events[0].Type != approvals.EventRefused || events[0].Actor != tc.actor ||
				events[0].Code != approvals.CodeNotPermitted {
				t.Fatalf("audit = %+v, want one not_permitted refusal of %s", events, tc.actor)
			}
		})
	}
}

func TestRuleSentinelsMatchOnlyTheirOwnRule(t *testing.T) {
	err := error(&approvals.Error{Code: approvals.CodeNotPermitted, Rule: approvals.RuleOwner, Msg: "x"})
	if !errors.Is(err, approvals.ErrNotOwner) || !errors.Is(err, approvals.ErrNotPermitted) {
		t.Error("an owner refusal does not match ErrNotOwner and ErrNotPermitted")
	}
	for _, other := range []error{approvals.ErrNotApprover, approvals.ErrNotRequester, approvals.ErrChannel,
		approvals.ErrNotReader, approvals.ErrNotAuditor, approvals.ErrSelfDecision} {
		if errors.Is(err, other) {
			t.Errorf("an owner refusal matches %v", other)
		}
	}
}

func TestAuthorizeRefusesAnOpItDoesNotDecide(t *testing.T) {
	f := newFixture(t, testPolicy())
	err := f.svc.Authorize(t.Context(), approver1, channel, approvals.OpApprove)
	wantCode(t, err, approvals.CodeInvalid)
}

func TestAGroupLookupThatFailsIsAuditedAndRefused(t *testing.T) {
	p := testPolicy()
	p.Auditors = []string{"SMISSING"}
	f := newFixture(t, p)
	err := f.svc.Authorize(t.Context(), outsider, channel, approvals.OpHistory)
	wantCode(t, err, approvals.CodeGroupLookup)
	if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Code != approvals.CodeGroupLookup || ev.Actor != outsider {
		t.Errorf("audit = %+v, want the refused history read", ev)
	}
}

func TestCheckOpenRefusesAndAuditsWhatOpenWouldBeforeAnyMachineLookup(t *testing.T) {
	p := testPolicy()
	p.Requesters = []string{requester}
	p.Channels = []string{channel}
	with := func(change func(d *approvals.Draft)) approvals.Draft {
		d := draft(approvals.KindIsolate)
		change(&d)
		return d
	}
	for _, tc := range []struct {
		name string
		d    approvals.Draft
		want error
	}{
		{"an allowed requester in a response channel", with(func(*approvals.Draft) {}), nil},
		{"someone not a requester", with(func(d *approvals.Draft) { d.Requester = outsider }), approvals.ErrNotRequester},
		{"another channel", with(func(d *approvals.Draft) { d.Channel = "COTHER" }), approvals.ErrChannel},
		{"an unknown kind", with(func(d *approvals.Draft) { d.Kind = "reboot" }), approvals.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, p)
			err := f.svc.CheckOpen(t.Context(), tc.d)
			events := f.store.Events()
			if tc.want == nil {
				if err != nil || len(events) != 0 {
					t.Fatalf("CheckOpen = %v with %d events, want allowed and nothing audited", err, len(events))
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckOpen = %v, want %v", err, tc.want)
			}
			if len(events) != 1 || events[0].Type != approvals.EventRefused || events[0].Kind != tc.d.Kind || events[0].Actor != tc.d.Requester {
				t.Fatalf("audit = %+v, want one refusal of the %s", events, tc.d.Kind)
			}
			if _, err := f.svc.Open(t.Context(), tc.d); !errors.Is(err, tc.want) {
				t.Errorf("Open = %v, want the same refusal %v", err, tc.want)
			}
		})
	}
}

func TestFindReadsByRequestOrActionIDAndAuditsAMiss(t *testing.T) {
	f := newFixture(t, testPolicy())
	r := f.inState(t, approvals.KindIsolate, approvals.StateSubmitted)
	for _, id := range []string{r.ID, r.ActionID} {
		got, err := f.svc.Find(t.Context(), approver1, approvals.OpCancel, id)
		if err != nil || got.ID != r.ID {
			t.Fatalf("Find(%s) = %v, %v; want %s", id, got, err, r.ID)
		}
	}
	before := len(f.store.Events())
	_, err := f.svc.Find(t.Context(), approver1, approvals.OpCancel, "R-FORGED")
	wantCode(t, err, approvals.CodeNotFound)
	if ev := f.lastEvent(t); len(f.store.Events()) != before+1 || ev.Type != approvals.EventRefused ||
		ev.Code != approvals.CodeNotFound || ev.RequestID != "R-FORGED" || ev.Detail != "cancel: request not found" {
		t.Errorf("audit = %+v, want the refused cancel of R-FORGED", ev)
	}
	// mdebot's own reads (no actor) audit nothing.
	before = len(f.store.Events())
	if _, err := f.svc.Find(t.Context(), "", approvals.OpLookUp, "R-NONE"); !errors.Is(err, approvals.ErrNotFound) {
		t.Fatalf("Find = %v, want ErrNotFound", err)
	}
	if n := len(f.store.Events()); n != before {
		t.Errorf("a system read audited %d events", n-before)
	}
}

func TestCheckDenyAppliesTheDenialRulesWithoutDeciding(t *testing.T) {
	for _, tc := range []struct {
		name  string
		actor string
		want  approvals.Code
	}{
		{"an approver may go on to give a reason", approver1, ""},
		{"the requester cannot", requester, approvals.CodeSelfDecision},
		{"someone with no role cannot", outsider, approvals.CodeNotPermitted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			r := f.open(t, draft(approvals.KindIsolate))
			before := len(f.store.Events())
			got, err := f.svc.CheckDeny(t.Context(), r.ID, tc.actor)
			wantCode(t, err, tc.want)
			after, _ := f.svc.Get(t.Context(), r.ID)
			if after.State != approvals.StateAwaiting || len(after.Decisions) != 0 {
				t.Fatalf("CheckDeny decided: %s %+v", after.State, after.Decisions)
			}
			events := f.store.Events()[before:]
			if tc.want == "" {
				if got == nil || got.ID != r.ID || len(events) != 0 {
					t.Fatalf("CheckDeny = %v with %d events, want the request and nothing audited", got, len(events))
				}
				return
			}
			if len(events) != 1 || events[0].Type != approvals.EventRefused || events[0].Code != tc.want {
				t.Fatalf("audit = %+v, want one %s refusal", events, tc.want)
			}
		})
	}
	f := newFixture(t, testPolicy())
	if _, err := f.svc.CheckDeny(t.Context(), "R-FORGED", approver1); !errors.Is(err, approvals.ErrNotFound) {
		t.Fatalf("CheckDeny of a forged id = %v, want ErrNotFound", err)
	}
	if ev := f.lastEvent(t); ev.Code != approvals.CodeNotFound || ev.Actor != approver1 {
		t.Errorf("audit = %+v, want the refused deny", ev)
	}
}

func TestThePackageLinkIsForTheRequesterAndTheApproversAndItsShowingIsAudited(t *testing.T) {
	f := newFixture(t, testPolicy())
	r := f.inState(t, approvals.KindCollect, approvals.StateSubmitted)
	for _, who := range []string{requester, approver1, approver3} {
		if got, err := f.svc.AuthorizePackageLink(t.Context(), r.ID, who); err != nil || got.ID != r.ID {
			t.Errorf("%s: AuthorizePackageLink = %v, %v; want allowed", who, got, err)
		}
	}
	before := len(f.store.Events())
	_, err := f.svc.AuthorizePackageLink(t.Context(), r.ID, outsider)
	if !errors.Is(err, approvals.ErrNotOwner) {
		t.Fatalf("an outsider: AuthorizePackageLink = %v, want ErrNotOwner", err)
	}
	var ae *approvals.Error
	if errors.As(err, &ae); ae.Op != approvals.OpPackageLink || ae.RequestID != r.ID {
		t.Errorf("refusal = %+v, want the package link of %s", ae, r.ID)
	}
	if ev := f.lastEvent(t); len(f.store.Events()) != before+1 || ev.Type != approvals.EventRefused ||
		ev.RequestID != r.ID || ev.Kind != approvals.KindCollect || ev.Actor != outsider {
		t.Errorf("audit = %+v, want the refused package link", ev)
	}
	if err := f.svc.RecordPackageLink(t.Context(), r, approver1); err != nil {
		t.Fatal(err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventPackageLink || ev.RequestID != r.ID || ev.Actor != approver1 {
		t.Errorf("audit = %+v, want the link shown to %s", ev, approver1)
	}
}

func TestExportsAndDryRunsAreRecordedInTheAuditLog(t *testing.T) {
	f := newFixture(t, testPolicy())
	if err := f.svc.RecordExport(t.Context(), auditor, "csv, 3 requests"); err != nil {
		t.Fatal(err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventExported || ev.Actor != auditor || ev.Detail != "csv, 3 requests" {
		t.Errorf("audit = %+v, want the export", ev)
	}
	r := f.inState(t, approvals.KindIsolate, approvals.StateApproved)
	if err := f.svc.RecordDryRun(t.Context(), r, "not sent"); err != nil {
		t.Fatal(err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventDryRun || ev.RequestID != r.ID || ev.Actor != approvals.SystemActor {
		t.Errorf("audit = %+v, want the dry run by %s", ev, approvals.SystemActor)
	}
}

func TestKindsNameTheirMDEActionAndWhetherTheyAreDisruptive(t *testing.T) {
	for _, k := range approvals.Kinds() {
		if (k.ActionType() == "") != !k.TargetsMachine() {
			t.Errorf("%s: ActionType %q, TargetsMachine %v", k, k.ActionType(), k.TargetsMachine())
		}
	}
	for k, want := range map[approvals.Kind]bool{approvals.KindIsolate: true, approvals.KindUnisolate: false,
		approvals.KindScan: false, approvals.KindOffboard: true, approvals.KindBlock: true, approvals.KindUnblock: false} {
		if k.Disruptive() != want {
			t.Errorf("%s.Disruptive() = %v, want %v", k, !want, want)
		}
	}
}
