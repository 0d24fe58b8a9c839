package blocks

import (
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

// The view models below are the neutral input of the Render functions: plain
// values, filled from approvals and defender by the handlers, that know
// nothing of Block Kit. Every string in them except the identifiers that
// mdebot or Slack generate (request ids, fingerprints, Slack user ids,
// action ids) is treated as hostile: it is escaped and truncated on output.

// ParamsView holds the parameters of a request; only those that apply to its
// kind are set.
type ParamsView struct {
	IsolationType mde.IsolationType // isolate
	ScanType      mde.ScanType      // scan
	FileHash      string            // quarantine, block, unblock
	HashType      mde.HashType      // with FileHash
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
	Group     string // rbacGroupName: the MDE device group
	// Onboarding and AgentVersion are MDE's onboardingStatus and
	// agentVersion: with OS and OSVersion they say which actions MDE
	// will refuse.
	Onboarding   string
	AgentVersion string
	// Offboarded is when the machine was offboarded from Defender (zero:
	// it is not): MDE still accepts actions for it, but nothing runs them.
	Offboarded time.Time
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
	Kind              approvals.Kind
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
	// Rules are the policy rules that set RequiredApprovals (none: the
	// default policy), shown on the card with whose approval counts.
	Rules []approvals.AppliedRule
	// BreakGlass marks a request run by break-glass, without a second
	// person; Review is its after-review.
	BreakGlass bool
	Review     *ReviewView
	Decisions  []DecisionView
	State      approvals.State
	// ClosedBy is the Slack user id who withdrew the request or cancelled
	// its MDE action, when one did.
	ClosedBy string
	// ActionID is the MDE machine action id once submitted.
	ActionID  string
	MDEStatus mde.ActionStatus
	// StatusDetail is MDE's error text for a failed action, or the
	// cancellation comment of a cancelled one.
	StatusDetail string
	// Fingerprint binds an approval to what the card showed: the Approve
	// button carries it back (see approveValue).
	Fingerprint string
	// Duration is how long MDE took, from submission to a final status.
	Duration time.Duration
	// PlatformNeed, when set, is what Defender requires of the machine for
	// this action and the machine lacks (a platform, an OS version, an
	// agent, a management mode): the card warns before approval that
	// Defender will refuse it. PlatformAgent is set when the machine's
	// Defender client version is what falls short.
	PlatformNeed  string
	PlatformAgent bool
	// Targets are a bulk request's machines (empty for one machine or a
	// file); Counts their outcomes in one line ("27 Succeeded · 2 Failed
	// of 30"); BulkOver the machine count over which it needed one
	// approval more (0: it did not).
	Targets  []TargetView
	Counts   string
	BulkOver int
}

// HistoryRow is one finished or pending request in /mde history.
type HistoryRow struct {
	When        time.Time
	Kind        approvals.Kind
	MachineName string // empty for file indicators
	FileHash    string // for file kinds
	Requester   string // Slack user id
	Approvers   []string
	Denier      string
	State       approvals.State
	MDEDuration time.Duration // zero when MDE never ran it or it is still running
	Permalink   string        // https permalink of the card, when known
	// Detail is Defender's failure text of a failed or timed-out request
	// (or a cancellation's reason), shown after its outcome.
	Detail string
	// BreakGlass marks a break-glass request; Review is where its
	// after-review stands and ReviewOverdue whether it was not done in time.
	BreakGlass    bool
	Review        approvals.ReviewState
	ReviewOverdue bool
}
