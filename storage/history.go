package storage

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
)

// MaxHistoryLimit caps HistoryQuery.Limit; DefaultHistoryLimit is used
// when it is zero.
const (
	DefaultHistoryLimit = 20
	MaxHistoryLimit     = 500
)

// HistoryQuery is approvals.HistoryQuery, kept here for callers of History.
type HistoryQuery = approvals.HistoryQuery

// HistoryPage is approvals.HistoryPage, kept here for callers of History.
type HistoryPage = approvals.HistoryPage

// ErrBadCursor is returned by History for a cursor it did not issue.
var ErrBadCursor = errors.New("storage: malformed history cursor")

// History returns a page of requests matching q, newest (by creation time)
// first. It walks one index, the most selective filter set (machine, then
// user, kind, outcome, else time), between the time bounds, so a filtered
// query does not scan the whole history.
func (db *DB) History(ctx context.Context, q HistoryQuery) (HistoryPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	var after []byte // the cursor: creation time key and id of the last row returned
	if q.Cursor != "" {
		c, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(c) < 9 {
			return HistoryPage{}, ErrBadCursor
		}
		after = c
	}
	bucket, prefix := bucketTime, []byte(nil)
	switch {
	case q.Machine != "":
		bucket, prefix = bucketMachine, []byte(string(q.Machine)+"\x00")
	case q.User != "":
		bucket, prefix = bucketUser, []byte(q.User+"\x00")
	case q.Kind != "":
		bucket, prefix = bucketKind, []byte(string(q.Kind)+"\x00")
	case q.Outcome != "":
		bucket, prefix = bucketState, []byte(string(q.Outcome)+"\x00")
	}
	// Keys in [lower, upper) are candidates; walk them backwards.
	upper := prefixEnd(prefix)
	if !q.Until.IsZero() {
		upper = append(slices.Clip(prefix), timeKey(q.Until)...)
	}
	if after != nil {
		if k := append(slices.Clip(prefix), after...); upper == nil || bytes.Compare(k, upper) < 0 {
			upper = k
		}
	}
	lower := prefix
	if !q.Since.IsZero() {
		lower = append(slices.Clip(prefix), timeKey(q.Since)...)
	}

	var page HistoryPage
	err := db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		var k []byte
		if upper == nil {
			k, _ = c.Last()
		} else if k, _ = c.Seek(upper); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lower) >= 0; k, _ = c.Prev() {
			if upper != nil && bytes.Compare(k, upper) >= 0 {
				continue // Last() landed past the bound
			}
			if len(k) < len(prefix)+9 {
				continue
			}
			r, err := getRequest(tx, string(k[len(prefix)+8:]))
			if err != nil {
				return err
			}
			db.historyReads.Add(1)
			if !matches(q, r) {
				continue
			}
			if len(page.Requests) == limit {
				last := page.Requests[limit-1]
				page.Next = base64.RawURLEncoding.EncodeToString(historyKey(last))
				return nil
			}
			page.Requests = append(page.Requests, r)
			if len(page.Requests)%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return page, err
}

func matches(q HistoryQuery, r *approvals.Request) bool {
	return (q.Machine == "" || r.OnMachine(q.Machine)) &&
		(q.User == "" || slices.Contains(r.Users(), q.User)) &&
		(q.Kind == "" || r.Kind == q.Kind) &&
		(q.Outcome == "" || r.State == q.Outcome) &&
		(q.Since.IsZero() || !r.Created.Before(q.Since)) &&
		(q.Until.IsZero() || r.Created.Before(q.Until)) &&
		(!q.BreakGlass || r.BreakGlass)
}
