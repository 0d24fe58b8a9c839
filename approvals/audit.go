package approvals

import (
	"time"

	"github.com/mdebot/mdebot/mde"
)

// EventType names what an audit event records.
type EventType string

// The audit event types.
const (
	EventRequested       EventType = "requested"        // a request was opened
	EventApproved        EventType = "approved"         // one approval counted
	EventAutoApproved    EventType = "auto_approved"    // policy needs no approval
	EventExecutable      EventType = "executable"       // enough approvals: may run
	EventDenied          EventType = "denied"           // an approver denied it
	EventExpired         EventType = "expired"          // the sweeper expired it
	EventWithdrawn       EventType = "withdrawn"        // withdrawn before a decision
	EventCardPosted      EventType = "card_posted"      // the Slack card location was stored
	EventSubmitting      EventType = "submitting"       // about to be sent to MDE
	EventSubmitted       EventType = "submitted"        // sent to MDE, with its action id
	EventSubmitFailed    EventType = "submit_failed"    // MDE refused the submission
	EventStatus          EventType = "status"           // an MDE status was seen
	EventCancelRequested EventType = "cancel_requested" // cancel asked for an action sent (or being sent) to MDE
	EventCancelled       EventType = "cancelled"        // cancelled before submission, or found never sent
	EventRefused         EventType = "refused"          // an attempt the rules refused
	EventPackageLink     EventType = "package_link"     // an investigation package link was shown
	EventExported        EventType = "exported"         // an export was sent to an auditor
	EventDryRun          EventType = "dry_run"          // an approved action a dry run did not send to MDE

	EventBreakGlass         EventType = "break_glass"         // approved at once by break-glass, without a second person
	EventReviewAcknowledged EventType = "review_acknowledged" // an approver accepted a break-glass action, with a note
	EventReviewFlagged      EventType = "review_flagged"      // an approver flagged a break-glass action
	EventReviewOverdue      EventType = "review_overdue"      // a break-glass action was not reviewed in time
	EventCardCopied         EventType = "card_copied"         // a copy of the card was posted (an approver's DM, the escalation channel)
	EventEscalated          EventType = "escalated"           // nobody decided within policy.escalate_after; escalated
	EventReused             EventType = "reused"              // a bulk request's machine follows another request's live action
	EventFinished           EventType = "finished"            // every machine of a bulk request ended
)

// AuditEvent is one entry of the audit log: who did (or tried) what to
// which request, when. The store adds a sequence number and a hash chain.
type AuditEvent struct {
	At        time.Time     `json:"at"`
	Type      EventType     `json:"type"`
	RequestID string        `json:"request_id,omitempty"`
	Actor     string        `json:"actor,omitempty"` // a Slack user id, or "mdebot"
	Kind      Kind          `json:"kind,omitempty"`
	Machine   mde.MachineID `json:"machine,omitempty"`
	State     State         `json:"state,omitempty"` // the request's state after the event
	Code      Code          `json:"code,omitempty"`  // for EventRefused: why
	Detail    string        `json:"detail,omitempty"`
}

// SystemActor is the actor of events mdebot itself causes (expiry, MDE
// statuses, auto-approval).
const SystemActor = "mdebot"

func (r *Request) event(t EventType, actor string, at time.Time, detail string) AuditEvent {
	return AuditEvent{At: at, Type: t, RequestID: r.ID, Actor: actor, Kind: r.Kind,
		Machine: r.Params.Machine, State: r.State, Detail: detail}
}

// refusal builds the audit event for a refused attempt.
func refusal(r *Request, op Op, actor string, at time.Time, err *Error) AuditEvent {
	ev := AuditEvent{At: at, Type: EventRefused, Actor: truncate(actor, 64), Code: err.Code, Detail: string(op) + ": " + err.Msg}
	if r != nil {
		ev.RequestID, ev.Kind, ev.Machine, ev.State = r.ID, r.Kind, r.Params.Machine, r.State
	}
	return ev
}
