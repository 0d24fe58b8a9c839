package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Op names what an actor attempts. It chooses the rule Authorize applies
// and is the first word of a refusal's audit detail.
type Op string

// The operations. The first group changes a request (their rules are
// applied by the transition itself); the second only reads, and is decided
// by Authorize.
const (
	OpOpen         Op = "open"          // open a request
	OpApprove      Op = "approve"       // approve a request
	OpDeny         Op = "deny"          // deny a request
	OpWithdraw     Op = "withdraw"      // withdraw a request awaiting approval
	OpCancel       Op = "cancel"        // cancel an approved or submitted request
	OpSubmit       Op = "submit"        // record the MDE action of an approved request
	OpSubmitFailed Op = "submit_failed" // record MDE's refusal of a submission
	OpStatus       Op = "status"        // record an MDE status
	opCard         Op = "card"          // record where the card was posted
	opCancelOffer  Op = "cancel_offer"  // record the thread reply offering to cancel
	opEnvelope     Op = "envelope"      // anything sent from another workspace
	opCopy         Op = "copy"          // record where a copy of the card was posted
	opEscalate     Op = "escalate"      // record an escalation
	opNote         Op = "note"          // record a note owed to the request's followers
	OpAcknowledge  Op = "acknowledge"   // review a break-glass action as justified
	OpFlag         Op = "flag"          // review a break-glass action as doubtful

	OpLookUp      Op = "look up"      // read a machine, a request or an MDE action (/mde machine, /mde status)
	OpHistory     Op = "history"      // read the request history (/mde history, the App Home)
	OpExport      Op = "export"       // export the requests to a file (/mde export)
	OpPackageLink Op = "package link" // see the download link of a collected investigation package
)

// Authorize decides whether actor may do op (OpLookUp, OpHistory,
// OpExport, and where OpCancel may be typed) in channel, which is "" where there is none (the
// App Home, a direct message). A refusal returns an *Error with
// CodeNotPermitted and the Rule that refused it (ErrChannel, ErrNotReader,
// ErrNotAuditor), and is audited before Authorize returns; a failed user
// group lookup is audited and returned as ErrGroupLookup.
//
//   - OpLookUp: channel must be one of Policy.Channels (when set) and actor
//     a requester, an approver or an auditor.
//   - OpHistory: actor must be an auditor (Policy.Auditors; when none are
//     configured, the approvers).
//   - OpExport: actor must be one of Policy.Auditors (none configured
//     means nobody).
//   - OpCancel: channel must be one of Policy.Channels (when set); who
//     may cancel is Cancel's and Withdraw's rule.
func (s *Service) Authorize(ctx context.Context, actor, channel string, op Op) error {
	var allowed bool
	var err error
	var rule Rule
	switch op {
	case OpLookUp:
		if channel != "" && !s.policy.channelAllowed(channel) {
			return s.refuse(ctx, nil, op, actor, RuleChannel, "not answered in channel "+channel)
		}
		rule = RuleReader
		allowed, err = s.IsReader(ctx, actor)
	case OpCancel:
		// Who may cancel which request is the transition's rule; here only
		// where: a typed cancel obeys Policy.Channels, as requests do.
		if channel != "" && !s.policy.channelAllowed(channel) {
			return s.refuse(ctx, nil, op, actor, RuleChannel, "not answered in channel "+channel)
		}
		return nil
	case OpHistory:
		rule = RuleAuditor
		allowed, err = s.IsAuditor(ctx, actor)
	case OpExport:
		rule = RuleAuditor
		allowed, err = s.isListedAuditor(ctx, actor)
	default:
		return &Error{Code: CodeInvalid, Op: op, Msg: fmt.Sprintf("Authorize does not decide %q", op)}
	}
	if err != nil {
		return s.refuseLookup(ctx, op, actor, "", err)
	}
	if !allowed {
		return s.refuse(ctx, nil, op, actor, rule, actor+" is "+ruleMissing(rule))
	}
	return nil
}

// RefuseOutsider audits and returns the refusal of actor, whose Slack
// envelope came from another workspace or organization (a Slack Connect
// guest in a shared channel): mdebot serves members of its own workspace
// only, whatever Policy.Requesters says. The adapter, which reads the
// envelope, tells; detail says where it came from.
func (s *Service) RefuseOutsider(ctx context.Context, actor, detail string) error {
	return s.refuse(ctx, nil, opEnvelope, actor, RuleWorkspace, detail)
}

// ruleMissing says what an actor refused by rule is not.
func ruleMissing(rule Rule) string {
	switch rule {
	case RuleReader:
		return "neither a requester, an approver nor an auditor"
	case RuleAuditor:
		return "not an auditor"
	}
	return "not permitted"
}

// CheckOpen applies the open rules that need no machine lookup to d: its
// kind, its channel and its requester. The bot calls it before it asks MDE
// for the machine, so a request refused anyway costs no MDE call; Open
// applies the same rules again. Refusals are audited, as Open's are.
func (s *Service) CheckOpen(ctx context.Context, d Draft) error {
	if !d.Kind.Valid() {
		return s.refuseOpen(ctx, d, &Error{Code: CodeInvalid, Op: OpOpen, Msg: fmt.Sprintf("unknown action kind %q", truncate(string(d.Kind), 40))})
	}
	return s.checkOpener(ctx, d)
}

// checkOpener refuses d unless its channel is allowed and its requester is
// one of Policy.Requesters.
func (s *Service) checkOpener(ctx context.Context, d Draft) error {
	if !s.policy.channelAllowed(d.Channel) {
		return s.refuseOpen(ctx, d, &Error{Code: CodeNotPermitted, Rule: RuleChannel, Op: OpOpen,
			Msg: "requests are not accepted in channel " + d.Channel})
	}
	ok, err := s.IsRequester(ctx, d.Requester)
	if err != nil {
		return s.refuseLookup(ctx, OpOpen, d.Requester, "", err)
	}
	if !ok {
		return s.refuseOpen(ctx, d, &Error{Code: CodeNotPermitted, Rule: RuleRequester, Op: OpOpen,
			Msg: d.Requester + " may not request response actions"})
	}
	return nil
}

// refuseOpen audits the refusal err of draft d and returns err.
func (s *Service) refuseOpen(ctx context.Context, d Draft, err *Error) error {
	ev := refusal(nil, OpOpen, d.Requester, s.now(), err)
	ev.Kind, ev.Machine = d.Kind, d.Params.Machine
	if aerr := s.store.Append(ctx, ev); aerr != nil {
		return fmt.Errorf("approvals: auditing refused request: %w (refused because: %w)", aerr, err)
	}
	return err
}

// Find returns the request with id, which is a request id (R-…) or the
// id of its MDE action or indicator. A miss is audited as actor's refused
// op (a forged or mistyped id) and matches ErrNotFound. Find checks no
// permission: the op's own rule does (Authorize, or the transition).
func (s *Service) Find(ctx context.Context, actor string, op Op, id string) (*Request, error) {
	r, err := s.store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		if r2, err2 := s.store.ByActionID(ctx, strings.ToLower(id)); err2 == nil {
			return r2, nil
		}
		if aerr := s.auditNotFound(ctx, op, actor, id); aerr != nil {
			return nil, aerr
		}
	}
	return r, err
}

// auditNotFound audits actor's op on request id, refused because no such
// request exists.
func (s *Service) auditNotFound(ctx context.Context, op Op, actor, id string) error {
	if actor == "" {
		return nil
	}
	ev := AuditEvent{At: s.now(), Type: EventRefused, RequestID: truncate(id, 64), Actor: truncate(actor, 64),
		Code: CodeNotFound, Detail: string(op) + ": request not found"}
	if aerr := s.store.Append(ctx, ev); aerr != nil {
		return fmt.Errorf("approvals: auditing refused %s: %w (refused because: %w)", op, aerr, newError(CodeNotFound, id, "request not found"))
	}
	return nil
}

// CheckDeny applies the rules of a denial except the reason's to actor and
// request id, without deciding anything: the bot calls it before it asks
// the approver for a reason, so a refused approver never sees the modal.
// It returns the request; a refusal is audited, as Deny's are.
func (s *Service) CheckDeny(ctx context.Context, id, actor string) (*Request, error) {
	_, isApprover, err := s.decider(ctx, OpDeny, id, actor)
	if err != nil {
		return nil, err
	}
	res, err := s.update(ctx, OpDeny, actor, id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		if ev, err := deny(r.Clone(), actor, "", isApprover, now); !errors.Is(err, ErrReasonRequired) {
			return ev, err
		}
		return nil, ErrUnchanged
	})
	return res.Request, err
}

// AuthorizePackageLink decides whether actor may see the download link of
// request id's investigation package: its requester, the approvers who
// approved it and every current approver may. It returns the request; a
// refusal (ErrNotOwner) or a miss is audited. Call RecordPackageLink once
// the link was shown.
func (s *Service) AuthorizePackageLink(ctx context.Context, id, actor string) (*Request, error) {
	r, err := s.Find(ctx, actor, OpPackageLink, id)
	if err != nil {
		return nil, err
	}
	if actor == r.Requester || slices.Contains(r.Approvals(), actor) {
		return r, nil
	}
	ok, err := s.IsApprover(ctx, actor)
	if err != nil {
		return nil, s.refuseLookup(ctx, OpPackageLink, actor, r.ID, err)
	}
	if !ok {
		return nil, s.refuse(ctx, r, OpPackageLink, actor, RuleOwner, actor+" is neither the requester nor an approver")
	}
	return r, nil
}

// refuse audits actor's op on r (nil for none), refused by rule, and
// returns the refusal.
func (s *Service) refuse(ctx context.Context, r *Request, op Op, actor string, rule Rule, msg string) error {
	err := &Error{Code: CodeNotPermitted, Rule: rule, Op: op, Msg: msg}
	if r != nil {
		err.RequestID, err.State = r.ID, r.State
	}
	if aerr := s.store.Append(ctx, refusal(r, op, actor, s.now(), err)); aerr != nil {
		return fmt.Errorf("approvals: auditing refused %s: %w (refused because: %w)", op, aerr, err)
	}
	return err
}

// RecordPackageLink audits that actor was shown the download link of r's
// investigation package.
func (s *Service) RecordPackageLink(ctx context.Context, r *Request, actor string) error {
	return s.record(ctx, r.event(EventPackageLink, actor, s.now(), ""))
}

// RecordTargetPackageLink audits that actor was shown the download link of
// the package collected on machine t of bulk request r.
func (s *Service) RecordTargetPackageLink(ctx context.Context, r *Request, t *Target, actor string) error {
	ev := r.event(EventPackageLink, actor, s.now(), "MDE action "+t.ActionID)
	ev.Machine = t.Machine
	return s.record(ctx, ev)
}

// RecordExport audits that actor was sent an export; detail says what it
// held.
func (s *Service) RecordExport(ctx context.Context, actor, detail string) error {
	return s.record(ctx, AuditEvent{At: s.now(), Type: EventExported, Actor: actor, Detail: detail})
}

// RecordDryRun audits that approved request r was not sent to MDE because
// mdebot runs as a dry run; detail says what would have been sent.
func (s *Service) RecordDryRun(ctx context.Context, r *Request, detail string) error {
	return s.record(ctx, r.event(EventDryRun, SystemActor, s.now(), detail))
}

func (s *Service) record(ctx context.Context, ev AuditEvent) error {
	if err := s.store.Append(ctx, ev); err != nil {
		return fmt.Errorf("approvals: auditing %s: %w", ev.Type, err)
	}
	return nil
}

// IsAuditor reports whether user may read the request history: one of
// Policy.Auditors (directly or through a user group) or, when none are
// configured, an approver.
func (s *Service) IsAuditor(ctx context.Context, user string) (bool, error) {
	if len(s.policy.Auditors) == 0 {
		return s.IsApprover(ctx, user)
	}
	return s.isListedAuditor(ctx, user)
}

// isListedAuditor reports whether user is one of Policy.Auditors; none
// configured means nobody.
func (s *Service) isListedAuditor(ctx context.Context, user string) (bool, error) {
	if len(s.policy.Auditors) == 0 {
		return false, nil
	}
	return member(ctx, s.groups, s.policy.Auditors, user)
}

// IsReader reports whether user may look up machines and requests (the
// rule of OpLookUp, without the channel and without auditing): a
// requester, an approver or an auditor.
func (s *Service) IsReader(ctx context.Context, user string) (bool, error) {
	for _, is := range []func(context.Context, string) (bool, error){s.IsRequester, s.IsApprover, s.IsAuditor} {
		if ok, err := is(ctx, user); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// Live returns the live requests (awaiting approval, approved, submitted),
// oldest first.
func (s *Service) Live(ctx context.Context) ([]*Request, error) {
	return s.store.Live(ctx)
}
