package approvals

import "fmt"

// Code classifies an [*Error] so callers can decide what to tell people.
type Code string

// The error codes. Each has a sentinel (ErrNotFound, ErrInvalid, ...) to use
// with errors.Is; use errors.As with *Error for the details.
const (
	CodeNotFound        Code = "not_found"       // no request with that id
	CodeInvalid         Code = "invalid"         // a malformed draft or argument
	CodeNotPermitted    Code = "not_permitted"   // actor may not request/approve here
	CodeSelfDecision    Code = "self_decision"   // the requester tried to approve or deny
	CodeAlreadyDecided  Code = "already_decided" // this actor already approved
	CodeNotAwaiting     Code = "not_awaiting"    // the request is no longer awaiting approval
	CodeExpired         Code = "expired"         // the approval window has passed
	CodeFingerprint     Code = "fingerprint"     // the request changed since it was shown
	CodeReasonRequired  Code = "reason_required" // a denial needs a reason
	CodeConflict        Code = "conflict"        // another live request for the same target
	CodeIllegal         Code = "illegal"         // a lifecycle transition that is not allowed
	CodeDuplicateID     Code = "duplicate_id"    // Store.Create saw an existing id
	CodeInvalidPolicy   Code = "invalid_policy"  // the configured policy is unusable
	CodeGroupLookup     Code = "group_lookup"    // resolving a user group failed
	CodeBreakGlassCap   Code = "break_glass_cap" // the requester used break-glass as often as a day allows
	codeUnchangedMarker Code = "unchanged"       // see ErrUnchanged
)

// Error is the error every refused operation returns. Code says what went
// wrong; the other fields, when set, say about what.
type Error struct {
	Code      Code
	RequestID string // the request the operation was about
	State     State  // the request's state when it was refused
	Existing  string // for CodeConflict: the id of the live request in the way
	Op        Op     // what was attempted, when the refusal names it
	Rule      Rule   // for CodeNotPermitted: which permission rule refused it
	Missing   int    // for CodeAlreadyDecided: approvals the request still needs from others
	Msg       string // a sentence for logs
	Err       error  // the underlying error, if any
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Error implements error.
func (e *Error) Error() string {
	s := "approvals: " + e.Msg
	if e.RequestID != "" {
		s = fmt.Sprintf("approvals: request %s: %s", e.RequestID, e.Msg)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is an *Error with the same Code and, when the
// target names one, the same Rule: errors.Is(err, ErrSelfDecision) works
// for any self-decision error, errors.Is(err, ErrNotPermitted) for any
// permission refusal, and errors.Is(err, ErrNotApprover) for that one rule.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Rule == "" || t.Rule == e.Rule)
}

// Rule names the permission rule behind a CodeNotPermitted refusal, so a
// caller explains it by errors.Is with the rule's sentinel, never by the
// message's text.
type Rule string

// The permission rules.
const (
	RuleRequester Rule = "requester" // only Policy.Requesters may open requests
	RuleChannel   Rule = "channel"   // only Policy.Channels are answered
	RuleApprover  Rule = "approver"  // only approvers approve and deny
	RuleOwner     Rule = "owner"     // only the requester or an approver withdraws, cancels, downloads
	RuleReader    Rule = "reader"    // only requesters, approvers and auditors look up machines and requests
	RuleAuditor   Rule = "auditor"   // only auditors read history and export
	RuleWorkspace Rule = "workspace" // only members of the bot's own Slack workspace are served
	// RuleMachineApprover: on a machine that policy rules name approvers
	// for, only people in every such rule's list approve and deny.
	RuleMachineApprover Rule = "machine_approver"
	// RuleBreakGlass: only slack.break_glass may use break-glass.
	RuleBreakGlass Rule = "break_glass"
	// RuleBreakGlassKind: break-glass runs only policy.break_glass_kinds.
	RuleBreakGlassKind Rule = "break_glass_kind"
)

func newError(c Code, id, msg string) *Error { return &Error{Code: c, RequestID: id, Msg: msg} }

// Sentinels for errors.Is, one per Code.
var (
	ErrNotFound       = &Error{Code: CodeNotFound, Msg: "request not found"}
	ErrInvalid        = &Error{Code: CodeInvalid, Msg: "invalid"}
	ErrNotPermitted   = &Error{Code: CodeNotPermitted, Msg: "not permitted"}
	ErrSelfDecision   = &Error{Code: CodeSelfDecision, Msg: "requester cannot decide own request"}
	ErrAlreadyDecided = &Error{Code: CodeAlreadyDecided, Msg: "already approved by this person"}
	ErrNotAwaiting    = &Error{Code: CodeNotAwaiting, Msg: "no longer awaiting approval"}
	ErrExpired        = &Error{Code: CodeExpired, Msg: "approval window expired"}
	ErrFingerprint    = &Error{Code: CodeFingerprint, Msg: "request changed since it was shown"}
	ErrReasonRequired = &Error{Code: CodeReasonRequired, Msg: "a reason is required"}
	ErrConflict       = &Error{Code: CodeConflict, Msg: "another live request for the same target"}
	ErrIllegal        = &Error{Code: CodeIllegal, Msg: "illegal transition"}
	ErrDuplicateID    = &Error{Code: CodeDuplicateID, Msg: "request id already exists"}
	ErrInvalidPolicy  = &Error{Code: CodeInvalidPolicy, Msg: "invalid policy"}
	ErrGroupLookup    = &Error{Code: CodeGroupLookup, Msg: "user group lookup failed"}
	ErrBreakGlassCap  = &Error{Code: CodeBreakGlassCap, Msg: "break-glass used as often as a day allows"}
)

// Sentinels of the permission rules: each matches the CodeNotPermitted
// refusals of its Rule only.
var (
	ErrNotRequester = &Error{Code: CodeNotPermitted, Rule: RuleRequester, Msg: "not a requester"}
	ErrChannel      = &Error{Code: CodeNotPermitted, Rule: RuleChannel, Msg: "channel not allowed"}
	ErrNotApprover  = &Error{Code: CodeNotPermitted, Rule: RuleApprover, Msg: "not an approver"}
	ErrNotOwner     = &Error{Code: CodeNotPermitted, Rule: RuleOwner, Msg: "neither the requester nor an approver"}
	ErrNotReader    = &Error{Code: CodeNotPermitted, Rule: RuleReader, Msg: "not a requester, approver or auditor"}
	ErrNotAuditor   = &Error{Code: CodeNotPermitted, Rule: RuleAuditor, Msg: "not an auditor"}
	ErrWorkspace    = &Error{Code: CodeNotPermitted, Rule: RuleWorkspace, Msg: "not from this workspace"}
	// ErrNotMachineApprover matches a decision refused because the
	// machine's policy rules name other approvers.
	ErrNotBreakGlass      = &Error{Code: CodeNotPermitted, Rule: RuleBreakGlass, Msg: "may not use break-glass"}
	ErrBreakGlassKind     = &Error{Code: CodeNotPermitted, Rule: RuleBreakGlassKind, Msg: "break-glass may not run this kind"}
	ErrNotMachineApprover = &Error{Code: CodeNotPermitted, Rule: RuleMachineApprover, Msg: "not an approver this machine's rules name"}
)

// ErrUnchanged is returned by a transition function given to Store.Update
// when the request is already in the wanted state (a repeated MDE status, a
// repeated submission of the same action id). A Store must then write
// nothing and return the request as read, with a nil error.
var ErrUnchanged = &Error{Code: codeUnchangedMarker, Msg: "unchanged"}
