package approvals_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

// machineN is the n-th of a set of test machine ids.
func machineN(n int) mde.MachineID { return mde.MachineID(fmt.Sprintf("%040x", 0xb000+n)) }

func bulkDraft(k approvals.Kind, n int) approvals.Draft {
	d := draft(k)
	d.Params.Machine, d.Params.MachineName = "", ""
	for i := range n {
		d.Targets = append(d.Targets, approvals.Target{Machine: machineN(i), Name: fmt.Sprintf("ws-%04d", i)})
	}
	return d
}

func TestBulkOpenNeedsOneMoreApprovalOverTheThreshold(t *testing.T) {
	f := newFixture(t, approvals.Policy{Approvers: []string{approver1, approver2}, BulkExtraApprovalOver: 10})
	small := f.open(t, bulkDraft(approvals.KindIsolate, 10))
	if small.Required != 1 || !small.Bulk() || small.Target() != "10 machines" {
		t.Fatalf("10 machines: required %d, bulk %v, target %q; want 1, true, \"10 machines\"", small.Required, small.Bulk(), small.Target())
	}
	f2 := newFixture(t, approvals.Policy{Approvers: []string{approver1, approver2}})
	big := f2.open(t, bulkDraft(approvals.KindIsolate, 11))
	if big.Required != 2 {
		t.Fatalf("11 machines (default threshold 10): required %d, want 2", big.Required)
	}
	// Scans need none alone; over the threshold, one.
	scan := f2.open(t, bulkDraft(approvals.KindScan, 11))
	if scan.Required != 1 || scan.State != approvals.StateAwaiting {
		t.Fatalf("bulk scan of 11: required %d, state %s; want 1, awaiting", scan.Required, scan.State)
	}
}

func TestBulkOpenRefusesOverTheCapAndBadSets(t *testing.T) {
	f := newFixture(t, approvals.Policy{Approvers: []string{approver1}, MaxMachines: 5})
	_, err := f.svc.Open(context.Background(), bulkDraft(approvals.KindIsolate, 6))
	e := wantCode(t, err, approvals.CodeInvalid)
	if !strings.Contains(e.Msg, "policy.max_machines: 5") || !strings.Contains(e.Msg, "6 machines") {
		t.Errorf("refusal %q does not name the count and the cap", e.Msg)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventRefused {
		t.Errorf("last event %s, want the refusal audited", ev.Type)
	}

	dup := bulkDraft(approvals.KindIsolate, 3)
	dup.Targets[2].Machine = dup.Targets[0].Machine
	_, err = f.svc.Open(context.Background(), dup)
	wantCode(t, err, approvals.CodeInvalid)

	off := bulkDraft(approvals.KindOffboard, 2)
	_, err = f.svc.Open(context.Background(), off)
	e = wantCode(t, err, approvals.CodeInvalid)
	if !strings.Contains(e.Msg, "one machine at a time") {
		t.Errorf("offboard refusal %q", e.Msg)
	}
}

func TestBulkApprovalIsBoundToTheExactSet(t *testing.T) {
	f := newFixture(t, testPolicy())
	r := f.open(t, bulkDraft(approvals.KindIsolate, 3))
	other := r.Clone()
	other.Targets = other.Targets[:2]
	if other.Fingerprint() == r.Fingerprint() {
		t.Fatal("the fingerprint does not cover the machines")
	}
	_, err := f.svc.Approve(context.Background(), r.ID, approver1, other.Fingerprint())
	wantCode(t, err, approvals.CodeFingerprint)
	res, err := f.svc.Approve(context.Background(), r.ID, approver1, r.Fingerprint())
	if err != nil || !res.Executable {
		t.Fatalf("approve: executable %v, %v", res.Executable, err)
	}
}

func TestBulkReusesOwnLiveActionAndRefusesAnOppositeOne(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	// A single isolate of machine 1, running in MDE.
	single := draft(approvals.KindIsolate)
	single.Params.Machine, single.Params.MachineName = machineN(1), "ws-0001"
	one := f.open(t, single)
	if _, err := f.svc.Approve(ctx, one.ID, approver1, one.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkSubmitting(ctx, one.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkSubmitted(ctx, one.ID, "a-1"); err != nil {
		t.Fatal(err)
	}
	bulk := f.open(t, bulkDraft(approvals.KindIsolate, 3))
	tg := bulk.TargetFor(machineN(1))
	if tg.Owner != approvals.OwnerReused || tg.OwnerRequest != one.ID || tg.ActionID != "a-1" {
		t.Fatalf("machine 1: %+v; want it reusing %s's action a-1", *tg, one.ID)
	}
	if got := bulk.ActionIDs(); len(got) != 0 {
		t.Errorf("a reused action is indexed as the bulk request's own: %v", got)
	}
	// A release of machine 2 is live: a bulk isolate naming it is refused.
	rel := draft(approvals.KindUnisolate)
	rel.Params.Machine = machineN(5)
	relReq := f.open(t, rel)
	d := bulkDraft(approvals.KindIsolate, 6)
	d.Targets = d.Targets[4:] // machines 4 and 5
	_, err := f.svc.Open(ctx, d)
	e := wantCode(t, err, approvals.CodeConflict)
	if e.Existing != relReq.ID || !strings.Contains(e.Msg, "ws-0005") {
		t.Errorf("conflict %+v: want it to name %s and ws-0005", e, relReq.ID)
	}
	// While the bulk request is live, a single request on one of its
	// machines is refused.
	s3 := draft(approvals.KindUnisolate)
	s3.Params.Machine = machineN(2)
	_, err = f.svc.Open(ctx, s3)
	if e := wantCode(t, err, approvals.CodeConflict); e.Existing != bulk.ID {
		t.Errorf("single on a bulk machine: existing %s, want %s", e.Existing, bulk.ID)
	}
}

func TestBulkLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.open(t, bulkDraft(approvals.KindIsolate, 4))
	if _, err := f.svc.Approve(ctx, r.ID, approver1, r.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	all := []mde.MachineID{machineN(0), machineN(1), machineN(2), machineN(3)}
	// Single-machine transitions refuse a bulk request.
	_, err := f.svc.MarkSubmitting(ctx, r.ID)
	wantCode(t, err, approvals.CodeIllegal)

	res, err := f.svc.MarkTargetsSubmitting(ctx, r.ID, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range res.Request.Targets {
		if !tg.Unsure() {
			t.Fatalf("target %s not marked as being sent: %+v", tg.Machine, tg)
		}
	}
	again, err := f.svc.MarkTargetsSubmitting(ctx, r.ID, all)
	if err != nil || again.Changed {
		t.Fatalf("marking again: changed %v, %v; want unchanged", again.Changed, err)
	}
	res, err = f.svc.MarkTargetsSent(ctx, r.ID, []approvals.TargetResult{
		{Machine: machineN(0), ActionID: "a-0", Status: mde.StatusPending},
		{Machine: machineN(1), ActionID: "a-1"},
		{Machine: machineN(2), Error: "Defender refused: unsupported OS"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Request.State != approvals.StateApproved {
		t.Fatalf("state %s with machine 3 unsure; want approved", res.Request.State)
	}
	res, err = f.svc.MarkTargetsSent(ctx, r.ID, []approvals.TargetResult{
		{Machine: machineN(3), ActionID: "a-3", Owner: approvals.OwnerForeign, Requestor: "soc@contoso.com", Status: mde.StatusInProgress},
	})
	if err != nil {
		t.Fatal(err)
	}
	r = res.Request
	if r.State != approvals.StateSubmitted {
		t.Fatalf("state %s after every machine was sent or refused; want submitted", r.State)
	}
	if got := strings.Join(r.ActionIDs(), ","); got != "a-0,a-1" {
		t.Errorf("own action ids %q, want a-0,a-1 (the foreign one is followed, not owned)", got)
	}
	if got := r.CountsText(); got != "2 Pending · 1 NotSent · 1 InProgress of 4" {
		t.Errorf("counts %q", got)
	}
	// One batch of statuses is one change.
	res, err = f.svc.RecordTargetStatuses(ctx, r.ID, []approvals.TargetStatus{
		{ActionID: "a-0", Status: mde.StatusSucceeded},
		{ActionID: "A-1", Status: mde.StatusFailed, Detail: "device unreachable"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Request.State != approvals.StateSubmitted || res.Request.TargetFor(machineN(1)).Error != "device unreachable" {
		t.Fatalf("after a batch: %s, machine 1 %+v", res.Request.State, *res.Request.TargetFor(machineN(1)))
	}
	// Someone else's action cannot be cancelled through mdebot.
	_, err = f.svc.CancelTarget(ctx, r.ID, "a-3", approver1, "")
	wantCode(t, err, approvals.CodeIllegal)
	res, err = f.svc.RecordTargetStatuses(ctx, r.ID, []approvals.TargetStatus{{ActionID: "a-3", Status: mde.StatusSucceeded}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Request; r.State != approvals.StateFailed || r.Error != "2 of 4 machines did not succeed" {
		t.Fatalf("final: %s %q; want failed, 2 of 4", r.State, r.Error)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventFinished {
		t.Errorf("last event %s, want finished", ev.Type)
	}
	// The store finds the request by each of its own actions.
	got, err := f.store.ByActionID(ctx, "a-1")
	if err != nil || got.ID != r.ID {
		t.Errorf("ByActionID(a-1) = %v, %v", got, err)
	}
}

func TestBulkCancelAllAndOne(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.open(t, bulkDraft(approvals.KindIsolate, 3))
	if _, err := f.svc.Approve(ctx, r.ID, approver1, r.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkTargetsSubmitting(ctx, r.ID, []mde.MachineID{machineN(0), machineN(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkTargetsSent(ctx, r.ID, []approvals.TargetResult{{Machine: machineN(0), ActionID: "a-0"}}); err != nil {
		t.Fatal(err)
	}
	// Machine 0 runs; 1 is being sent; 2 waits. Only its requester or an
	// approver may cancel one machine.
	_, err := f.svc.CancelTarget(ctx, r.ID, "a-0", outsider, "")
	wantCode(t, err, approvals.CodeNotPermitted)
	res, err := f.svc.CancelTarget(ctx, r.ID, "a-0", requester, "wrong host")
	if err != nil || res.Request.TargetFor(machineN(0)).CancelRequested != requester {
		t.Fatalf("cancel one: %v, %+v", err, res.Request.TargetFor(machineN(0)))
	}
	res, err = f.svc.Cancel(ctx, r.ID, approver1, "false positive")
	if err != nil {
		t.Fatal(err)
	}
	r = res.Request
	if t2 := r.TargetFor(machineN(2)); t2.Status != mde.StatusCancelled || !t2.Final() {
		t.Errorf("machine 2 (never sent) after cancel all: %+v; want cancelled", *t2)
	}
	if t1 := r.TargetFor(machineN(1)); t1.CancelRequested != approver1 || t1.Final() {
		t.Errorf("machine 1 (being sent): %+v; want a cancel requested, not final", *t1)
	}
	if r.State != approvals.StateApproved || r.CancelRequested != approver1 {
		t.Fatalf("state %s, cancel requested %q", r.State, r.CancelRequested)
	}
	// Recovery finds no action for machine 1; MDE cancels machine 0.
	if _, err := f.svc.MarkTargetsSent(ctx, r.ID, []approvals.TargetResult{{Machine: machineN(1), NotSent: true, Error: "not sent: cancelled while being sent"}}); err != nil {
		t.Fatal(err)
	}
	res, err = f.svc.RecordTargetStatuses(ctx, r.ID, []approvals.TargetStatus{{ActionID: "a-0", Status: mde.StatusCancelled}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Request.State != approvals.StateCancelled || res.Request.ClosedBy != approver1 {
		t.Fatalf("final %s closed by %q; want cancelled by %s", res.Request.State, res.Request.ClosedBy, approver1)
	}
}

func TestBulkPolicyRulesApplyPerMachineStrictestWins(t *testing.T) {
	p := approvals.Policy{Approvers: []string{approver1, approver2}, Rules: []approvals.DeviceRule{
		{Name: "Kiosk", Tags: []string{"kiosk"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: 0}},
		{Name: "Tier0", Groups: []string{"Tier0"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: 2}, Approvers: []string{approver2}},
	}}
	f := newFixture(t, p)
	kiosks := bulkDraft(approvals.KindIsolate, 3)
	for i := range kiosks.Targets {
		kiosks.Targets[i].Facts.Tags = []string{"kiosk"}
	}
	if r := f.open(t, kiosks); r.Required != 0 || r.State != approvals.StateApproved {
		t.Errorf("3 kiosks: required %d, state %s; want 0, approved", r.Required, r.State)
	}
	mixed := bulkDraft(approvals.KindIsolate, 3)
	mixed.Targets = []approvals.Target{{Machine: machineN(10), Facts: approvals.MachineFacts{Tags: []string{"kiosk"}}}, {Machine: machineN(11)}}
	if r := f.open(t, mixed); r.Required != 1 {
		t.Errorf("a kiosk and a plain machine: required %d; want 1 (the kiosk rule lowers it for the kiosk only)", r.Required)
	}
	tier0 := bulkDraft(approvals.KindIsolate, 3)
	tier0.Targets = []approvals.Target{{Machine: machineN(20)}, {Machine: machineN(21), Facts: approvals.MachineFacts{Group: "Tier0"}}}
	r := f.open(t, tier0)
	if r.Required != 2 || r.RuleOutcome() != "Tier0: 2 approvals from "+approver2 {
		t.Fatalf("with a Tier0 machine: required %d, rules %q; want 2 from %s", r.Required, r.RuleOutcome(), approver2)
	}
	_, err := f.svc.Approve(context.Background(), r.ID, approver1, r.Fingerprint())
	wantCode(t, err, approvals.CodeNotPermitted)
}

func TestOpenWithAKeyOpensOneRequestPerKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	d := bulkDraft(approvals.KindIsolate, 2)
	d.Key = "slack-command/1337.42"
	first, err := f.svc.Open(ctx, d)
	if err != nil || !first.Changed {
		t.Fatalf("first open: %v, changed %v", err, first.Changed)
	}
	again, err := f.svc.Open(ctx, d)
	if err != nil || again.Changed || again.Request.ID != first.Request.ID {
		t.Fatalf("second open with the key: %+v, %v; want the first request, unchanged", again, err)
	}
	other := d
	other.Key = "slack-command/1337.43"
	other.Targets = bulkDraft(approvals.KindIsolate, 4).Targets[2:]
	if res, err := f.svc.Open(ctx, other); err != nil || res.Request.ID == first.Request.ID {
		t.Fatalf("another key: %v, %v; want a request of its own", res.Request, err)
	}
	// Someone else's draft that happens to carry the key is not the same
	// command.
	forged := d
	forged.Requester = approver1
	_, err = f.svc.Open(ctx, forged)
	wantCode(t, err, approvals.CodeDuplicateID)
}
