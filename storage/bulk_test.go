package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

func bulkDraft(k approvals.Kind, machines ...int) approvals.Draft {
	d := draft(k, "")
	d.Params.Machine = ""
	for _, m := range machines {
		d.Targets = append(d.Targets, approvals.Target{Machine: machineID(m)})
	}
	return d
}

func TestBulkRequestsHoldEveryMachineAndIndexEveryAction(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, newStore func(t testing.TB) func() store) {
		db := newStore(t)()
		c := &clock{t: t0}
		svc := newService(t, db, c.Now)
		bulk := mustOpen(t, svc, bulkDraft(approvals.KindIsolate, 1, 2, 3))
		// A single request on one of its machines, and another bulk one
		// sharing a machine, are refused while it is live.
		for _, d := range []approvals.Draft{draft(approvals.KindUnisolate, machineID(2)), bulkDraft(approvals.KindUnisolate, 3, 4)} {
			_, err := svc.Open(ctx, d)
			var e *approvals.Error
			if !errors.As(err, &e) || e.Code != approvals.CodeConflict || e.Existing != bulk.ID {
				t.Errorf("open on a bulk request's machine: %v, want a conflict naming %s", err, bulk.ID)
			}
		}
		if _, err := svc.Approve(ctx, bulk.ID, approverIDs(1)[0], bulk.Fingerprint()); err != nil {
			t.Fatal(err)
		}
		ms := []defender.MachineID{machineID(1), machineID(2), machineID(3)}
		if _, err := svc.MarkTargetsSubmitting(ctx, bulk.ID, ms); err != nil {
			t.Fatal(err)
		}
		res, err := svc.MarkTargetsSent(ctx, bulk.ID, []approvals.TargetResult{
			{Machine: ms[0], ActionID: "a-1"}, {Machine: ms[1], ActionID: "a-2"}, {Machine: ms[2], Error: "refused"}})
		if err != nil || res.Request.State != approvals.StateSubmitted {
			t.Fatalf("sent: %v, %v", res.Request, err)
		}
		for _, id := range []string{"a-1", "a-2"} {
			if got, err := db.ByActionID(ctx, id); err != nil || got.ID != bulk.ID {
				t.Errorf("ByActionID(%s) = %v, %v; want %s", id, got, err, bulk.ID)
			}
		}
		page, err := db.History(ctx, approvals.HistoryQuery{Machine: machineID(2), Limit: 10})
		if err != nil || len(page.Requests) != 1 || page.Requests[0].ID != bulk.ID {
			t.Errorf("history of machine 2: %+v, %v; want the bulk request", page.Requests, err)
		}
		// Once it ends, its machines are free again.
		if _, err := svc.RecordTargetStatuses(ctx, bulk.ID, []approvals.TargetStatus{
			{ActionID: "a-1", Status: defender.StatusSucceeded}, {ActionID: "a-2", Status: defender.StatusSucceeded}}); err != nil {
			t.Fatal(err)
		}
		mustOpen(t, svc, draft(approvals.KindUnisolate, machineID(2)))
		if n, err := db.Verify(ctx); err != nil || n == 0 {
			t.Errorf("audit chain: %d records, %v", n, err)
		}
	})
}

func TestConcurrentBulkAndSingleRequestsNeverShareAMachine(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, newStore func(t testing.TB) func() store) {
		db := newStore(t)()
		c := &clock{t: t0}
		svc := newService(t, db, c.Now)
		var wg sync.WaitGroup
		var mu sync.Mutex
		opened := 0
		for i := range 10 {
			wg.Go(func() {
				var d approvals.Draft
				if i%2 == 0 {
					d = bulkDraft(approvals.KindRestrict, 1, 2, 3)
				} else {
					d = draft(approvals.KindUnrestrict, machineID(2))
				}
				if _, err := svc.Open(ctx, d); err == nil {
					mu.Lock()
					opened++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if opened != 1 {
			t.Errorf("%d requests opened on machine 2 at once, want exactly 1", opened)
		}
	})
}
