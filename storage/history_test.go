package storage_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/storage"
)

// historyFixture writes 60 finished requests a minute apart, on three
// machines (block has none), by two requesters, decided by five approvers.
func historyFixture(t *testing.T, newStore func(testing.TB) func() store) (store, []*approvals.Request) {
	t.Helper()
	ctx := context.Background()
	db := newStore(t)()
	if bolt, ok := db.(*storage.DB); ok {
		storage.SkipFsyncForTest(bolt)
	}
	c := &clock{t: t0}
	svc := newService(t, db, c.Now)
	var all []*approvals.Request
	for i := range 60 {
		c.Advance(time.Minute)
		kinds := []approvals.Kind{approvals.KindScan, approvals.KindIsolate, approvals.KindIsolate, approvals.KindBlock}
		d := draft(kinds[i%4], machineID(i%3))
		d.Requester = fmt.Sprintf("UREQ%d", i%2)
		r := mustOpen(t, svc, d)
		approver := approverIDs(5)[i%5]
		var err error
		var res approvals.Result
		switch i % 4 {
		case 0:
			if _, err = svc.MarkSubmitted(ctx, r.ID, fmt.Sprint("act-", i)); err == nil {
				res, err = svc.RecordStatus(ctx, r.ID, defender.StatusSucceeded, "")
			}
		case 1:
			if _, err = svc.Approve(ctx, r.ID, approver, r.Fingerprint()); err == nil {
				res, err = svc.MarkFailed(ctx, r.ID, "refused", approvals.Note{Kind: approvals.NoteSubmitFailed, Text: "refused"})
			}
		case 2:
			res, err = svc.Deny(ctx, r.ID, approver, "no")
		case 3:
			res, err = svc.Withdraw(ctx, r.ID, d.Requester)
		}
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		all = append(all, res.Request)
	}
	return db, all
}

func TestHistoryPagesNewestFirstThroughTheFilters(t *testing.T) {
	forEachBackend(t, testHistoryPagesNewestFirstThroughTheFilters)
}

func testHistoryPagesNewestFirstThroughTheFilters(t *testing.T, newStore func(testing.TB) func() store) {
	ctx := context.Background()
	db, all := historyFixture(t, newStore)
	tests := []struct {
		name string
		q    storage.HistoryQuery
		keep func(r *approvals.Request) bool
	}{
		{"with no filter every request is listed", storage.HistoryQuery{}, func(*approvals.Request) bool { return true }},
		{"a machine filter lists that machine's requests", storage.HistoryQuery{Machine: machineID(1)},
			func(r *approvals.Request) bool { return r.Params.Machine == machineID(1) }},
		{"a user filter finds the requester's requests", storage.HistoryQuery{User: "UREQ1"},
			func(r *approvals.Request) bool { return r.Requester == "UREQ1" }},
		{"a user filter finds the requests an approver decided", storage.HistoryQuery{User: "UAPP002"},
			func(r *approvals.Request) bool {
				return slices.ContainsFunc(r.Decisions, func(d approvals.Decision) bool { return d.Actor == "UAPP002" })
			}},
		{"a kind filter lists that kind", storage.HistoryQuery{Kind: approvals.KindBlock},
			func(r *approvals.Request) bool { return r.Kind == approvals.KindBlock }},
		{"an outcome filter lists that outcome", storage.HistoryQuery{Outcome: approvals.StateDenied},
			func(r *approvals.Request) bool { return r.State == approvals.StateDenied }},
		{"a time range includes its start and excludes its end", storage.HistoryQuery{Since: t0.Add(10 * time.Minute), Until: t0.Add(30 * time.Minute)},
			func(r *approvals.Request) bool {
				return !r.Created.Before(t0.Add(10*time.Minute)) && r.Created.Before(t0.Add(30*time.Minute))
			}},
		{"filters combine", storage.HistoryQuery{Machine: machineID(0), Kind: approvals.KindIsolate, Until: t0.Add(40 * time.Minute)},
			func(r *approvals.Request) bool {
				return r.Params.Machine == machineID(0) && r.Kind == approvals.KindIsolate && r.Created.Before(t0.Add(40*time.Minute))
			}},
		{"a user, outcome and start combine", storage.HistoryQuery{User: "UREQ0", Outcome: approvals.StateSucceeded, Since: t0.Add(20 * time.Minute)},
			func(r *approvals.Request) bool {
				return r.Requester == "UREQ0" && r.State == approvals.StateSucceeded && !r.Created.Before(t0.Add(20*time.Minute))
			}},
		{"a filter matching nothing lists nothing", storage.HistoryQuery{Machine: machineID(99)},
			func(*approvals.Request) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, r := range all {
				if tt.keep(r) {
					want = append(want, r.ID)
				}
			}
			slices.Reverse(want)
			var got []string
			q := tt.q
			q.Limit = 7
			for pages := 0; ; pages++ {
				page, err := db.History(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Requests) > 7 || pages > 20 {
					t.Fatalf("page %d has %d requests", pages, len(page.Requests))
				}
				for _, r := range page.Requests {
					got = append(got, r.ID)
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHistoryPagesAreOrderedByCreationTime(t *testing.T) {
	forEachBackend(t, testHistoryPagesAreOrderedByCreationTime)
}

func testHistoryPagesAreOrderedByCreationTime(t *testing.T, newStore func(testing.TB) func() store) {
	db, _ := historyFixture(t, newStore)
	page, err := db.History(context.Background(), storage.HistoryQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(page.Requests, func(a, b *approvals.Request) int { return cmp.Compare(b.Created.UnixNano(), a.Created.UnixNano()) }) {
		t.Error("not newest first")
	}
	if len(page.Requests) != 60 || page.Next != "" {
		t.Errorf("%d requests, next %q", len(page.Requests), page.Next)
	}
}

func TestHistoryRefusesAForeignCursor(t *testing.T) {
	forEachBackend(t, testHistoryRefusesAForeignCursor)
}

func testHistoryRefusesAForeignCursor(t *testing.T, newStore func(testing.TB) func() store) {
	db := newStore(t)()
	if _, err := db.History(context.Background(), storage.HistoryQuery{Cursor: "not a cursor!"}); !errors.Is(err, storage.ErrBadCursor) {
		t.Errorf("History = %v, want ErrBadCursor", err)
	}
}

func TestHistoryKeepsBreakGlassRequestsWhenAsked(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	c := &clock{t: t0}
	svc, err := approvals.New(approvals.Options{
		Policy: approvals.Policy{Approvers: approverIDs(3), BreakGlass: []string{requester}},
		Store:  db, History: db, Now: c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	plain := mustOpen(t, svc, draft(approvals.KindIsolate, machineID(0)))
	d := draft(approvals.KindIsolate, machineID(1))
	d.BreakGlass = true
	glass := mustOpen(t, svc, d)
	page, err := db.History(ctx, approvals.HistoryQuery{BreakGlass: true})
	if err != nil || len(page.Requests) != 1 || page.Requests[0].ID != glass.ID || !page.Requests[0].BreakGlass ||
		page.Requests[0].Review == nil {
		t.Fatalf("History(BreakGlass) = %v, %v; want only %s with its review", page.Requests, err, glass.ID)
	}
	if page, _ := db.History(ctx, approvals.HistoryQuery{}); len(page.Requests) != 2 || !slices.ContainsFunc(page.Requests, func(r *approvals.Request) bool { return r.ID == plain.ID }) {
		t.Errorf("History() = %d requests, want both", len(page.Requests))
	}
}
