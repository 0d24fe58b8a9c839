package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Break-glass defaults: what Policy's zero break-glass fields mean.
const (
	// DefaultBreakGlassPerDay is how many break-glass actions one person
	// may run per UTC day when Policy.BreakGlassPerDay is zero.
	DefaultBreakGlassPerDay = 2
	// DefaultBreakGlassReviewWithin is how long approvers have to review a
	// break-glass action when Policy.BreakGlassReviewWithin is zero.
	DefaultBreakGlassReviewWithin = 24 * time.Hour
	// reviewHorizon bounds how far back pending reviews are looked for.
	reviewHorizon = 90 * 24 * time.Hour
)

// ReviewState is where the mandatory after-review of a break-glass action
// stands.
type ReviewState string

// The review states.
const (
	ReviewPending      ReviewState = "pending"      // no approver reviewed it yet
	ReviewAcknowledged ReviewState = "acknowledged" // an approver accepted it, with a note
	ReviewFlagged      ReviewState = "flagged"      // an approver flagged it as misuse or doubtful
)

// Review is the after-review of a break-glass action: an approver must
// Acknowledge (with a note) or Flag it before Due.
type Review struct {
	Due   time.Time   `json:"due"`
	State ReviewState `json:"state"`
	// Overdue is set when Due passed with the review still pending; it
	// stays set after a late review, so history shows it was late.
	Overdue bool      `json:"overdue,omitempty"`
	By      string    `json:"by,omitempty"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// breakGlassKinds are the kinds break-glass may run: Policy.BreakGlassKinds,
// or isolate only.
func (p Policy) breakGlassKinds() []Kind {
	if len(p.BreakGlassKinds) == 0 {
		return []Kind{KindIsolate}
	}
	return p.BreakGlassKinds
}

func (p Policy) breakGlassPerDay() int {
	if p.BreakGlassPerDay == 0 {
		return DefaultBreakGlassPerDay
	}
	return p.BreakGlassPerDay
}

// reviewWithin is how long approvers have to review a break-glass action.
func (p Policy) reviewWithin() time.Duration {
	if p.BreakGlassReviewWithin == 0 {
		return DefaultBreakGlassReviewWithin
	}
	return p.BreakGlassReviewWithin
}

// validateBreakGlass reports a problem with the break-glass settings.
func (p Policy) validateBreakGlass() error {
	bad := func(format string, a ...any) error {
		return &Error{Code: CodeInvalidPolicy, Msg: "policy: " + fmt.Sprintf(format, a...)}
	}
	for _, id := range p.BreakGlass {
		if !isUserID(id) && !IsGroupID(id) {
			return bad("break_glass: %q is not a Slack user (U…, W…) or user group (S…) id", id)
		}
	}
	for _, k := range p.BreakGlassKinds {
		switch {
		case !k.Valid():
			return bad("break_glass_kinds: unknown action kind %q", k)
		case k == KindOffboard:
			return bad("break_glass_kinds: offboard can never be run by break-glass")
		}
	}
	if p.BreakGlassPerDay < 0 || p.BreakGlassReviewWithin < 0 {
		return bad("negative break-glass cap or review window")
	}
	return nil
}

// checkBreakGlass refuses a break-glass draft d unless its requester is one
// of Policy.BreakGlass (RuleBreakGlass), its kind is one break-glass may run
// (RuleBreakGlassKind), and the requester is under the day's cap
// (ErrBreakGlassCap). It counts the day's uses in Options.History; the
// caller holds s.breakGlassMu, so two uses at once cannot both pass.
func (s *Service) checkBreakGlass(ctx context.Context, d Draft, now time.Time) error {
	ok, err := member(ctx, s.groups, s.policy.BreakGlass, d.Requester)
	if err != nil {
		return s.refuseLookup(ctx, OpOpen, d.Requester, "", err)
	}
	if !ok {
		return s.refuseOpen(ctx, d, &Error{Code: CodeNotPermitted, Rule: RuleBreakGlass, Op: OpOpen,
			Msg: d.Requester + " may not use break-glass (slack.break_glass)"})
	}
	if !slices.Contains(s.policy.breakGlassKinds(), d.Kind) {
		return s.refuseOpen(ctx, d, &Error{Code: CodeNotPermitted, Rule: RuleBreakGlassKind, Op: OpOpen,
			Msg: fmt.Sprintf("break-glass may not run %s (policy.break_glass_kinds)", d.Kind)})
	}
	used, err := s.breakGlassUsed(ctx, d.Requester, now)
	if err != nil {
		return err
	}
	if limit := s.policy.breakGlassPerDay(); used >= limit {
		return s.refuseOpen(ctx, d, &Error{Code: CodeBreakGlassCap, Op: OpOpen,
			Msg: fmt.Sprintf("%s already used break-glass %d times today (policy.break_glass_per_day is %d)", d.Requester, used, limit)})
	}
	return nil
}

// breakGlassUsed counts user's break-glass requests opened since the start
// of now's UTC day.
func (s *Service) breakGlassUsed(ctx context.Context, user string, now time.Time) (int, error) {
	if s.history == nil {
		return 0, errors.New("approvals: break-glass needs Options.History to count its uses")
	}
	day := now.UTC().Truncate(24 * time.Hour)
	n := 0
	err := s.eachRequest(ctx, HistoryQuery{User: user, Since: day, BreakGlass: true}, func(r *Request) {
		if r.BreakGlass && r.Requester == user {
			n++
		}
	})
	return n, err
}

// eachRequest calls fn on every request q selects, page by page.
func (s *Service) eachRequest(ctx context.Context, q HistoryQuery, fn func(*Request)) error {
	for pages := 0; pages < 1000; pages++ {
		page, err := s.history.History(ctx, q)
		if err != nil {
			return fmt.Errorf("approvals: reading history: %w", err)
		}
		for _, r := range page.Requests {
			fn(r)
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
	return nil
}

// PendingReviews returns the break-glass requests still awaiting their
// after-review (overdue ones included), oldest first.
func (s *Service) PendingReviews(ctx context.Context) ([]*Request, error) {
	if s.history == nil {
		return nil, nil
	}
	var out []*Request
	err := s.eachRequest(ctx, HistoryQuery{Since: s.now().Add(-reviewHorizon), BreakGlass: true}, func(r *Request) {
		if r.Review != nil && r.Review.State == ReviewPending {
			out = append(out, r)
		}
	})
	slices.Reverse(out)
	return out, err
}

// ApproverUsers returns the user ids of Policy.Approvers, user groups
// expanded, each once: the people told of a break-glass action.
func (s *Service) ApproverUsers(ctx context.Context) ([]string, error) {
	return s.expand(ctx, s.policy.Approvers)
}

// SweepReviews flags, in the request and the audit log, every pending
// break-glass review whose time has passed, and returns the requests it
// flagged, so the bot can update their cards and remind the approvers.
func (s *Service) SweepReviews(ctx context.Context) ([]*Request, error) {
	pending, err := s.PendingReviews(ctx)
	if err != nil {
		return nil, err
	}
	var flagged []*Request
	for _, p := range pending {
		if p.Review.Overdue || s.now().Before(p.Review.Due) {
			continue
		}
		res, err := s.update(ctx, "review_overdue", "", p.ID, markReviewOverdue)
		if err != nil {
			return flagged, err
		}
		if res.Changed {
			flagged = append(flagged, res.Request)
		}
	}
	return flagged, nil
}

func markReviewOverdue(r *Request, now time.Time) ([]AuditEvent, error) {
	if r.Review == nil || r.Review.State != ReviewPending || r.Review.Overdue || now.Before(r.Review.Due) {
		return nil, ErrUnchanged
	}
	r.Review.Overdue = true
	return []AuditEvent{r.event(EventReviewOverdue, SystemActor, now,
		"break-glass review due "+r.Review.Due.UTC().Format(time.RFC3339)+" not done")}, nil
}

// Acknowledge records actor's review of break-glass request id: the action
// was justified; note (required) says why. Flag records the opposite. Only
// an approver other than the requester reviews, once. Errors:
// ErrNotFound, ErrIllegal (not break-glass, or already reviewed),
// ErrSelfDecision, ErrNotApprover, ErrReasonRequired. Both are audited.
func (s *Service) Acknowledge(ctx context.Context, id, actor, note string) (Result, error) {
	return s.review(ctx, OpAcknowledge, id, actor, note, ReviewAcknowledged)
}

// Flag records actor's review of break-glass request id as doubtful or
// misuse; note (optional) says why. See Acknowledge.
func (s *Service) Flag(ctx context.Context, id, actor, note string) (Result, error) {
	return s.review(ctx, OpFlag, id, actor, note, ReviewFlagged)
}

func (s *Service) review(ctx context.Context, op Op, id, actor, note string, to ReviewState) (Result, error) {
	isApprover, err := s.IsApprover(ctx, actor)
	if err != nil {
		return Result{}, s.refuseLookup(ctx, op, actor, id, err)
	}
	note = truncate(trimSpace(note), MaxReasonLen)
	return s.update(ctx, op, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return review(r, op, actor, note, to, isApprover, now)
	})
}

func review(r *Request, op Op, actor, note string, to ReviewState, isApprover bool, now time.Time) ([]AuditEvent, error) {
	switch {
	case r.Review == nil:
		return refuse(r, op, actor, now, CodeIllegal, "was not a break-glass action; there is nothing to review")
	case r.Review.State != ReviewPending:
		return refuse(r, op, actor, now, CodeIllegal, fmt.Sprintf("was already %s by %s", r.Review.State, r.Review.By))
	case actor == r.Requester:
		return refuse(r, op, actor, now, CodeSelfDecision, actor+" used break-glass and cannot review it")
	case !isApprover:
		return forbid(r, op, actor, now, RuleApprover, actor+" is not an approver")
	case to == ReviewAcknowledged && note == "":
		return refuse(r, op, actor, now, CodeReasonRequired, "an acknowledgement needs a note")
	}
	r.Review.State, r.Review.By, r.Review.Note, r.Review.At = to, actor, note, now
	t := EventReviewAcknowledged
	if to == ReviewFlagged {
		t = EventReviewFlagged
	}
	detail := note
	if r.Review.Overdue {
		detail = strings.TrimSpace("(late) " + note)
	}
	return []AuditEvent{r.event(t, actor, now, detail)}, nil
}
