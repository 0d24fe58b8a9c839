package metrics

import (
	"context"

	"github.com/mdebot/mdebot/approvals"
)

// Store returns s observed: every request it creates or changes the state
// of counts in mdebot_request_transitions_total, an approval of a request
// that needed one in mdebot_time_to_approve_seconds, and an isolation or
// restriction that MDE reports Succeeded in mdebot_time_to_contain_seconds
// (both measured from the request's creation to its Updated time); a
// break-glass request counts in mdebot_break_glass_total and each step of
// its review (acknowledged, flagged, overdue) in
// mdebot_break_glass_reviews_total. Only writes that committed are counted.
func (m *Metrics) Store(s approvals.Store) approvals.Store {
	return &observedStore{Store: s, m: m}
}

// observedStore is an approvals.Store that tells Metrics of state changes.
type observedStore struct {
	approvals.Store
	m *Metrics
}

var _ approvals.Store = (*observedStore)(nil)

// Create implements approvals.Store.
func (s *observedStore) Create(ctx context.Context, r *approvals.Request, fn func(live []*approvals.Request) ([]approvals.AuditEvent, error)) error {
	if err := s.Store.Create(ctx, r, fn); err != nil {
		return err
	}
	s.m.transition("", r)
	if r.BreakGlass {
		s.m.breakGlass.WithLabelValues(string(r.Kind)).Inc()
	}
	return nil
}

// Update implements approvals.Store.
func (s *observedStore) Update(ctx context.Context, id string, fn func(r *approvals.Request) ([]approvals.AuditEvent, error)) (*approvals.Request, error) {
	var before approvals.State
	var review approvals.Review
	r, err := s.Store.Update(ctx, id, func(r *approvals.Request) ([]approvals.AuditEvent, error) {
		before = r.State
		if r.Review != nil {
			review = *r.Review
		}
		return fn(r)
	})
	if err == nil && r != nil {
		s.m.transition(before, r)
		if rv := r.Review; rv != nil {
			if rv.State != review.State {
				s.m.reviews.WithLabelValues(string(rv.State)).Inc()
			}
			if rv.Overdue && !review.Overdue {
				s.m.reviews.WithLabelValues("overdue").Inc()
			}
		}
	}
	return r, err
}

// transition counts r's move from state before ("" for a new request) to
// its current state.
func (m *Metrics) transition(before approvals.State, r *approvals.Request) {
	if r.State == before {
		return
	}
	kind := string(r.Kind)
	m.transitions.WithLabelValues(kind, string(r.State)).Inc()
	took := r.Updated.Sub(r.Created).Seconds()
	switch {
	case r.State == approvals.StateApproved && before == approvals.StateAwaiting:
		m.timeToApprove.WithLabelValues(kind).Observe(took)
	case r.State == approvals.StateSucceeded && (r.Kind == approvals.KindIsolate || r.Kind == approvals.KindRestrict):
		m.timeToContain.WithLabelValues(kind).Observe(took)
	}
}
