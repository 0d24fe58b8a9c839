package approvals

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/mdebot/mdebot/mde"
)

// Params are the parameters of a response action. Which fields are set
// depends on the kind (see [Draft]).
type Params struct {
	Machine     mde.MachineID     `json:"machine,omitempty"`      // every kind but block/unblock
	MachineName string            `json:"machine_name,omitempty"` // for display
	Isolation   mde.IsolationType `json:"isolation,omitempty"`    // isolate only
	Scan        mde.ScanType      `json:"scan,omitempty"`         // scan only
	FileHash    string            `json:"file_hash,omitempty"`    // quarantine, block, unblock
	HashType    mde.HashType      `json:"hash_type,omitempty"`    // with FileHash
}

// Verdict is an approver's decision.
type Verdict string

// The verdicts.
const (
	Approve Verdict = "approve"
	Deny    Verdict = "deny"
)

// Decision is one approver's verdict on a request.
type Decision struct {
	Actor   string    `json:"actor"`
	Verdict Verdict   `json:"verdict"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// StatusChange is one MDE status seen for the submitted action.
type StatusChange struct {
	At     time.Time        `json:"at"`
	Status mde.ActionStatus `json:"status"`
	Detail string           `json:"detail,omitempty"`
	// Machine is the machine whose action it is, in a bulk request.
	Machine mde.MachineID `json:"machine,omitempty"`
}

// Card is where the request's Slack card was posted, so later states can
// edit it in place.
type Card struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// Request is one response-action request and everything that happened to
// it. Requests are values: a Store hands out copies, and changes are made
// only through [Service] methods.
type Request struct {
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	Params    Params    `json:"params"`
	Requester string    `json:"requester"`
	Channel   string    `json:"channel"`
	Reason    string    `json:"reason"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`  // end of the approval window
	Required  int       `json:"required"` // approvals needed: the policy's at creation, raised if it was tightened since
	// RequiredAtOpen is the count Required had when the request was opened,
	// set when a tightened policy raised it at a decision (0 otherwise).
	RequiredAtOpen int `json:"required_at_open,omitempty"`
	// Facts are the machine properties the policy rules were matched
	// against when the request was opened.
	Facts MachineFacts `json:"facts,omitzero"`
	// Rules are the policy rules that set Required and say whose approval
	// counts (none: the policy's approvals and approvers). A tightened
	// policy replaces them at an approval, with Required.
	Rules []AppliedRule `json:"rules,omitempty"`
	// BreakGlass marks a request run at once by break-glass, without a
	// second person; Review is its mandatory after-review.
	BreakGlass bool    `json:"break_glass,omitempty"`
	Review     *Review `json:"review,omitempty"`

	State     State      `json:"state"`
	Updated   time.Time  `json:"updated"` // time of the last state change
	Decisions []Decision `json:"decisions,omitempty"`
	ClosedBy  string     `json:"closed_by,omitempty"` // who withdrew or cancelled it

	Card Card `json:"card"`
	// Copies are the other messages showing the card (each eligible
	// approver's DM, the escalation channel), edited with it.
	Copies []Card `json:"copies,omitempty"`
	// Escalated is when the request, undecided after
	// Policy.EscalateAfter, was escalated (zero: it was not).
	Escalated       time.Time        `json:"escalated,omitzero"`
	ActionID        string           `json:"action_id,omitempty"` // MDE machine action (or indicator) id
	MDEStatus       mde.ActionStatus `json:"mde_status,omitempty"`
	StatusHistory   []StatusChange   `json:"status_history,omitempty"`
	CancelRequested string           `json:"cancel_requested,omitempty"` // who asked to cancel the MDE action
	// Submitting is when mdebot began sending the approved request to MDE.
	// Once it is set, MDE may hold the action although its id is not yet
	// known (a reply lost, a crash), so a cancel is only requested, never
	// taken as done, until the action is found or known not to exist.
	Submitting    time.Time `json:"submitting,omitzero"`
	Error         string    `json:"error,omitempty"`           // why it failed
	CancelOfferTS string    `json:"cancel_offer_ts,omitempty"` // the thread reply with the Cancel button
	// Targets are a bulk request's machines, each with its own MDE action
	// (see Target); empty for a request on one machine or a file hash.
	Targets []Target `json:"targets,omitempty"`
	// BulkOver is policy.bulk_extra_approval_over when the request names
	// more machines than that and so needs one approval more (0
	// otherwise).
	BulkOver int `json:"bulk_over,omitempty"`
	// Notes are what changes told the request's followers beyond its
	// state, in order (see Note): recorded by the change that owes them.
	Notes []Note `json:"notes,omitempty"`
}

// Approvals returns the ids of the people whose approval counted, in order.
func (r *Request) Approvals() []string {
	var ids []string
	for _, d := range r.Decisions {
		if d.Verdict == Approve {
			ids = append(ids, d.Actor)
		}
	}
	return ids
}

// Users returns the requester and everyone who decided, each once: the
// people a history search by user finds the request under.
func (r *Request) Users() []string {
	users := []string{r.Requester}
	for _, d := range r.Decisions {
		if !slices.Contains(users, d.Actor) {
			users = append(users, d.Actor)
		}
	}
	return users
}

// Target returns what the request acts on: the machine id, for block
// and unblock the file hash, and for a bulk request the number of machines
// ("30 machines").
func (r *Request) Target() string {
	if r.Bulk() {
		return strconv.Itoa(len(r.Targets)) + " machines"
	}
	if r.Kind.TargetsMachine() {
		return string(r.Params.Machine)
	}
	return r.Params.FileHash
}

// ConflictKey names the slot a live request occupies: at most one live
// request may hold a key. Opposite kinds share it (isolate and unisolate of
// one machine; restrict and unrestrict; block and unblock of one hash).
func (r *Request) ConflictKey() string { return r.Kind.family() + "/" + r.Target() }

// Fingerprint is a SHA-256 (hex) over what an approver is shown: the id,
// kind, requester, parameters, reason, the approvals needed and the policy
// rules' outcome (so a rule change mid-request shows). The Approve button carries it, so
// an approval cannot apply to a request that differs from what was shown.
func (r *Request) Fingerprint() string {
	h := sha256.New()
	fields := []string{"mdebot-request-v1", r.ID, string(r.Kind), r.Requester,
		string(r.Params.Machine), r.Params.MachineName, string(r.Params.Isolation),
		string(r.Params.Scan), r.Params.FileHash, string(r.Params.HashType), r.Reason,
		strconv.Itoa(r.Required)}
	if why := r.RuleOutcome(); why != "" {
		// Only then, so that requests stored before rules existed keep
		// their fingerprint.
		fields = append(fields, why)
	}
	for _, t := range r.Targets {
		// The approval is bound to the exact set of machines.
		fields = append(fields, "target", string(t.Machine), t.Name)
	}
	for _, f := range fields {
		// Length-prefix each field so that no two field lists hash alike.
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RuleOutcome explains which policy rules set the approvals and whose
// approval counts ("Tier0-Servers: 2 approvals from S0IRLEADS"); "" when
// no rule matched.
func (r *Request) RuleOutcome() string { return explain(r.Rules) }

// Clone returns a deep copy of r.
func (r *Request) Clone() *Request {
	c := *r
	c.Decisions = slices.Clone(r.Decisions)
	c.StatusHistory = slices.Clone(r.StatusHistory)
	c.Facts.Tags = slices.Clone(r.Facts.Tags)
	c.Rules = slices.Clone(r.Rules)
	c.Copies = slices.Clone(r.Copies)
	c.Targets = slices.Clone(r.Targets)
	for i := range c.Targets {
		c.Targets[i].Facts.Tags = slices.Clone(r.Targets[i].Facts.Tags)
	}
	c.Notes = slices.Clone(r.Notes)
	if r.Review != nil {
		rv := *r.Review
		c.Review = &rv
	}
	return &c
}
