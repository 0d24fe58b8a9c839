package approvals

import (
	"context"
	"time"

	"github.com/mdebot/mdebot/mde"
)

// History answers history queries over every request, finished or live.
// Package storage implements it with bbolt indexes; the bot's /mde history
// reads through it.
type History interface {
	// History returns a page of requests matching q, newest (by creation
	// time) first.
	History(ctx context.Context, q HistoryQuery) (HistoryPage, error)
}

// HistoryQuery selects requests for History. Zero fields do not filter;
// set fields all apply.
type HistoryQuery struct {
	Machine mde.MachineID
	User    string // the requester or anyone who approved or denied
	Kind    Kind
	Outcome State     // the request's current state
	Since   time.Time // created at or after (inclusive)
	Until   time.Time // created before (exclusive)
	// BreakGlass keeps only requests run by break-glass.
	BreakGlass bool
	Limit      int    // page size; 0 means the implementation's default
	Cursor     string // HistoryPage.Next of the previous page
}

// HistoryPage is one page of History, newest first.
type HistoryPage struct {
	Requests []*Request
	// Next is the cursor of the following page; empty on the last page.
	Next string
}
