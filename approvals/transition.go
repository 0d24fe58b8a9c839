package approvals

import (
	"fmt"
	"slices"
	"time"

	"github.com/mdebot/mdebot/mde"
)

// The transitions below are pure: they change r (a private copy handed out
// by Store.Update) and return the audit events to write with it, or refuse
// with an *Error and the audit event that records the refusal.

// refuse returns the refusal event and error for op on r.
func refuse(r *Request, op Op, actor string, now time.Time, code Code, msg string) ([]AuditEvent, error) {
	err := &Error{Code: code, RequestID: r.ID, State: r.State, Op: op, Msg: msg}
	return []AuditEvent{refusal(r, op, actor, now, err)}, err
}

// forbid returns the refusal event and error for op on r that rule
// forbids actor.
func forbid(r *Request, op Op, actor string, now time.Time, rule Rule, msg string) ([]AuditEvent, error) {
	err := &Error{Code: CodeNotPermitted, Rule: rule, RequestID: r.ID, State: r.State, Op: op, Msg: msg}
	return []AuditEvent{refusal(r, op, actor, now, err)}, err
}

// checkAwaiting refuses a decision on a request that is not awaiting
// approval or whose window has passed (even if the sweeper has not run).
func checkAwaiting(r *Request, op Op, actor string, now time.Time) ([]AuditEvent, error) {
	if r.State != StateAwaiting {
		return refuse(r, op, actor, now, CodeNotAwaiting, fmt.Sprintf("is %s, no longer awaiting approval", r.State))
	}
	if !now.Before(r.Expires) {
		return refuse(r, op, actor, now, CodeExpired, fmt.Sprintf("approval window ended at %s", r.Expires.UTC().Format(time.RFC3339)))
	}
	return nil, nil
}

// forbidApprover refuses actor's decision on r: not one of the approvers
// r's policy rules name (RuleMachineApprover), or with no such rule not
// one of Policy.Approvers (RuleApprover).
func forbidApprover(r *Request, op Op, actor string, now time.Time) ([]AuditEvent, error) {
	for _, ar := range r.Rules {
		if len(ar.Approvers) > 0 {
			return forbid(r, op, actor, now, RuleMachineApprover, actor+" is not an approver for this machine ("+r.RuleOutcome()+")")
		}
	}
	return forbid(r, op, actor, now, RuleApprover, actor+" is not an approver")
}

func (r *Request) setState(s State, now time.Time) {
	r.State = s
	r.Updated = now
}

// approve counts actor's approval. req is what the policy asks of r now:
// a policy (or rule) tightened since r was opened raises r's count (never
// lowers it), so r needs the larger of the two, and r.Rules follow.
// It sets *executable when this approval completes the count.
func approve(r *Request, actor, fingerprint string, isApprover bool, req Requirement, now time.Time, executable *bool) ([]AuditEvent, error) {
	required := req.Required
	const op = OpApprove
	if ev, err := checkAwaiting(r, op, actor, now); err != nil {
		return ev, err
	}
	switch {
	case actor == r.Requester:
		return refuse(r, op, actor, now, CodeSelfDecision, actor+" requested it and cannot approve it")
	case !isApprover:
		return forbidApprover(r, op, actor, now)
	case slices.Contains(r.Approvals(), actor):
		ev, err := refuse(r, op, actor, now, CodeAlreadyDecided, actor+" already approved it")
		err.(*Error).Missing = max(r.Required-len(r.Approvals()), 0)
		return ev, err
	case fingerprint != r.Fingerprint():
		return refuse(r, op, actor, now, CodeFingerprint, "the approval was given for a different version of the request")
	}
	detail := ""
	if required > r.Required {
		if r.RequiredAtOpen == 0 {
			r.RequiredAtOpen = r.Required
		}
		detail = fmt.Sprintf(" (the policy now needs %d for %s; %d when requested)", required, r.Kind, r.RequiredAtOpen)
		r.Required = required
		r.Rules = req.Rules
	}
	r.Decisions = append(r.Decisions, Decision{Actor: actor, Verdict: Approve, At: now})
	n := len(r.Approvals())
	events := []AuditEvent{r.event(EventApproved, actor, now, fmt.Sprintf("approval %d of %d", n, r.Required)+detail)}
	if n >= r.Required {
		r.setState(StateApproved, now)
		events = append(events, r.event(EventExecutable, actor, now, "enough approvals"))
		*executable = true
	}
	events[0].State = r.State
	return events, nil
}

func deny(r *Request, actor, reason string, isApprover bool, now time.Time) ([]AuditEvent, error) {
	const op = OpDeny
	if ev, err := checkAwaiting(r, op, actor, now); err != nil {
		return ev, err
	}
	switch {
	case actor == r.Requester:
		return refuse(r, op, actor, now, CodeSelfDecision, actor+" requested it and cannot deny it (withdraw it instead)")
	case !isApprover:
		return forbidApprover(r, op, actor, now)
	case reason == "":
		return refuse(r, op, actor, now, CodeReasonRequired, "a denial needs a reason")
	}
	r.Decisions = append(r.Decisions, Decision{Actor: actor, Verdict: Deny, Reason: reason, At: now})
	r.setState(StateDenied, now)
	return []AuditEvent{r.event(EventDenied, actor, now, reason)}, nil
}

func withdraw(r *Request, actor string, isApprover bool, now time.Time) ([]AuditEvent, error) {
	const op = OpWithdraw
	if ev, err := checkAwaiting(r, op, actor, now); err != nil {
		return ev, err
	}
	if actor != r.Requester && !isApprover {
		return forbid(r, op, actor, now, RuleOwner, actor+" is neither the requester nor an approver")
	}
	r.ClosedBy = actor
	r.setState(StateWithdrawn, now)
	return []AuditEvent{r.event(EventWithdrawn, actor, now, "")}, nil
}

// expire expires r if its window has passed; otherwise it is unchanged.
func expire(r *Request, now time.Time) ([]AuditEvent, error) {
	if r.State != StateAwaiting || now.Before(r.Expires) {
		return nil, ErrUnchanged
	}
	r.setState(StateExpired, now)
	return []AuditEvent{r.event(EventExpired, SystemActor, now,
		fmt.Sprintf("%d of %d approvals when the window ended", len(r.Approvals()), r.Required))}, nil
}

// cancel cancels an approved request outright, or records a cancellation
// request for a submitted one (MDE then reports Cancelled, or not).
func cancel(r *Request, actor, reason string, allowed bool, now time.Time) ([]AuditEvent, error) {
	const op = OpCancel
	if !allowed {
		return forbid(r, op, actor, now, RuleOwner, actor+" is neither the requester nor an approver")
	}
	switch r.State {
	case StateApproved:
		if !r.Kind.TargetsMachine() {
			// An approved indicator is being sent (or re-sent by recovery):
			// there is no MDE action to cancel afterwards, so a cancel now
			// would leave the block applied under a cancelled request.
			return refuse(r, op, actor, now, CodeIllegal, "is being applied in Defender and cannot be cancelled; unblock it afterwards")
		}
		if !r.Submitting.IsZero() {
			// It may already run in MDE: ask for the cancel, and let the
			// submission (or its recovery) find the action and cancel it.
			if r.CancelRequested != "" {
				return nil, ErrUnchanged
			}
			r.CancelRequested = actor
			d := "while it was being sent to Defender"
			if reason != "" {
				d += ": " + reason
			}
			return []AuditEvent{r.event(EventCancelRequested, actor, now, d)}, nil
		}
		r.ClosedBy = actor
		r.Error = reason
		r.setState(StateCancelled, now)
		return []AuditEvent{r.event(EventCancelled, actor, now, reason)}, nil
	case StateSubmitted:
		if r.CancelRequested != "" {
			return nil, ErrUnchanged
		}
		r.CancelRequested = actor
		return []AuditEvent{r.event(EventCancelRequested, actor, now, reason)}, nil
	case StateAwaiting:
		return refuse(r, op, actor, now, CodeIllegal, "is awaiting approval; withdraw it instead")
	}
	return refuse(r, op, actor, now, CodeIllegal, fmt.Sprintf("is %s and cannot be cancelled", r.State))
}

func markSubmitting(r *Request, now time.Time) ([]AuditEvent, error) {
	if r.Bulk() {
		return refuseBulk(r, OpSubmit, now, true)
	}
	switch {
	case r.State == StateApproved && !r.Submitting.IsZero():
		return nil, ErrUnchanged // a retry of the same submission
	case r.State != StateApproved:
		return refuse(r, OpSubmit, SystemActor, now, CodeIllegal, fmt.Sprintf("is %s, not approved; not sent", r.State))
	}
	r.Submitting = now
	return []AuditEvent{r.event(EventSubmitting, SystemActor, now, "sending to Defender")}, nil
}

// markNotSent closes an approved request whose cancel was requested while
// it was being sent, once MDE is known to hold no action for it.
func markNotSent(r *Request, detail string, now time.Time) ([]AuditEvent, error) {
	if r.Bulk() {
		return refuseBulk(r, OpSubmit, now, true)
	}
	if r.State != StateApproved || r.CancelRequested == "" {
		return refuse(r, OpCancel, SystemActor, now, CodeIllegal, fmt.Sprintf("is %s with no cancel requested", r.State))
	}
	r.ClosedBy = r.CancelRequested
	r.Error = detail
	r.setState(StateCancelled, now)
	return []AuditEvent{r.event(EventCancelled, r.CancelRequested, now, detail)}, nil
}

func markSubmitted(r *Request, actionID string, now time.Time) ([]AuditEvent, error) {
	if r.Bulk() {
		return refuseBulk(r, OpSubmit, now, true)
	}
	const op = OpSubmit
	switch {
	case r.State == StateSubmitted && r.ActionID == actionID:
		return nil, ErrUnchanged
	case r.State != StateApproved:
		return refuse(r, op, SystemActor, now, CodeIllegal,
			fmt.Sprintf("is %s, not approved; MDE action %s must be cancelled", r.State, actionID))
	}
	r.ActionID = actionID
	r.setState(StateSubmitted, now)
	return []AuditEvent{r.event(EventSubmitted, SystemActor, now, "MDE action "+actionID)}, nil
}

func markFailed(r *Request, detail string, n Note, now time.Time) ([]AuditEvent, error) {
	if r.Bulk() && r.State == StateApproved {
		// Only before any machine was sent (a dry run): once one was, its
		// action lives in MDE and the per-machine transitions apply.
		for i := range r.Targets {
			if t := &r.Targets[i]; !t.Pending() {
				return refuse(r, OpSubmitFailed, SystemActor, now, CodeIllegal, "machine "+targetName(t)+" was already sent")
			}
		}
		for i := range r.Targets {
			r.Targets[i].Error, r.Targets[i].Updated = detail, now
		}
	}
	switch {
	case n.Kind != NoteSubmitFailed && n.Kind != NoteForeignAction && n.Kind != NoteDryRun:
		return nil, &Error{Code: CodeInvalid, RequestID: r.ID, Msg: fmt.Sprintf("note %q does not end a submission", n.Kind)}
	case r.State == StateFailed && r.ActionID == "" && r.Error == detail:
		return nil, ErrUnchanged
	case r.State != StateApproved:
		return refuse(r, "submit_failed", SystemActor, now, CodeIllegal, fmt.Sprintf("is %s, not approved", r.State))
	}
	r.Error = detail
	r.setState(StateFailed, now)
	n.At = now
	r.Notes = append(r.Notes, n)
	return []AuditEvent{r.event(EventSubmitFailed, SystemActor, now, detail)}, nil
}

// stateForStatus maps a terminal MDE status to the request state.
func stateForStatus(s mde.ActionStatus) State {
	switch s {
	case mde.StatusSucceeded:
		return StateSucceeded
	case mde.StatusFailed:
		return StateFailed
	case mde.StatusTimeOut:
		return StateTimedOut
	case mde.StatusCancelled:
		return StateCancelled
	}
	return StateSubmitted
}

func recordStatus(r *Request, status mde.ActionStatus, detail string, now time.Time) ([]AuditEvent, error) {
	if r.Bulk() {
		return refuseBulk(r, OpSubmit, now, true)
	}
	target := stateForStatus(status)
	switch {
	case status == r.MDEStatus && (r.State == target):
		return nil, ErrUnchanged // a repeated poll result
	case r.State != StateSubmitted:
		return refuse(r, "status", SystemActor, now, CodeIllegal,
			fmt.Sprintf("is %s; MDE status %s cannot apply", r.State, status))
	}
	r.MDEStatus = status
	r.StatusHistory = append(r.StatusHistory, StatusChange{At: now, Status: status, Detail: detail})
	if target != StateSubmitted {
		if target != StateSucceeded {
			r.Error = detail
		}
		r.setState(target, now)
	}
	d := string(status)
	if detail != "" {
		d += ": " + detail
	}
	return []AuditEvent{r.event(EventStatus, SystemActor, now, d)}, nil
}

func setCard(r *Request, c Card, now time.Time) ([]AuditEvent, error) {
	if r.Card == c {
		return nil, ErrUnchanged
	}
	r.Card = c
	return []AuditEvent{r.event(EventCardPosted, SystemActor, now, c.Channel+" "+c.TS)}, nil
}
