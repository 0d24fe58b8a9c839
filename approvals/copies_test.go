package approvals_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

func TestEligibleApproversFollowTheRulesAndLeaveOutTheRequester(t *testing.T) {
	ctx := context.Background()
	f := ruleFixture(t)
	plain := f.open(t, draft(approvals.KindIsolate))
	got, err := f.svc.Eligible(ctx, plain)
	if want := []string{approver1, approver2, approver3}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Eligible(no rule) = %v, %v; want %v", got, err, want)
	}
	d := draft(approvals.KindIsolate)
	d.Params.Machine = machine2
	d.Facts = approvals.MachineFacts{Group: "Tier0-Servers", Tags: []string{"VIP"}}
	both := f.open(t, d)
	got, err = f.svc.Eligible(ctx, both)
	if want := []string{approver1}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Eligible(Tier0 and VIP) = %v, %v; want %v (in both lists)", got, err, want)
	}
}

func TestACopyIsStoredOnceAndAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.open(t, draft(approvals.KindIsolate))
	c := approvals.Card{Channel: "DUAPP1", TS: "1.1"}
	res, err := f.svc.AddCopy(ctx, r.ID, c)
	if err != nil || !slices.Equal(res.Request.Copies, []approvals.Card{c}) {
		t.Fatalf("AddCopy: %v, %v", res.Request.Copies, err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventCardCopied {
		t.Errorf("last event %+v", ev)
	}
	if res, err := f.svc.AddCopy(ctx, r.ID, c); err != nil || res.Changed {
		t.Errorf("a repeated copy changed the request: %v", err)
	}
}

func TestARequestUndecidedAfterEscalateAfterIsEscalatedOnce(t *testing.T) {
	ctx := context.Background()
	p := testPolicy()
	p.TTL, p.EscalateAfter = time.Hour, 10*time.Minute
	f := newFixture(t, p)
	r := f.open(t, draft(approvals.KindIsolate))
	if due, err := f.svc.DueEscalations(ctx); err != nil || len(due) != 0 {
		t.Fatalf("due at once: %d, %v", len(due), err)
	}
	f.clock.Advance(10 * time.Minute)
	due, err := f.svc.DueEscalations(ctx)
	if err != nil || len(due) != 1 || due[0].ID != r.ID {
		t.Fatalf("due after 10m: %v, %v", due, err)
	}
	res, err := f.svc.MarkEscalated(ctx, r.ID, "S0ONCALL")
	if err != nil || !res.Changed || !res.Request.Escalated.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("MarkEscalated: %+v, %v", res, err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventEscalated {
		t.Errorf("last event %+v", ev)
	}
	if res, _ := f.svc.MarkEscalated(ctx, r.ID, "S0ONCALL"); res.Changed {
		t.Error("escalated twice")
	}
	if due, _ := f.svc.DueEscalations(ctx); len(due) != 0 {
		t.Errorf("still due after the escalation: %d", len(due))
	}
}
