package approvals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mdebot/mdebot/mde"
)

// Options configures a Service. Like bot.Options and storage.Options, it
// is passed by value and its zero fields mean the documented defaults.
type Options struct {
	Policy Policy
	Store  Store
	// Groups resolves user groups named in the policy. It may be nil when
	// the policy names none.
	Groups Groups
	// Now is the clock; nil means time.Now. Expiry is decided with it.
	Now func() time.Time
	// Logger receives the sweeper's errors; nil discards them.
	Logger *slog.Logger
	// History reads past requests: break-glass counts each person's uses
	// of the day in it, and finds pending reviews. Without it break-glass
	// is refused.
	History History
}

// Service applies the policy and the approval rules to requests kept in a
// Store. It is safe for concurrent use: every decision is one atomic
// compare-and-swap in the store.
type Service struct {
	policy Policy
	store  Store
	groups Groups
	now    func() time.Time
	log    *slog.Logger

	history History
	// breakGlassMu serializes break-glass opens, so that two at once
	// cannot both pass the day's cap.
	breakGlassMu sync.Mutex
}

// New returns a Service, or an error matching ErrInvalidPolicy.
func New(c Options) (*Service, error) {
	if err := c.Policy.Validate(); err != nil {
		return nil, err
	}
	if c.Store == nil {
		return nil, errors.New("approvals: no store configured")
	}
	if c.Policy.UsesGroups() && c.Groups == nil {
		return nil, &Error{Code: CodeInvalidPolicy, Msg: "policy: names user groups but no group resolver is configured"}
	}
	s := &Service{policy: c.Policy, store: c.Store, groups: c.Groups, now: c.Now, log: c.Logger, history: c.History}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Policy returns the service's policy.
func (s *Service) Policy() Policy { return s.policy }

// Result is the outcome of an operation that changed (or tried to change)
// a request.
type Result struct {
	// Request is the request after the operation.
	Request *Request
	// Executable is true when this call moved the request to approved.
	// Exactly one call per request sees it, and that caller must submit
	// the action to MDE (then call MarkSubmitted or MarkFailed).
	Executable bool
	// Changed is false when the call was a repeat that changed nothing
	// (the same MDE status again, the same action id again).
	Changed bool
}

// IsRequester reports whether user may open requests under the policy.
func (s *Service) IsRequester(ctx context.Context, user string) (bool, error) {
	if len(s.policy.Requesters) == 0 {
		return true, nil
	}
	return member(ctx, s.groups, s.policy.Requesters, user)
}

// IsApprover reports whether user may approve and deny requests.
func (s *Service) IsApprover(ctx context.Context, user string) (bool, error) {
	return member(ctx, s.groups, s.policy.Approvers, user)
}

// Open opens a request from d. A kind that needs no approval is approved at
// once (Result.Executable is true). A draft whose Key opened a request
// before returns that request, with Result.Changed false. Errors: ErrInvalid, ErrNotPermitted
// (requester or channel not allowed), ErrConflict (Error.Existing names the
// live request in the way), ErrGroupLookup. Refusals are audited.
func (s *Service) Open(ctx context.Context, d Draft) (Result, error) {
	now := s.now()
	nd, err := d.normalize()
	if err != nil {
		return Result{}, s.refuseOpen(ctx, d, err.(*Error))
	}
	d = nd
	if err := s.checkOpener(ctx, d); err != nil {
		return Result{}, err
	}
	if d.BreakGlass {
		s.breakGlassMu.Lock()
		defer s.breakGlassMu.Unlock()
		if err := s.checkBreakGlass(ctx, d, now); err != nil {
			return Result{}, err
		}
	}
	if n := len(d.Targets); n > s.policy.MaxTargets() {
		return Result{}, s.refuseOpen(ctx, d, &Error{Code: CodeInvalid,
			Msg: fmt.Sprintf("%d machines is more than one request may name (policy.max_machines: %d)", n, s.policy.MaxTargets())})
	}
	req := s.policy.Evaluate(d.Kind, d.Facts)
	if len(d.Targets) > 0 {
		req = s.policy.evaluateTargets(d.Kind, d.Targets)
	}
	r := &Request{
		Kind: d.Kind, Params: d.Params, Requester: d.Requester, Channel: d.Channel, Reason: d.Reason,
		Created: now, Expires: now.Add(s.policy.ttl()), Required: req.Required,
		Facts: d.Facts, Rules: req.Rules,
		State: StateAwaiting, Updated: now, Targets: d.Targets,
	}
	if len(d.Targets) > s.policy.bulkExtraOver() {
		r.BulkOver = s.policy.bulkExtraOver()
	}
	if d.BreakGlass {
		r.BreakGlass = true
		r.Review = &Review{Due: now.Add(s.policy.reviewWithin()), State: ReviewPending}
	}
	for attempt := 0; ; attempt++ {
		r.ID = NewID()
		if d.Key != "" {
			r.ID = keyedID(d.Key)
		}
		err = s.store.Create(ctx, r, func(live []*Request) ([]AuditEvent, error) {
			if r.Bulk() {
				return openedBulk(r, live, now)
			}
			return opened(r, live, now)
		})
		if errors.Is(err, ErrDuplicateID) && d.Key == "" && attempt < 3 {
			continue
		}
		break
	}
	if errors.Is(err, ErrDuplicateID) && d.Key != "" {
		// The same command again: the request it opened, unchanged.
		prev, gerr := s.store.Get(ctx, r.ID)
		if gerr != nil {
			return Result{}, gerr
		}
		if prev.Requester != d.Requester || prev.Kind != d.Kind {
			return Result{}, err // a key collision, not a repeat
		}
		return Result{Request: prev}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Request: r.Clone(), Executable: r.State == StateApproved, Changed: true}, nil
}

// refuseLookup audits op by actor on request id (empty for an open),
// refused because membership could not be checked (err), and returns err.
func (s *Service) refuseLookup(ctx context.Context, op Op, actor, id string, err error) error {
	ev := AuditEvent{At: s.now(), Type: EventRefused, RequestID: id, Actor: truncate(actor, 64), Code: CodeGroupLookup, Detail: string(op) + ": " + err.Error()}
	var ae *Error
	if errors.As(err, &ae) {
		ev.Code = ae.Code
	}
	if aerr := s.store.Append(ctx, ev); aerr != nil {
		return fmt.Errorf("approvals: auditing refused %s: %w (refused because: %w)", op, aerr, err)
	}
	return err
}

// opened checks r against the live requests holding its conflict key and
// returns the events of its creation. A live request still awaiting
// approval whose window has passed no longer blocks.
func opened(r *Request, live []*Request, now time.Time) ([]AuditEvent, error) {
	for _, l := range live {
		if l.ID == r.ID || (l.State == StateAwaiting && !now.Before(l.Expires)) {
			continue
		}
		err := &Error{Code: CodeConflict, Existing: l.ID,
			Msg: fmt.Sprintf("%s %s is already %s as %s", l.Kind, l.Target(), l.State, l.ID)}
		ev := refusal(nil, "open", r.Requester, now, err)
		ev.Kind, ev.Machine = r.Kind, r.Params.Machine
		return []AuditEvent{ev}, err
	}
	events := []AuditEvent{r.event(EventRequested, r.Requester, now, r.Reason)}
	if r.BreakGlass {
		r.setState(StateApproved, now)
		return append(events, r.event(EventBreakGlass, r.Requester, now,
			fmt.Sprintf("run without a second person (policy needs %d); review due %s", r.Required, r.Review.Due.UTC().Format(time.RFC3339)))), nil
	}
	if r.Required == 0 {
		r.setState(StateApproved, now)
		events = append(events, r.event(EventAutoApproved, SystemActor, now, "policy needs no approval for "+string(r.Kind)))
	}
	return events, nil
}

// update runs fn on request id in one store transaction and builds the
// Result. An attempt by a person (actor set) on a request that does not
// exist is audited as refused too.
func (s *Service) update(ctx context.Context, op Op, actor, id string, fn func(r *Request, now time.Time) ([]AuditEvent, error)) (Result, error) {
	now := s.now()
	changed := true
	r, err := s.store.Update(ctx, id, func(r *Request) ([]AuditEvent, error) {
		ev, err := fn(r, now)
		changed = err == nil
		return ev, err
	})
	if errors.Is(err, ErrNotFound) {
		if aerr := s.auditNotFound(ctx, op, actor, id); aerr != nil {
			return Result{}, aerr
		}
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Request: r, Changed: changed}, nil
}

// Approve counts actor's approval of request id. fingerprint is the
// Request.Fingerprint the approver was shown. The request needs the larger
// of the count stored when it was opened and the count the policy asks
// now: a policy tightened meanwhile (a restart with more approvals) raises
// Request.Required, and Request.RequiredAtOpen keeps the count it had.
// Result.Executable is true for the one call that completes the
// approvals. Errors: ErrNotFound,
// ErrNotAwaiting, ErrExpired, ErrSelfDecision, ErrNotPermitted,
// ErrAlreadyDecided, ErrFingerprint, ErrGroupLookup. Refusals are audited.
func (s *Service) Approve(ctx context.Context, id, actor, fingerprint string) (Result, error) {
	req, isApprover, err := s.decider(ctx, OpApprove, id, actor)
	if err != nil {
		return Result{}, err
	}
	executable := false
	res, err := s.update(ctx, OpApprove, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return approve(r, actor, fingerprint, isApprover, req, now, &executable)
	})
	res.Executable = err == nil && executable
	return res, err
}

// Deny denies request id on behalf of actor, who must be an approver and
// not the requester, and must give a reason. Errors: as Approve, plus
// ErrReasonRequired.
func (s *Service) Deny(ctx context.Context, id, actor, reason string) (Result, error) {
	_, isApprover, err := s.decider(ctx, OpDeny, id, actor)
	if err != nil {
		return Result{}, err
	}
	reason = truncate(trimSpace(reason), MaxReasonLen)
	return s.update(ctx, OpDeny, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return deny(r, actor, reason, isApprover, now)
	})
}

// decider evaluates the policy, as it stands now, for request id and
// reports whether actor's decision counts under it (see
// [Policy.Evaluate]): the rules' approvers when a matching rule names
// some, else Policy.Approvers. A missing request is not an error here:
// the transition reports it.
func (s *Service) decider(ctx context.Context, op Op, id, actor string) (Requirement, bool, error) {
	var req Requirement
	r, err := s.store.Get(ctx, id)
	switch {
	case err == nil:
		req = s.policy.requirement(r)
	case errors.Is(err, ErrNotFound):
	default:
		return req, false, err
	}
	ok, err := s.eligible(ctx, req, actor)
	if err != nil {
		return req, false, s.refuseLookup(ctx, op, actor, id, err)
	}
	return req, ok, nil
}

// Withdraw withdraws request id while it awaits approval. The requester or
// an approver may withdraw it. Errors: ErrNotFound, ErrNotAwaiting,
// ErrExpired, ErrNotPermitted.
func (s *Service) Withdraw(ctx context.Context, id, actor string) (Result, error) {
	isApprover, err := s.IsApprover(ctx, actor)
	if err != nil {
		return Result{}, s.refuseLookup(ctx, OpWithdraw, actor, id, err)
	}
	return s.update(ctx, OpWithdraw, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return withdraw(r, actor, isApprover, now)
	})
}

// Cancel cancels request id on behalf of actor (the requester or an
// approver). An approved request that mdebot has not begun to send becomes
// cancelled; one being sent (MarkSubmitting) records who asked
// (Request.CancelRequested) and stays approved until its action is found
// (then cancelled in MDE) or known not to exist (MarkNotSent). For a submitted request Cancel records who asked
// (Request.CancelRequested) and leaves it submitted: the caller then
// cancels the MDE action, and RecordStatus(Cancelled) ends it. A request
// awaiting approval is withdrawn, not cancelled (ErrIllegal); an approved
// block or unblock is being applied and cannot be cancelled (ErrIllegal).
func (s *Service) Cancel(ctx context.Context, id, actor, reason string) (Result, error) {
	isApprover, err := s.IsApprover(ctx, actor)
	if err != nil {
		return Result{}, s.refuseLookup(ctx, OpCancel, actor, id, err)
	}
	return s.update(ctx, OpCancel, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		allowed, reason := isApprover || actor == r.Requester, truncate(trimSpace(reason), MaxReasonLen)
		if r.Bulk() {
			return cancelBulk(r, actor, reason, allowed, now)
		}
		return cancel(r, actor, reason, allowed, now)
	})
}

// SetCard stores where request id's Slack card was posted.
func (s *Service) SetCard(ctx context.Context, id string, c Card) (Result, error) {
	return s.update(ctx, opCard, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return setCard(r, c, now)
	})
}

// SetCancelOffer stores ts, the thread reply (in the card's channel) that
// offers to cancel request id's MDE action, so the button can be retired
// when the action ends, even after a restart.
func (s *Service) SetCancelOffer(ctx context.Context, id, ts string) (Result, error) {
	return s.update(ctx, opCancelOffer, "", id, func(r *Request, _ time.Time) ([]AuditEvent, error) {
		if r.CancelOfferTS == ts {
			return nil, ErrUnchanged
		}
		r.CancelOfferTS = ts
		return nil, nil
	})
}

// MarkSubmitting records that mdebot is about to send approved request id
// to MDE. Call it before the POST: from then on a cancel only requests the
// cancel (Request.CancelRequested), since the action may exist in MDE
// before its id is known. Repeating it changes nothing; a request no longer
// approved (cancelled meanwhile) gives ErrIllegal, and must not be sent.
func (s *Service) MarkSubmitting(ctx context.Context, id string) (Result, error) {
	return s.update(ctx, OpSubmit, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return markSubmitting(r, now)
	})
}

// MarkNotSent closes approved request id, whose cancel was requested while
// it was being sent, as cancelled: MDE was found to hold no action for it
// (detail says so), so nothing runs. Any other request gives ErrIllegal.
func (s *Service) MarkNotSent(ctx context.Context, id, detail string) (Result, error) {
	return s.update(ctx, OpCancel, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return markNotSent(r, detail, now)
	})
}

// MarkSubmitted records that approved request id was sent to MDE as
// actionID (a machine action id, or an indicator id for block/unblock).
// Repeating it with the same actionID changes nothing. If the request is
// no longer approved (it was cancelled meanwhile), it returns ErrIllegal
// and the caller should cancel the MDE action.
func (s *Service) MarkSubmitted(ctx context.Context, id, actionID string) (Result, error) {
	if actionID == "" {
		return Result{}, &Error{Code: CodeInvalid, RequestID: id, Msg: "empty MDE action id"}
	}
	return s.update(ctx, OpSubmit, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return markSubmitted(r, actionID, now)
	})
}

// MarkFailed records that approved request id ends without running:
// detail says why (the card and the audit show it), and note, recorded
// with it, is what its thread is owed: NoteSubmitFailed (MDE refused the
// submission), NoteForeignAction (someone else's action runs) or
// NoteDryRun. The request becomes failed. Repeating it changes nothing.
func (s *Service) MarkFailed(ctx context.Context, id, detail string, note Note) (Result, error) {
	note.Text = truncate(note.Text, maxNoteText)
	return s.update(ctx, OpSubmitFailed, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return markFailed(r, detail, note, now)
	})
}

// RecordStatus records an MDE status seen for submitted request id.
// Pending and InProgress (and unknown statuses) keep it submitted;
// Succeeded, Failed, TimeOut and Cancelled end it as succeeded, failed,
// timed_out and cancelled, with detail as the error text. A status equal
// to the last one seen changes nothing (Result.Changed is false).
func (s *Service) RecordStatus(ctx context.Context, id string, status mde.ActionStatus, detail string) (Result, error) {
	if status == "" {
		return Result{}, &Error{Code: CodeInvalid, RequestID: id, Msg: "empty MDE status"}
	}
	return s.update(ctx, OpStatus, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return recordStatus(r, status, detail, now)
	})
}

// Get returns request id, or an error matching ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	return s.store.Get(ctx, id)
}

// MarkTargetsSubmitting records that mdebot is about to send the actions
// of bulk request id for machines ms (MarkSubmitting, per machine): call it
// before their POSTs. Machines already sent, being sent or finished are
// left as they are; Result.Changed is false when that is every one.
// ErrIllegal when the request is no longer approved: send nothing.
func (s *Service) MarkTargetsSubmitting(ctx context.Context, id string, ms []mde.MachineID) (Result, error) {
	return s.update(ctx, OpSubmit, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return markTargetsSubmitting(r, ms, now)
	})
}

// MarkTargetsSent records what became of the submissions of bulk request
// id's machines, in one transaction (so the thread tells them in one
// reply). The request becomes submitted once every machine was sent or
// refused, and final once every action ended.
func (s *Service) MarkTargetsSent(ctx context.Context, id string, results []TargetResult) (Result, error) {
	return s.update(ctx, OpSubmit, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return markTargetsSent(r, results, now)
	})
}

// RecordTargetStatuses records MDE statuses seen for the actions bulk
// request id follows, in one transaction: one reply in the thread per
// batch, not one per machine. Repeated statuses change nothing.
func (s *Service) RecordTargetStatuses(ctx context.Context, id string, seen []TargetStatus) (Result, error) {
	return s.update(ctx, OpStatus, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return recordTargetStatuses(r, seen, now)
	})
}

// CancelTarget asks, on behalf of actor (the requester or an approver), to
// cancel the one MDE action actionID that bulk request id sent: the caller
// cancels it in MDE, whose Cancelled status ends that machine. The actions
// a bulk request reuses or follows for someone else are refused
// (ErrIllegal).
func (s *Service) CancelTarget(ctx context.Context, id, actionID, actor, reason string) (Result, error) {
	isApprover, err := s.IsApprover(ctx, actor)
	if err != nil {
		return Result{}, s.refuseLookup(ctx, OpCancel, actor, id, err)
	}
	return s.update(ctx, OpCancel, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		if !r.Bulk() {
			return refuseBulk(r, OpCancel, now, false)
		}
		return cancelTarget(r, actionID, actor, truncate(trimSpace(reason), MaxReasonLen), isApprover || actor == r.Requester, now)
	})
}
