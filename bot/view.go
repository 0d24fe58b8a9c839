package bot

import (
	"time"

	"github.com/mdebot/mdebot/defender"
)

// The view models below are the neutral input of the Render functions: plain
// values, filled from approvals and defender by the handlers, that know
// nothing of Block Kit. Every string in them except the identifiers that
// mdebot or Slack generate (request ids, fingerprints, Slack user ids,
// action ids) is treated as hostile: it is escaped and truncated on output.

// RequestKind names what a request asks MDE to do, in the words of /mde.
type RequestKind string

// The request kinds mdebot renders.
const (
	KindScan       RequestKind = "scan"
	KindCollect    RequestKind = "collect"
	KindIsolate    RequestKind = "isolate"
	KindUnisolate  RequestKind = "unisolate"
	KindRestrict   RequestKind = "restrict"
	KindUnrestrict RequestKind = "unrestrict"
	KindQuarantine RequestKind = "quarantine"
	KindBlock      RequestKind = "block"
	KindUnblock    RequestKind = "unblock"
	KindOffboard   RequestKind = "offboard"
)

// RequestState is where a request stands, from asked to finished.
type RequestState string

// The request states mdebot renders.
const (
	StateAwaitingApproval RequestState = "awaiting_approval"
	StateApproved         RequestState = "approved"
	StateSubmitted        RequestState = "submitted"
	StateSucceeded        RequestState = "succeeded"
	StateFailed           RequestState = "failed"
	StateTimedOut         RequestState = "timed_out"
	StateCancelled        RequestState = "cancelled"
	StateDenied           RequestState = "denied"
	StateExpired          RequestState = "expired"
	StateWithdrawn        RequestState = "withdrawn"
)

// ParamsView holds the parameters of a request; only those that apply to its
// kind are set.
type ParamsView struct {
	IsolationType defender.IsolationType // isolate
	ScanType      defender.ScanType      // scan
	FileHash      string                 // quarantine, block, unblock
	HashType      defender.HashType      // with FileHash
}

// MachineView is what the bot shows of an MDE machine. The zero value means
// "no machine" (file indicators apply tenant-wide).
type MachineView struct {
	ID        string // 40-hex MDE machine id
	Name      string // computerDnsName
	OS        string // osPlatform
	OSVersion string
	Health    string // healthStatus
	LastSeen  time.Time
	Risk      string // riskScore
	Exposure  string // exposureLevel
	IP        string // lastIpAddress
	Tags      []string
}

// DecisionView is one approver's decision on a request.
type DecisionView struct {
	UserID   string // Slack user id
	Approved bool
	Reason   string // mandatory for a denial, optional for an approval
	At       time.Time
}

// RequestView is everything a request card and its thread replies show.
type RequestView struct {
	ID                string
	Kind              RequestKind
	Params            ParamsView
	Machine           MachineView
	Requester         string // Slack user id
	Channel           string // Slack channel id of the card
	Reason            string
	Created           time.Time
	Expires           time.Time
	RequiredApprovals int
	// RequiredAtOpen is the count the request needed when it was opened,
	// when a policy tightened since raised RequiredApprovals (else 0).
	RequiredAtOpen int
	Decisions      []DecisionView
	State          RequestState
	// ClosedBy is the Slack user id who withdrew the request or cancelled
	// its MDE action, when one did.
	ClosedBy string
	// ActionID is the MDE machine action id once submitted.
	ActionID  string
	MDEStatus defender.ActionStatus
	// StatusDetail is MDE's error text for a failed action, or the
	// cancellation comment of a cancelled one.
	StatusDetail string
	// Fingerprint binds an approval to what the card showed: the Approve
	// button carries it back (see approveValue).
	Fingerprint string
	// Duration is how long MDE took, from submission to a final status.
	Duration time.Duration
}

// HistoryRow is one finished or pending request in /mde history.
type HistoryRow struct {
	When        time.Time
	Kind        RequestKind
	MachineName string // empty for file indicators
	FileHash    string // for file kinds
	Requester   string // Slack user id
	Approvers   []string
	Denier      string
	State       RequestState
	MDEDuration time.Duration // zero when MDE never ran it or it is still running
	Permalink   string        // https permalink of the card, when known
}
