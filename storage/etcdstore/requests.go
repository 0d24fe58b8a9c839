package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mdebot/mdebot/approvals"
)

func notFound(id string) error {
	return &approvals.Error{Code: approvals.CodeNotFound, RequestID: id, Msg: "request not found"}
}

// validID refuses ids that would break the index key layout, as storage
// does.
func validID(id string) error {
	if id == "" || len(id) > 64 || strings.ContainsRune(id, 0) {
		return &approvals.Error{Code: approvals.CodeInvalid, RequestID: id, Msg: "malformed request id"}
	}
	return nil
}

func decodeRequest(id string, v []byte) (*approvals.Request, error) {
	var r approvals.Request
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("etcdstore: decoding request %s: %w", id, err)
	}
	return &r, nil
}

// getRequest reads request id, conditioning the commit on it.
func getRequest(t *tx, id string) (*approvals.Request, error) {
	v, ok, err := t.get(famRequests + id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(id)
	}
	return decodeRequest(id, v)
}

// readRequest reads request id with no condition (for reads and for the
// live requests a version key guards).
func readRequest(t *tx, id string) (*approvals.Request, error) {
	v, mod, err := t.read(famRequests + id)
	if err != nil {
		return nil, err
	}
	if mod == 0 {
		return nil, notFound(id)
	}
	return decodeRequest(id, v)
}

// putRequest queues r and brings its index entries from old's (nil for a
// new request) to r's. When its entry in the live index comes or goes, it
// rewrites the conflict key's version key, which Create conditions on.
func putRequest(t *tx, old, r *approvals.Request) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("etcdstore: encoding request %s: %w", r.ID, err)
	}
	t.put(famRequests+r.ID, v)
	var before []indexEntry
	if old != nil {
		before = indexEntries(old)
	}
	after := indexEntries(r)
	for _, e := range before {
		if !slices.ContainsFunc(after, func(a indexEntry) bool { return a.key == e.key }) {
			t.del(e.key)
		}
	}
	for _, e := range after {
		if !slices.Contains(before, e) {
			t.put(e.key, []byte(e.value))
		}
	}
	if (old != nil && old.State.Live()) != r.State.Live() {
		for _, k := range r.ConflictKeys() {
			t.put(famLiveVer+k, []byte(r.ID))
		}
	}
	return nil
}

// Create implements approvals.Store: in one transaction it hands fn the
// live requests holding r's conflict key, then writes r and fn's events
// (or, if fn refuses, only the events). The commit is conditional on r's
// id being free, the conflict key's live set and the audit head being as
// read.
func (s *Store) Create(ctx context.Context, r *approvals.Request, fn func(live []*approvals.Request) ([]approvals.AuditEvent, error)) error {
	if err := validID(r.ID); err != nil {
		return err
	}
	var refused error
	err := s.update(ctx, func(t *tx) error {
		refused = nil
		if _, exists, err := t.get(famRequests + r.ID); err != nil {
			return err
		} else if exists {
			return &approvals.Error{Code: approvals.CodeDuplicateID, RequestID: r.ID, Msg: "request id already exists"}
		}
		var live []*approvals.Request
		seen := map[string]bool{}
		for _, ck := range r.ConflictKeys() {
			if _, _, err := t.get(famLiveVer + ck); err != nil {
				return err
			}
			entries, err := t.scan(famLive + ck + "\x00")
			if err != nil {
				return err
			}
			for _, e := range entries {
				if seen[string(e[0])] {
					continue
				}
				seen[string(e[0])] = true
				l, err := readRequest(t, string(e[0]))
				if err != nil {
					return err
				}
				live = append(live, l)
			}
		}
		events, err := fn(live)
		if err != nil {
			refused = err
			if len(events) == 0 {
				return errRollback
			}
			return s.appendEvents(t, events)
		}
		if err := validID(r.ID); err != nil {
			return err
		}
		if err := putRequest(t, nil, r); err != nil {
			return err
		}
		return s.appendEvents(t, events)
	})
	if refused != nil {
		if err != nil {
			return fmt.Errorf("etcdstore: auditing refusal: %w (refused: %w)", err, refused)
		}
		return refused
	}
	return err
}

// Update implements approvals.Store: read, transition and write in one
// transaction, conditional on the request and the audit head being as
// read; on a conflict fn runs again on the request as it now is.
func (s *Store) Update(ctx context.Context, id string, fn func(r *approvals.Request) ([]approvals.AuditEvent, error)) (*approvals.Request, error) {
	var out *approvals.Request
	var refused error
	err := s.update(ctx, func(t *tx) error {
		out, refused = nil, nil
		old, err := getRequest(t, id)
		if err != nil {
			return err
		}
		r := old.Clone()
		events, err := fn(r)
		switch {
		case errors.Is(err, approvals.ErrUnchanged):
			out = old
			return errRollback
		case err != nil:
			refused = err
			if len(events) == 0 {
				return errRollback
			}
			return s.appendEvents(t, events)
		case r.ID != old.ID:
			return fmt.Errorf("etcdstore: a transition changed request id %s to %s", old.ID, r.ID)
		}
		if err := putRequest(t, old, r); err != nil {
			return err
		}
		if announce := s.announcer(); announce != nil {
			// What the change owes the chat adapter, in its transaction.
			if err := putDeliveries(t, announce(old, r)); err != nil {
				return err
			}
		}
		out = r
		return s.appendEvents(t, events)
	})
	if refused != nil {
		if err != nil {
			return nil, fmt.Errorf("etcdstore: auditing refusal: %w (refused: %w)", err, refused)
		}
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get implements approvals.Store.
func (s *Store) Get(ctx context.Context, id string) (*approvals.Request, error) {
	var r *approvals.Request
	err := s.view(ctx, func(t *tx) error {
		var err error
		r, err = readRequest(t, id)
		return err
	})
	return r, err
}

// ByActionID implements approvals.Store. It finds requests whose action
// has finished too.
func (s *Store) ByActionID(ctx context.Context, actionID string) (*approvals.Request, error) {
	var r *approvals.Request
	err := s.view(ctx, func(t *tx) error {
		id, mod, err := t.read(famActions + actionID)
		if err != nil {
			return err
		}
		if mod == 0 || actionID == "" {
			return &approvals.Error{Code: approvals.CodeNotFound, Msg: "no request for MDE action " + actionID}
		}
		r, err = readRequest(t, string(id))
		return err
	})
	return r, err
}

// Live implements approvals.Store: the requests awaiting approval,
// approved or submitted, oldest first (read from the state index at one
// revision).
func (s *Store) Live(ctx context.Context) ([]*approvals.Request, error) {
	var live []*approvals.Request
	err := s.view(ctx, func(t *tx) error {
		for _, st := range approvals.States() {
			if !st.Live() {
				continue
			}
			entries, err := t.scan(famState + string(st) + "\x00")
			if err != nil {
				return err
			}
			for _, e := range entries {
				if len(e[0]) < 9 {
					continue
				}
				r, err := readRequest(t, string(e[0][8:]))
				if err != nil {
					return err
				}
				live = append(live, r)
			}
		}
		return nil
	})
	slices.SortStableFunc(live, func(a, b *approvals.Request) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return live, err
}
