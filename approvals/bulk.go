package approvals

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mdebot/mdebot/mde"
)

// A bulk request acts on several machines at once (an outbreak: isolate
// thirty machines, scan a device group). It is one request — one card, one
// approval bound to the exact set — whose Targets carry each machine's own
// MDE action. Its lifecycle is a single request's, lifted:
//
//   - approved: each target is marked Submitting before its POST
//     (MarkTargetsSubmitting), then records its action, or MDE's refusal
//     (MarkTargetsSent);
//   - submitted once every target was sent (or refused), while any action
//     runs;
//   - final once every target is: succeeded when all succeeded, cancelled
//     when all were cancelled, else failed (Request.Error counts them).
//
// A machine whose same action is already live in mdebot is reused: the
// target follows that request's action and never sends its own. An action
// MDE already runs for someone else is followed read-only, never claimed
// or cancelled.

// DefaultMaxMachines is policy.max_machines when the policy does not say.
const DefaultMaxMachines = 50

// DefaultBulkExtraApprovalOver is policy.bulk_extra_approval_over when the
// policy does not say: a request for more machines than this needs one
// approval more than its kind.
const DefaultBulkExtraApprovalOver = 10

// Owner says whose MDE action a bulk request's target follows.
type Owner string

// The owners of a target's action.
const (
	OwnerSelf    Owner = ""        // this request sent it
	OwnerReused  Owner = "reused"  // another mdebot request's live action (Target.OwnerRequest)
	OwnerForeign Owner = "foreign" // someone else's (the portal, another tool): followed read-only
)

// Target is one machine of a bulk request and what happened to it in MDE.
type Target struct {
	Machine mde.MachineID `json:"machine"`
	Name    string        `json:"name,omitempty"`
	// Facts are the machine's properties the policy rules were matched
	// against; Health and LastSeen are shown on the card.
	Facts    MachineFacts `json:"facts,omitzero"`
	Health   string       `json:"health,omitempty"`
	LastSeen time.Time    `json:"last_seen,omitzero"`

	// Submitting is when mdebot began sending this machine's action:
	// from then on MDE may hold it although its id is not yet known.
	Submitting time.Time        `json:"submitting,omitzero"`
	ActionID   string           `json:"action_id,omitempty"`
	Status     mde.ActionStatus `json:"status,omitempty"`
	Owner      Owner            `json:"owner,omitempty"`
	// OwnerRequest is the mdebot request whose action a reused target
	// follows; Requestor who created a foreign one.
	OwnerRequest string `json:"owner_request,omitempty"`
	Requestor    string `json:"requestor,omitempty"`
	// Error is why the machine's action failed, or was never sent.
	Error string `json:"error,omitempty"`
	// CancelRequested is who asked to cancel this machine's action.
	CancelRequested string    `json:"cancel_requested,omitempty"`
	Updated         time.Time `json:"updated,omitzero"`
}

// Sent reports whether t's action is known: sent by mdebot, reused or
// someone else's.
func (t *Target) Sent() bool { return t.ActionID != "" }

// Final reports whether nothing more will happen to t: its action ended,
// or it was never sent (refused, cancelled first).
func (t *Target) Final() bool {
	return t.Status.Terminal() || (t.ActionID == "" && t.Error != "")
}

// Live reports whether t's action runs in MDE.
func (t *Target) Live() bool { return t.Sent() && !t.Status.Terminal() }

// Pending reports whether t still waits to be sent: neither sent, nor
// being sent, nor finished.
func (t *Target) Pending() bool {
	return t.Owner == OwnerSelf && t.Submitting.IsZero() && !t.Sent() && !t.Final()
}

// Unsure reports whether t's action may exist in MDE with its id unknown:
// marked Submitting, then neither recorded nor refused (a reply lost, a
// crash). Recovery looks it up by the request id in its comment.
func (t *Target) Unsure() bool {
	return t.Owner == OwnerSelf && !t.Submitting.IsZero() && !t.Sent() && !t.Final()
}

// Outcome is t's outcome in one word, as the card counts it: MDE's status
// once sent, "NotSent" when it never was, "Sending" while being sent,
// "Queued" before.
func (t *Target) Outcome() string {
	switch {
	case t.Status != "":
		return string(t.Status)
	case t.Final():
		return "NotSent"
	case !t.Submitting.IsZero():
		return "Sending"
	}
	return "Queued"
}

// Bulk reports whether r acts on several machines (see Target).
func (r *Request) Bulk() bool { return len(r.Targets) > 0 }

// TargetFor returns r's target for machine m, or nil.
func (r *Request) TargetFor(m mde.MachineID) *Target {
	for i := range r.Targets {
		if r.Targets[i].Machine == m {
			return &r.Targets[i]
		}
	}
	return nil
}

// TargetByAction returns r's target following MDE action id, or nil.
func (r *Request) TargetByAction(id string) *Target {
	for i := range r.Targets {
		if id != "" && strings.EqualFold(r.Targets[i].ActionID, id) {
			return &r.Targets[i]
		}
	}
	return nil
}

// Counts returns how many of r's targets have each outcome (see
// Target.Outcome), and their order of first appearance.
func (r *Request) Counts() (map[string]int, []string) {
	counts := map[string]int{}
	var order []string
	for i := range r.Targets {
		o := r.Targets[i].Outcome()
		if counts[o] == 0 {
			order = append(order, o)
		}
		counts[o]++
	}
	return counts, order
}

// ConflictKeys names the slots a live request occupies (see ConflictKey):
// one per machine of a bulk request.
func (r *Request) ConflictKeys() []string {
	if !r.Bulk() {
		return []string{r.ConflictKey()}
	}
	keys := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		keys[i] = r.Kind.family() + "/" + string(t.Machine)
	}
	return keys
}

// ActionIDs returns the MDE action ids r sent itself: its ActionID, or a
// bulk request's own targets' (not the reused or foreign ones it follows,
// which belong to other requests or to nobody in mdebot).
func (r *Request) ActionIDs() []string {
	if !r.Bulk() {
		if r.ActionID == "" {
			return nil
		}
		return []string{r.ActionID}
	}
	var ids []string
	for _, t := range r.Targets {
		if t.Owner == OwnerSelf && t.ActionID != "" {
			ids = append(ids, t.ActionID)
		}
	}
	return ids
}

// liveActionOn returns l's live MDE action on machine m, if l has one.
func liveActionOn(l *Request, m mde.MachineID) (string, mde.ActionStatus, bool) {
	if !l.Bulk() {
		if l.State == StateSubmitted && l.Params.Machine == m && l.ActionID != "" {
			return l.ActionID, l.MDEStatus, true
		}
		return "", "", false
	}
	if t := l.TargetFor(m); t != nil && t.Live() {
		return t.ActionID, t.Status, true
	}
	return "", "", false
}

// normalizeTargets validates a bulk draft's targets: a machine kind but
// offboard, valid distinct machine ids, no single-machine parameters.
func (d *Draft) normalizeTargets() *Error {
	bad := func(format string, a ...any) *Error {
		return &Error{Code: CodeInvalid, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case !d.Kind.TargetsMachine():
		return bad("%s acts on a file hash tenant-wide and takes no machines", d.Kind)
	case d.Kind == KindOffboard:
		return bad("offboard takes one machine at a time")
	case d.Params.Machine != "" || d.Params.MachineName != "" || !d.Facts.zero():
		return bad("a request for several machines names them in its targets only")
	}
	seen := map[mde.MachineID]bool{}
	ts := make([]Target, len(d.Targets))
	for i, t := range d.Targets {
		m, err := mde.ParseMachineID(string(t.Machine))
		if err != nil {
			return &Error{Code: CodeInvalid, Msg: "machine id", Err: err}
		}
		if seen[m] {
			return bad("machine %s is named twice", m)
		}
		seen[m] = true
		if len([]rune(t.Name)) > 255 {
			return bad("machine name longer than 255 characters")
		}
		ts[i] = Target{Machine: m, Name: t.Name, Facts: t.Facts, Health: t.Health, LastSeen: t.LastSeen}
	}
	d.Targets = ts
	return nil
}

// evaluateTargets is what the policy asks of a request of kind k on the
// machines ts: the strictest of what it asks for each machine (the largest
// count; every matching rule's approvers), plus one approval when there
// are more machines than Policy.BulkExtraApprovalOver.
func (p Policy) evaluateTargets(k Kind, ts []Target) Requirement {
	var req Requirement
	for _, t := range ts {
		// A machine no rule matches needs the kind's count: a rule that
		// lowers it for some machines lowers it for those alone.
		one := p.Evaluate(k, t.Facts)
		req.Required = max(req.Required, one.Required)
		for _, ar := range one.Rules {
			if !slices.ContainsFunc(req.Rules, func(x AppliedRule) bool { return x.Name == ar.Name }) {
				req.Rules = append(req.Rules, ar)
			}
		}
	}
	if len(ts) > p.bulkExtraOver() {
		req.Required++
	}
	return req
}

// requirement is what the policy asks of r now.
func (p Policy) requirement(r *Request) Requirement {
	if r.Bulk() {
		return p.evaluateTargets(r.Kind, r.Targets)
	}
	return p.Evaluate(r.Kind, r.Facts)
}

// openedBulk checks bulk request r against the live requests holding one
// of its machines: the same action live in mdebot is reused (the target
// follows it); anything else in the way refuses the request, naming the
// machine. It returns the events of r's creation.
func openedBulk(r *Request, live []*Request, now time.Time) ([]AuditEvent, error) {
	for _, l := range live {
		if l.ID == r.ID || (l.State == StateAwaiting && !now.Before(l.Expires)) {
			continue
		}
		for i := range r.Targets {
			t := &r.Targets[i]
			if !slices.Contains(l.ConflictKeys(), r.Kind.family()+"/"+string(t.Machine)) {
				continue
			}
			if id, status, ok := liveActionOn(l, t.Machine); ok && l.Kind == r.Kind {
				t.ActionID, t.Status, t.Owner, t.OwnerRequest, t.Updated = id, status, OwnerReused, l.ID, now
				continue
			}
			err := &Error{Code: CodeConflict, Existing: l.ID,
				Msg: fmt.Sprintf("%s %s is already %s as %s", l.Kind, targetName(t), l.State, l.ID)}
			ev := refusal(nil, "open", r.Requester, now, err)
			ev.Kind, ev.Machine = r.Kind, t.Machine
			return []AuditEvent{ev}, err
		}
	}
	events := []AuditEvent{r.event(EventRequested, r.Requester, now, fmt.Sprintf("%d machines: %s", len(r.Targets), r.Reason))}
	for _, t := range r.Targets {
		if t.Owner == OwnerReused {
			events = append(events, r.targetEvent(EventReused, &t, now, "follows "+t.OwnerRequest+"'s action "+t.ActionID))
		}
	}
	if r.BreakGlass {
		r.setState(StateApproved, now)
		return append(events, r.event(EventBreakGlass, r.Requester, now,
			fmt.Sprintf("run without a second person (policy needs %d); review due %s", r.Required, r.Review.Due.UTC().Format(time.RFC3339)))), nil
	}
	if r.Required == 0 {
		r.setState(StateApproved, now)
		events = append(events, r.event(EventAutoApproved, SystemActor, now, "policy needs no approval for "+string(r.Kind)))
	}
	return append(events, settle(r, now)...), nil
}

func targetName(t *Target) string {
	if t.Name != "" {
		return t.Name
	}
	return string(t.Machine)
}

func (r *Request) targetEvent(typ EventType, t *Target, at time.Time, detail string) AuditEvent {
	ev := r.event(typ, SystemActor, at, detail)
	ev.Machine = t.Machine
	return ev
}

// refuseBulk refuses a transition made for the other shape of request:
// single is true when a single-machine transition was tried on a bulk
// request.
func refuseBulk(r *Request, op Op, now time.Time, single bool) ([]AuditEvent, error) {
	if single {
		return refuse(r, op, SystemActor, now, CodeIllegal, "acts on several machines; use the per-machine transitions")
	}
	return refuse(r, op, SystemActor, now, CodeIllegal, "acts on one machine")
}

// markTargetsSubmitting marks the targets for machines ms as being sent.
// Targets already sent, being sent or finished are left alone; ErrUnchanged
// when that is all of them.
func markTargetsSubmitting(r *Request, ms []mde.MachineID, now time.Time) ([]AuditEvent, error) {
	if !r.Bulk() {
		return refuseBulk(r, OpSubmit, now, false)
	}
	if r.State != StateApproved {
		return refuse(r, OpSubmit, SystemActor, now, CodeIllegal, fmt.Sprintf("is %s, not approved; not sent", r.State))
	}
	var events []AuditEvent
	for _, m := range ms {
		t := r.TargetFor(m)
		if t == nil || !t.Pending() {
			continue
		}
		t.Submitting, t.Updated = now, now
		events = append(events, r.targetEvent(EventSubmitting, t, now, "sending to Defender"))
	}
	if len(events) == 0 {
		return nil, ErrUnchanged
	}
	return events, nil
}

// TargetResult is what became of one machine's submission: its MDE
// action (ActionID, with the status MDE gave and whose action it is), or
// why MDE refused it (Error).
type TargetResult struct {
	Machine   mde.MachineID
	ActionID  string
	Status    mde.ActionStatus
	Owner     Owner  // OwnerSelf, or OwnerReused/OwnerForeign when MDE answered with an action already running
	Requestor string // who created a foreign action
	// OwnerRequest is the mdebot request a reused action belongs to.
	OwnerRequest string
	Error        string
	// NotSent closes a target whose cancel was requested while it was
	// being sent, once MDE is known to hold no action for it.
	NotSent bool
}

// markTargetsSent records the results of machines' submissions. A result
// for a machine already recorded with the same action changes nothing.
func markTargetsSent(r *Request, results []TargetResult, now time.Time) ([]AuditEvent, error) {
	if !r.Bulk() {
		return refuseBulk(r, OpSubmit, now, false)
	}
	if r.State != StateApproved && r.State != StateSubmitted {
		return refuse(r, OpSubmit, SystemActor, now, CodeIllegal, fmt.Sprintf("is %s; MDE actions must be cancelled", r.State))
	}
	var events []AuditEvent
	for _, res := range results {
		t := r.TargetFor(res.Machine)
		if t == nil || t.Sent() || t.Final() {
			continue
		}
		t.Updated = now
		switch {
		case res.NotSent:
			t.Error, t.Status = res.Error, mde.StatusCancelled
			events = append(events, r.targetEvent(EventCancelled, t, now, res.Error))
		case res.ActionID == "":
			t.Error = res.Error
			events = append(events, r.targetEvent(EventSubmitFailed, t, now, res.Error))
		default:
			t.ActionID, t.Status, t.Owner, t.Requestor, t.OwnerRequest = res.ActionID, res.Status, res.Owner, res.Requestor, res.OwnerRequest
			if t.Status == "" {
				t.Status = mde.StatusPending
			}
			detail := "MDE action " + res.ActionID
			switch res.Owner {
			case OwnerForeign:
				detail += " (someone else's, by " + res.Requestor + "; followed, not claimed)"
			case OwnerReused:
				detail += " (" + res.OwnerRequest + "'s, reused)"
			}
			events = append(events, r.targetEvent(EventSubmitted, t, now, detail))
		}
	}
	if len(events) == 0 {
		return nil, ErrUnchanged
	}
	return append(events, settle(r, now)...), nil
}

// TargetStatus is an MDE status seen for one action a bulk request follows.
type TargetStatus struct {
	ActionID string
	Status   mde.ActionStatus
	Detail   string
}

// recordTargetStatuses records the statuses seen for r's targets' actions.
func recordTargetStatuses(r *Request, seen []TargetStatus, now time.Time) ([]AuditEvent, error) {
	if !r.Bulk() {
		return refuseBulk(r, OpStatus, now, false)
	}
	if r.State != StateApproved && r.State != StateSubmitted {
		return nil, ErrUnchanged // ended meanwhile (cancelled, say): a late poll
	}
	var events []AuditEvent
	for _, s := range seen {
		t := r.TargetByAction(s.ActionID)
		if t == nil || s.Status == "" || t.Status == s.Status || t.Status.Terminal() {
			continue
		}
		t.Status, t.Updated = s.Status, now
		if s.Status.Terminal() && s.Status != mde.StatusSucceeded {
			t.Error = s.Detail
		}
		r.StatusHistory = append(r.StatusHistory, StatusChange{At: now, Status: s.Status, Detail: s.Detail, Machine: t.Machine})
		d := string(s.Status)
		if s.Detail != "" {
			d += ": " + s.Detail
		}
		events = append(events, r.targetEvent(EventStatus, t, now, d))
	}
	if len(events) == 0 {
		return nil, ErrUnchanged
	}
	return append(events, settle(r, now)...), nil
}

// settle moves bulk request r on once its targets allow: to submitted when
// every target was sent (or refused) and an action still runs, to its
// final state when every target is final.
func settle(r *Request, now time.Time) []AuditEvent {
	if r.State != StateApproved && r.State != StateSubmitted {
		return nil
	}
	sent, final := true, true
	for i := range r.Targets {
		t := &r.Targets[i]
		sent = sent && (t.Sent() || t.Final())
		final = final && t.Final()
	}
	switch {
	case final:
		state, detail := bulkOutcome(r)
		r.Error = detail
		if state != StateSucceeded && r.CancelRequested != "" && r.ClosedBy == "" {
			r.ClosedBy = r.CancelRequested
		}
		r.setState(state, now)
		return []AuditEvent{r.event(EventFinished, SystemActor, now, r.countsText())}
	case sent && r.State == StateApproved:
		r.setState(StateSubmitted, now)
		return []AuditEvent{r.event(EventSubmitted, SystemActor, now, r.countsText())}
	}
	return nil
}

// bulkOutcome is the final state of bulk request r, all of whose targets
// are final, and its error text.
func bulkOutcome(r *Request) (State, string) {
	counts, _ := r.Counts()
	n := len(r.Targets)
	switch {
	case counts[string(mde.StatusSucceeded)] == n:
		return StateSucceeded, ""
	case counts[string(mde.StatusCancelled)] == n:
		return StateCancelled, ""
	case counts[string(mde.StatusTimeOut)] == n:
		return StateTimedOut, "every machine's action timed out"
	}
	return StateFailed, fmt.Sprintf("%d of %d machines did not succeed", n-counts[string(mde.StatusSucceeded)], n)
}

// countsText is r's targets' outcomes: "27 Succeeded · 2 Failed · 1
// InProgress of 30".
func (r *Request) countsText() string {
	counts, order := r.Counts()
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[o], o)
	}
	return strings.Join(parts, " · ") + fmt.Sprintf(" of %d", len(r.Targets))
}

// CountsText is r's targets' outcomes in one line, as the card shows them
// ("27 Succeeded · 2 Failed · 1 InProgress of 30"); "" for a single
// request.
func (r *Request) CountsText() string {
	if !r.Bulk() {
		return ""
	}
	return r.countsText()
}

// cancelBulk cancels what bulk request r has not yet finished: targets not
// yet sent are closed at once; the actions it sent itself are asked to
// cancel (the caller cancels them in MDE, whose Cancelled status ends
// them); a target being sent waits for its action to be found. Reused and
// foreign actions are never cancelled.
func cancelBulk(r *Request, actor, reason string, allowed bool, now time.Time) ([]AuditEvent, error) {
	const op = OpCancel
	if !allowed {
		return forbid(r, op, actor, now, RuleOwner, actor+" is neither the requester nor an approver")
	}
	switch r.State {
	case StateApproved, StateSubmitted:
	case StateAwaiting:
		return refuse(r, op, actor, now, CodeIllegal, "is awaiting approval; withdraw it instead")
	default:
		return refuse(r, op, actor, now, CodeIllegal, fmt.Sprintf("is %s and cannot be cancelled", r.State))
	}
	var events []AuditEvent
	detail := "cancelled before it was sent"
	if reason != "" {
		detail += ": " + reason
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		switch {
		case t.Pending():
			t.Error, t.Status, t.Updated = detail, mde.StatusCancelled, now
			events = append(events, r.targetEvent(EventCancelled, t, now, detail))
		case t.Owner == OwnerSelf && (t.Live() || t.Unsure()) && t.CancelRequested == "":
			t.CancelRequested = actor
		}
	}
	if r.CancelRequested == "" {
		r.CancelRequested = actor
		events = append(events, r.event(EventCancelRequested, actor, now, reason))
	}
	if len(events) == 0 {
		return nil, ErrUnchanged
	}
	return append(events, settle(r, now)...), nil
}

// cancelTarget asks to cancel the action bulk request r sent for one
// machine (found by its action id).
func cancelTarget(r *Request, actionID, actor, reason string, allowed bool, now time.Time) ([]AuditEvent, error) {
	const op = OpCancel
	if !allowed {
		return forbid(r, op, actor, now, RuleOwner, actor+" is neither the requester nor an approver")
	}
	t := r.TargetByAction(actionID)
	switch {
	case t == nil:
		return refuse(r, op, actor, now, CodeInvalid, "has no action "+actionID)
	case t.Owner == OwnerReused:
		return refuse(r, op, actor, now, CodeIllegal, "follows "+t.OwnerRequest+"'s action on "+targetName(t)+"; cancel it there")
	case t.Owner == OwnerForeign:
		return refuse(r, op, actor, now, CodeIllegal, "follows someone else's action on "+targetName(t)+"; mdebot never cancels it")
	case !t.Live():
		return refuse(r, op, actor, now, CodeIllegal, fmt.Sprintf("%s's action is %s and cannot be cancelled", targetName(t), t.Status))
	case t.CancelRequested != "":
		return nil, ErrUnchanged
	}
	t.CancelRequested, t.Updated = actor, now
	ev := r.targetEvent(EventCancelRequested, t, now, reason)
	ev.Actor = actor
	return []AuditEvent{ev}, nil
}

// OnMachine reports whether r acts on machine m: its machine, or one of a
// bulk request's.
func (r *Request) OnMachine(m mde.MachineID) bool {
	return m != "" && (r.Params.Machine == m || r.TargetFor(m) != nil)
}
