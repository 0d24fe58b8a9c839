package etcdstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
)

// historyPage is how many index keys one read of History fetches.
const historyPage = 256

// History implements approvals.History with storage's semantics, cursors
// and limits: it walks one index, the most selective filter set (machine,
// then user, kind, outcome, else time), backwards between the time bounds,
// reading pages of keys at one revision.
func (s *Store) History(ctx context.Context, q approvals.HistoryQuery) (approvals.HistoryPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = storage.DefaultHistoryLimit
	}
	limit = min(limit, storage.MaxHistoryLimit)
	var after []byte
	if q.Cursor != "" {
		c, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(c) < 9 {
			return approvals.HistoryPage{}, storage.ErrBadCursor
		}
		after = c
	}
	fam, sub := famTime, ""
	switch {
	case q.Machine != "":
		fam, sub = famMachine, string(q.Machine)+"\x00"
	case q.User != "":
		fam, sub = famUser, q.User+"\x00"
	case q.Kind != "":
		fam, sub = famKind, string(q.Kind)+"\x00"
	case q.Outcome != "":
		fam, sub = famState, string(q.Outcome)+"\x00"
	}
	prefix := s.prefix + fam + sub
	// Keys in [lower, upper) are candidates; read them newest first.
	upper := prefixEnd(prefix)
	if !q.Until.IsZero() {
		upper = prefix + string(timeKey(q.Until))
	}
	if after != nil {
		if k := prefix + string(after); k < upper || upper == "\x00" {
			upper = k
		}
	}
	lower := prefix
	if !q.Since.IsZero() {
		lower = prefix + string(timeKey(q.Since))
	}

	var page approvals.HistoryPage
	err := s.view(ctx, func(t *tx) error {
		for {
			opts := append(t.atRev(), clientv3.WithRange(upper), clientv3.WithKeysOnly(),
				clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(historyPage))
			resp, err := s.cli.Get(t.ctx, lower, opts...)
			if err != nil {
				return fmt.Errorf("etcdstore: reading history: %w", err)
			}
			t.pin(resp.Header.Revision)
			for _, kv := range resp.Kvs {
				k := kv.Key[len(prefix):]
				if len(k) < 9 {
					continue
				}
				r, err := readRequest(t, string(k[8:]))
				if err != nil {
					return err
				}
				if !matches(q, r) {
					continue
				}
				if len(page.Requests) == limit {
					page.Next = base64.RawURLEncoding.EncodeToString(historyKey(page.Requests[limit-1]))
					return nil
				}
				page.Requests = append(page.Requests, r)
			}
			if !resp.More || len(resp.Kvs) == 0 {
				return nil
			}
			upper = string(resp.Kvs[len(resp.Kvs)-1].Key) // exclusive: the next page is below it
			if err := t.ctx.Err(); err != nil {
				return err
			}
		}
	})
	return page, err
}

func matches(q approvals.HistoryQuery, r *approvals.Request) bool {
	return (q.Machine == "" || r.OnMachine(q.Machine)) &&
		(q.User == "" || slices.Contains(r.Users(), q.User)) &&
		(q.Kind == "" || r.Kind == q.Kind) &&
		(q.Outcome == "" || r.State == q.Outcome) &&
		(q.Since.IsZero() || !r.Created.Before(q.Since)) &&
		(q.Until.IsZero() || r.Created.Before(q.Until)) &&
		(!q.BreakGlass || r.BreakGlass)
}
