package report

import (
	"slices"
	"strings"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

// Row is one request in an export. Times are UTC; a zero time means the
// request never got there.
type Row struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Machine     string    `json:"machine,omitempty"`      // MDE machine id
	MachineName string    `json:"machine_name,omitempty"` // its DNS name when requested
	FileHash    string    `json:"file_hash,omitempty"`    // quarantine, block, unblock
	Requester   string    `json:"requester"`              // Slack user id
	Approvers   []string  `json:"approvers"`              // Slack user ids, in order
	Denier      string    `json:"denier,omitempty"`       // Slack user id
	DenyReason  string    `json:"deny_reason,omitempty"`
	Reason      string    `json:"reason"`
	State       string    `json:"state"` // the request's outcome word (approvals.Outcome): pending, running, succeeded…
	Created     time.Time `json:"created"`
	Decided     time.Time `json:"decided,omitzero"`   // the last approval or the denial
	Submitted   time.Time `json:"submitted,omitzero"` // first MDE status recorded
	Finished    time.Time `json:"finished,omitzero"`  // when it reached a final state
	ActionID    string    `json:"mde_action_id,omitempty"`
	// Duration is how long MDE took, from its first to its final status.
	Duration time.Duration `json:"-"`
	// DurationSeconds is Duration in seconds, for JSON.
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	// Detail is Defender's failure text (or the cancellation's reason),
	// when there is one.
	Detail string `json:"detail,omitempty"`
	// RequesterName, ApproverNames and DenierName are the people's names
	// in Slack, as the exporter knew them ("" when it could not tell).
	RequesterName string   `json:"requester_name,omitempty"`
	ApproverNames []string `json:"approver_names,omitempty"`
	DenierName    string   `json:"denier_name,omitempty"`
	// BreakGlass marks a request run by break-glass, without a second
	// person; Review is its after-review (pending, acknowledged, flagged),
	// ReviewOverdue whether it was not done in time, ReviewBy and
	// ReviewNote who reviewed it and what they said.
	BreakGlass    bool   `json:"break_glass,omitempty"`
	Review        string `json:"review,omitempty"`
	ReviewOverdue bool   `json:"review_overdue,omitempty"`
	ReviewBy      string `json:"review_by,omitempty"`
	ReviewNote    string `json:"review_note,omitempty"`
	// MachineStatus is, for a bulk request's line, that machine's outcome
	// (an MDE status, or NotSent); its Machine, MachineName, ActionID and
	// Detail are the machine's too. Empty for a single request.
	MachineStatus string `json:"machine_status,omitempty"`
}

// Name fills the name fields of r from name, which returns the Slack name
// of a user id ("" when unknown).
func (r *Row) Name(name func(id string) string) {
	r.RequesterName = name(r.Requester)
	r.ApproverNames = nil
	for _, a := range r.Approvers {
		r.ApproverNames = append(r.ApproverNames, name(a))
	}
	if r.Denier != "" {
		r.DenierName = name(r.Denier)
	}
}

// Rows is r as export rows: one (FromRequest), or for a bulk request one
// per machine, each with the request's columns and the machine's own
// (Machine, MachineName, ActionID, MachineStatus, Detail).
func Rows(r *approvals.Request) []Row {
	row := FromRequest(r)
	if !r.Bulk() {
		return []Row{row}
	}
	rows := make([]Row, len(r.Targets))
	for i, t := range r.Targets {
		m := row
		m.Approvers = slices.Clone(row.Approvers)
		m.Machine, m.MachineName, m.ActionID, m.MachineStatus = string(t.Machine), t.Name, t.ActionID, t.Outcome()
		m.Detail = t.Error
		if t.Owner == approvals.OwnerReused {
			m.Detail = strings.TrimSpace("reused " + t.OwnerRequest + "'s action. " + t.Error)
		} else if t.Owner == approvals.OwnerForeign {
			m.Detail = strings.TrimSpace("someone else's action, by " + t.Requestor + ", followed. " + t.Error)
		}
		rows[i] = m
	}
	return rows
}

// FromRequest is r as one export row (a bulk request's machines left
// out: see Rows).
func FromRequest(r *approvals.Request) Row {
	row := Row{
		ID: r.ID, Kind: string(r.Kind), Machine: string(r.Params.Machine), MachineName: r.Params.MachineName,
		FileHash: r.Params.FileHash, Requester: r.Requester, Approvers: []string{}, Reason: r.Reason,
		State: string(r.State.Outcome()), Created: r.Created.UTC(), ActionID: r.ActionID, Detail: r.Error,
	}
	for _, d := range r.Decisions {
		if d.Verdict == approvals.Approve {
			row.Approvers = append(row.Approvers, d.Actor)
		} else {
			row.Denier, row.DenyReason = d.Actor, d.Reason
		}
		row.Decided = d.At.UTC()
	}
	if n := len(r.StatusHistory); n > 0 {
		row.Submitted = r.StatusHistory[0].At.UTC()
		if r.MDEStatus.Terminal() {
			row.Duration = r.StatusHistory[n-1].At.Sub(r.StatusHistory[0].At)
			row.DurationSeconds = row.Duration.Seconds()
		}
	}
	if r.State.Final() {
		row.Finished = r.Updated.UTC()
	}
	if rv := r.Review; r.BreakGlass && rv != nil {
		row.BreakGlass, row.Review, row.ReviewOverdue, row.ReviewBy, row.ReviewNote = true, string(rv.State), rv.Overdue, rv.By, rv.Note
	}
	return row
}
