package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

func TestFilteredHistoryReadsOnlyIndexedRequests(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "mdebot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	SkipFsyncForTest(db)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		r := &approvals.Request{ID: fmt.Sprintf("R-%03d", i), Kind: approvals.KindScan, Requester: fmt.Sprintf("U%02d", i%40),
			Params:  approvals.Params{Machine: defender.MachineID(fmt.Sprintf("%040x", i%20)), Scan: defender.ScanQuick},
			Created: start.Add(time.Duration(i) * time.Minute), State: approvals.StateSucceeded}
		if err := db.Create(ctx, r, func([]*approvals.Request) ([]approvals.AuditEvent, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		q         HistoryQuery
		wantReads int64
	}{
		{"a machine query reads only that machine's requests", HistoryQuery{Machine: defender.MachineID(fmt.Sprintf("%040x", 3)), Limit: 100}, 10},
		{"a user query reads only that user's requests", HistoryQuery{User: "U07", Limit: 100}, 5},
		{"a time range reads only requests in it", HistoryQuery{Since: start.Add(50 * time.Minute), Until: start.Add(60 * time.Minute), Limit: 100}, 10},
		{"a first page reads one more than its size", HistoryQuery{Limit: 10}, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := db.historyReads.Load()
			if _, err := db.History(ctx, tt.q); err != nil {
				t.Fatal(err)
			}
			if got := db.historyReads.Load() - before; got != tt.wantReads {
				t.Errorf("read %d requests, want %d", got, tt.wantReads)
			}
		})
	}
}
