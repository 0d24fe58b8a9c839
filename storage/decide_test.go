package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

func TestConcurrentDecisionsExecuteExactlyOnce(t *testing.T) {
	ctx := context.Background()
	distinct := func(i int) string { return approverIDs(100)[i] }
	same := func(int) string { return "UAPP007" }
	twoAlternating := func(i int) string { return approverIDs(2)[i%2] }
	tests := []struct {
		name          string
		kind          approvals.Kind
		actor         func(i int) string
		wantExec      int
		wantApprovals int
	}{
		{"100 distinct approvers on a one-approval request make it executable once", approvals.KindIsolate, distinct, 1, 1},
		{"one approver clicking 100 times on a one-approval request makes it executable once", approvals.KindIsolate, same, 1, 1},
		{"100 distinct approvers on a two-approval request make it executable once", approvals.KindOffboard, distinct, 1, 2},
		{"two approvers clicking 50 times each on a two-approval request make it executable once", approvals.KindOffboard, twoAlternating, 1, 2},
		{"one approver clicking 100 times on a two-approval request counts once and never executes", approvals.KindOffboard, same, 0, 1},
	}
	for _, b := range backends {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel() // each on its own store: the fsyncs overlap
				db := b.newStore(t)()
				c := &clock{t: t0}
				svc := newService(t, db, c.Now)
				r := mustOpen(t, svc, draft(tt.kind, machineID(1)))
				var (
					wg                 sync.WaitGroup
					mu                 sync.Mutex
					executable, counts int
					codes              = map[approvals.Code]int{}
				)
				start := make(chan struct{})
				for i := range 100 {
					wg.Go(func() {
						<-start
						res, err := svc.Approve(ctx, r.ID, tt.actor(i), r.Fingerprint())
						mu.Lock()
						defer mu.Unlock()
						var e *approvals.Error
						switch {
						case err == nil:
							counts++
							if res.Executable {
								executable++
							}
						case errors.As(err, &e):
							codes[e.Code]++
						default:
							t.Errorf("approve %d: %v", i, err)
						}
					})
				}
				close(start)
				wg.Wait()
				if executable != tt.wantExec || counts != tt.wantApprovals {
					t.Errorf("%d executable results and %d counted approvals, want %d and %d (refusals %v)",
						executable, counts, tt.wantExec, tt.wantApprovals, codes)
				}
				got, err := db.Get(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(got.Approvals()); n != tt.wantApprovals {
					t.Errorf("stored request has %d approvals, want %d", n, tt.wantApprovals)
				}
				events, err := db.RequestAudit(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				kinds := map[approvals.EventType]int{}
				for _, ev := range events {
					kinds[ev.Type]++
				}
				want := map[approvals.EventType]int{approvals.EventRequested: 1, approvals.EventApproved: tt.wantApprovals,
					approvals.EventRefused: 100 - tt.wantApprovals}
				if tt.wantExec > 0 {
					want[approvals.EventExecutable] = 1
				}
				if diff := cmp.Diff(want, kinds); diff != "" {
					t.Errorf("audit events by type (-want +got):\n%s", diff)
				}
				if n, err := db.Verify(ctx); err != nil || n != uint64(len(events)) {
					t.Errorf("Verify = %d, %v; want %d records", n, err, len(events))
				}
			})
		}
	}
}

func TestApprovalsRacingTheSweeperNeverBothWin(t *testing.T) {
	// Approvers whose clock is just inside the window race a sweeper whose
	// clock is past it: either the request is approved once, or expired.
	t.Parallel()
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, newStore func(testing.TB) func() store) {
		for round := range 3 {
			db := newStore(t)()
			inside := &clock{t: t0}
			approvers := newService(t, db, inside.Now)
			r := mustOpen(t, approvers, draft(approvals.KindIsolate, machineID(1)))
			inside.Set(r.Expires.Add(-time.Nanosecond))
			past := &clock{t: r.Expires}
			sweeper := newService(t, db, past.Now)

			var wg sync.WaitGroup
			var mu sync.Mutex
			executable, expired := 0, 0
			start := make(chan struct{})
			for i := range 100 {
				wg.Go(func() {
					<-start
					if i%10 == round%10 {
						got, err := sweeper.Sweep(ctx)
						if err != nil {
							t.Error(err)
						}
						mu.Lock()
						expired += len(got)
						mu.Unlock()
						return
					}
					res, err := approvers.Approve(ctx, r.ID, approverIDs(100)[i], r.Fingerprint())
					if err == nil && res.Executable {
						mu.Lock()
						executable++
						mu.Unlock()
					}
				})
			}
			close(start)
			wg.Wait()
			got, _ := db.Get(ctx, r.ID)
			switch {
			case got.State == approvals.StateApproved && executable == 1 && expired == 0:
			case got.State == approvals.StateExpired && executable == 0 && expired == 1:
			default:
				t.Errorf("round %d: state %s with %d executable and %d expired", round, got.State, executable, expired)
			}
		}
	})
}

func TestTheServiceRunsOnTheDatabase(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, newStore func(testing.TB) func() store) {
		open := newStore(t)
		db := open()
		c := &clock{t: t0}
		svc := newService(t, db, c.Now)
		r := mustOpen(t, svc, draft(approvals.KindIsolate, machineID(1)))
		_, err := svc.Open(ctx, draft(approvals.KindUnisolate, machineID(1)))
		var e *approvals.Error
		if !errors.As(err, &e) || e.Code != approvals.CodeConflict || e.Existing != r.ID {
			t.Fatalf("conflicting open = %v, want a conflict naming %s", err, r.ID)
		}
		if _, err := svc.Approve(ctx, r.ID, requester, r.Fingerprint()); !errors.Is(err, approvals.ErrSelfDecision) {
			t.Fatalf("self-approval = %v", err)
		}
		steps := []func() (approvals.Result, error){
			func() (approvals.Result, error) {
				return svc.SetCard(ctx, r.ID, approvals.Card{Channel: channel, TS: "1.000100"})
			},
			func() (approvals.Result, error) { return svc.Approve(ctx, r.ID, "UAPP001", r.Fingerprint()) },
			func() (approvals.Result, error) { return svc.MarkSubmitted(ctx, r.ID, "act-1") },
			func() (approvals.Result, error) { return svc.RecordStatus(ctx, r.ID, defender.StatusInProgress, "") },
		}
		for i, step := range steps {
			c.Advance(time.Second)
			if _, err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		if live, err := db.Live(ctx); err != nil || len(live) != 1 || live[0].ID != r.ID {
			t.Errorf("Live = %v, %v", live, err)
		}
		if _, err := svc.RecordStatus(ctx, r.ID, defender.StatusSucceeded, ""); err != nil {
			t.Fatal(err)
		}
		if live, _ := db.Live(ctx); len(live) != 0 {
			t.Errorf("a finished request is still live: %v", live)
		}
		got, err := db.ByActionID(ctx, "act-1")
		if err != nil || got.ID != r.ID || got.State != approvals.StateSucceeded {
			t.Fatalf("ByActionID = %+v, %v", got, err)
		}
		if _, err := db.ByActionID(ctx, "act-2"); !errors.Is(err, approvals.ErrNotFound) {
			t.Errorf("ByActionID(unknown) = %v, want ErrNotFound", err)
		}
		// The machine is free again.
		mustOpen(t, svc, draft(approvals.KindUnisolate, machineID(1)))

		// Reopening shows the same request and a verified log.
		db.Close()
		db2 := open()
		again, err := db2.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("request after reopen (-before +after):\n%s", diff)
		}
		records, err := db2.RequestAudit(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var types []approvals.EventType
		for _, rec := range records {
			types = append(types, rec.Type)
		}
		wantTypes := []approvals.EventType{"requested", "refused", "card_posted", "approved", "executable", "submitted", "status", "status"}
		if diff := cmp.Diff(wantTypes, types); diff != "" {
			t.Errorf("request audit (-want +got):\n%s", diff)
		}
		if records[1].Actor != requester || records[1].Code != approvals.CodeSelfDecision {
			t.Errorf("self-approval refusal recorded as %+v", records[1].AuditEvent)
		}
		if _, err := db2.Verify(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestARepeatedStatusWritesNothing(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, newStore func(testing.TB) func() store) {
		db := newStore(t)()
		svc := newService(t, db, (&clock{t: t0}).Now)
		r := mustOpen(t, svc, draft(approvals.KindScan, machineID(1)))
		if _, err := svc.MarkSubmitted(ctx, r.ID, "act-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecordStatus(ctx, r.ID, defender.StatusPending, ""); err != nil {
			t.Fatal(err)
		}
		before, _ := db.AuditLog(ctx, 0, 0)
		for range 3 {
			res, err := svc.RecordStatus(ctx, r.ID, defender.StatusPending, "")
			if err != nil || res.Changed || res.Request.MDEStatus != defender.StatusPending {
				t.Fatalf("repeat = %+v, %v", res, err)
			}
		}
		after, _ := db.AuditLog(ctx, 0, 0)
		if len(after) != len(before) {
			t.Errorf("repeated statuses wrote %d audit records", len(after)-len(before))
		}
	})
}
