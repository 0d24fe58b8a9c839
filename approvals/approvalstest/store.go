// Package approvalstest provides an in-memory approvals.Store for tests of
// packages built on approvals (such as the bot). It follows the Store
// contract exactly, but keeps nothing across processes.
package approvalstest

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/mdebot/mdebot/approvals"
)

// Store is an in-memory approvals.Store. The zero value is ready to use and
// safe for concurrent use; one mutex makes every write atomic.
type Store struct {
	mu       sync.Mutex
	requests map[string]*approvals.Request
	order    []string
	events   []approvals.AuditEvent
}

var _ approvals.Store = (*Store)(nil)

func (s *Store) init() {
	if s.requests == nil {
		s.requests = make(map[string]*approvals.Request)
	}
}

// Create implements approvals.Store.
func (s *Store) Create(ctx context.Context, r *approvals.Request, fn func(live []*approvals.Request) ([]approvals.AuditEvent, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.requests[r.ID]; ok {
		return &approvals.Error{Code: approvals.CodeDuplicateID, RequestID: r.ID, Msg: "request id already exists"}
	}
	var live []*approvals.Request
	for _, id := range s.order {
		o := s.requests[id]
		if o.State.Live() && slices.ContainsFunc(o.ConflictKeys(), func(k string) bool { return slices.Contains(r.ConflictKeys(), k) }) {
			live = append(live, o.Clone())
		}
	}
	events, err := fn(live)
	s.events = append(s.events, events...)
	if err != nil {
		return err
	}
	s.requests[r.ID] = r.Clone() // after fn, which may have approved it

	s.order = append(s.order, r.ID)
	return nil
}

// Update implements approvals.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(r *approvals.Request) ([]approvals.AuditEvent, error)) (*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	old, ok := s.requests[id]
	if !ok {
		return nil, &approvals.Error{Code: approvals.CodeNotFound, RequestID: id, Msg: "request not found"}
	}
	c := old.Clone()
	events, err := fn(c)
	if errors.Is(err, approvals.ErrUnchanged) {
		return old.Clone(), nil
	}
	s.events = append(s.events, events...)
	if err != nil {
		return nil, err
	}
	s.requests[id] = c
	return c.Clone(), nil
}

// Get implements approvals.Store.
func (s *Store) Get(ctx context.Context, id string) (*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, &approvals.Error{Code: approvals.CodeNotFound, RequestID: id, Msg: "request not found"}
	}
	return r.Clone(), nil
}

// ByActionID implements approvals.Store.
func (s *Store) ByActionID(ctx context.Context, actionID string) (*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.order {
		if r := s.requests[id]; actionID != "" && slices.Contains(r.ActionIDs(), actionID) {
			return r.Clone(), nil
		}
	}
	return nil, &approvals.Error{Code: approvals.CodeNotFound, Msg: "no request for MDE action " + actionID}
}

// Live implements approvals.Store.
func (s *Store) Live(ctx context.Context) ([]*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []*approvals.Request
	for _, id := range s.order {
		if r := s.requests[id]; r.State.Live() {
			live = append(live, r.Clone())
		}
	}
	return live, nil
}

// Append implements approvals.Store.
func (s *Store) Append(ctx context.Context, events ...approvals.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, events...)
	return nil
}

// Events returns a copy of every audit event appended so far, in order.
func (s *Store) Events() []approvals.AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

var _ approvals.History = (*Store)(nil)

// History implements approvals.History over every request, newest first,
// in one page; it filters by User, Kind, Machine, Outcome, Since and Until.
func (s *Store) History(ctx context.Context, q approvals.HistoryQuery) (approvals.HistoryPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var page approvals.HistoryPage
	for i := len(s.order) - 1; i >= 0; i-- {
		r := s.requests[s.order[i]]
		switch {
		case q.User != "" && !slices.Contains(r.Users(), q.User),
			q.Kind != "" && r.Kind != q.Kind,
			q.Machine != "" && r.Params.Machine != q.Machine,
			q.Outcome != "" && r.State != q.Outcome,
			!q.Since.IsZero() && r.Created.Before(q.Since),
			!q.Until.IsZero() && !r.Created.Before(q.Until),
			q.BreakGlass && !r.BreakGlass:
			continue
		}
		page.Requests = append(page.Requests, r.Clone())
	}
	return page, nil
}
