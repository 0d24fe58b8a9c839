package bot

import (
	"errors"
	"slices"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
)

// machineView is what the bot shows of m.
func machineView(m defender.Machine) blocks.MachineView {
	return blocks.MachineView{
		ID:        string(m.ID),
		Name:      m.ComputerDNSName,
		OS:        m.OSPlatform,
		OSVersion: m.Version,
		Health:    m.HealthStatus,
		LastSeen:  m.LastSeen,
		Risk:      m.RiskScore,
		Exposure:  m.ExposureLevel,
		IP:        m.LastIPAddress,
		Tags:      m.MachineTags,
		Group:     m.RBACGroupName,

		Onboarding:   m.OnboardingStatus,
		AgentVersion: m.AgentVersion,
	}
}

// reviewView is the view of a break-glass review, or nil.
func reviewView(rv *approvals.Review) *blocks.ReviewView {
	if rv == nil {
		return nil
	}
	return &blocks.ReviewView{State: rv.State, Due: rv.Due, Overdue: rv.Overdue, By: rv.By, Note: rv.Note, At: rv.At}
}

// machineFacts are the properties of m that policy rules match.
func machineFacts(m blocks.MachineView) approvals.MachineFacts {
	return approvals.MachineFacts{Group: m.Group, Tags: slices.Clone(m.Tags), OS: m.OS, Exposure: m.Exposure, Risk: m.Risk}
}

// requestView is the neutral view of r on machine m (the zero MachineView
// for file indicators). duration is how long MDE took, when known.
func requestView(r *approvals.Request, m blocks.MachineView) blocks.RequestView {
	if r.Kind.TargetsMachine() && m.ID == "" {
		m = blocks.MachineView{ID: string(r.Params.Machine), Name: r.Params.MachineName}
	}
	v := blocks.RequestView{
		ID:   r.ID,
		Kind: r.Kind,
		Params: blocks.ParamsView{
			IsolationType: r.Params.Isolation,
			ScanType:      r.Params.Scan,
			FileHash:      r.Params.FileHash,
			HashType:      r.Params.HashType,
		},
		Machine:           m,
		Requester:         r.Requester,
		Channel:           r.Channel,
		Reason:            r.Reason,
		Created:           r.Created,
		Expires:           r.Expires,
		RequiredApprovals: r.Required,
		RequiredAtOpen:    r.RequiredAtOpen,
		Rules:             r.Rules,
		BreakGlass:        r.BreakGlass,
		Review:            reviewView(r.Review),
		State:             r.State,
		ClosedBy:          r.ClosedBy,
		ActionID:          r.ActionID,
		MDEStatus:         r.MDEStatus,
		StatusDetail:      r.Error,
		Fingerprint:       r.Fingerprint(),
	}
	if r.CancelRequested != "" && v.ClosedBy == "" {
		v.ClosedBy = r.CancelRequested
	}
	for _, d := range r.Decisions {
		v.Decisions = append(v.Decisions, blocks.DecisionView{UserID: d.Actor, Approved: d.Verdict == approvals.Approve, Reason: d.Reason, At: d.At})
	}
	if n := len(r.StatusHistory); n > 0 && r.MDEStatus.Terminal() {
		v.Duration = r.StatusHistory[n-1].At.Sub(r.StatusHistory[0].At)
	}
	v.PlatformNeed, v.PlatformAgent = platformNeed(r, m)
	if r.Bulk() {
		v.Targets, v.Counts, v.BulkOver = targetViews(r.Targets), r.CountsText(), r.BulkOver
	}
	return v
}

// targetViews is what the card shows of a bulk request's machines.
func targetViews(ts []approvals.Target) []blocks.TargetView {
	vs := make([]blocks.TargetView, len(ts))
	for i := range ts {
		vs[i] = targetView(&ts[i])
	}
	return vs
}

func targetView(t *approvals.Target) blocks.TargetView {
	return blocks.TargetView{
		ID: string(t.Machine), Name: t.Name, OS: t.Facts.OS, Health: t.Health, LastSeen: t.LastSeen,
		Outcome: t.Outcome(), ActionID: t.ActionID, Owner: t.Owner, OwnerRequest: t.OwnerRequest,
		Requestor: t.Requestor, Error: t.Error,
	}
}

// platformNeed is what Defender requires of machine m to run r and m
// lacks, as defender.CheckPlatform predicts from Microsoft's pages, and
// whether the agent's version is what falls short; "" when nothing does.
func platformNeed(r *approvals.Request, m blocks.MachineView) (need string, agent bool) {
	typ := r.Kind.ActionType()
	if typ == "" || m.OS == "" {
		return "", false
	}
	err := defender.CheckPlatform(defender.Machine{OSPlatform: m.OS, Version: m.OSVersion, AgentVersion: m.AgentVersion,
		OnboardingStatus: m.Onboarding}, typ, r.Params.Isolation)
	var pe *defender.PlatformError
	if !errors.As(err, &pe) {
		return "", false
	}
	return pe.Need, pe.Code == defender.CodeClientVersionNotSupported && m.OS == "macOS"
}

// historyRow is r as one row of /mde history.
func historyRow(r *approvals.Request, permalink string) blocks.HistoryRow {
	row := blocks.HistoryRow{
		When:        r.Created,
		Kind:        r.Kind,
		MachineName: r.Params.MachineName,
		FileHash:    r.Params.FileHash,
		Requester:   r.Requester,
		State:       r.State,
		Permalink:   permalink,
	}
	switch r.State {
	case approvals.StateFailed, approvals.StateTimedOut, approvals.StateCancelled:
		row.Detail = r.Error
	}
	if row.MachineName == "" {
		row.MachineName = string(r.Params.Machine)
	}
	if r.Bulk() {
		// One row, the machines' outcomes in it: 27 Succeeded · 2 Failed of 30.
		row.MachineName = blocks.RenderPlural(len(r.Targets), "machine")
		row.Detail = strings.TrimSpace(r.CountsText() + ". " + row.Detail)
	}
	for _, d := range r.Decisions {
		if d.Verdict == approvals.Approve {
			row.Approvers = append(row.Approvers, d.Actor)
		} else {
			row.Denier = d.Actor
		}
	}
	if n := len(r.StatusHistory); n > 0 && r.MDEStatus.Terminal() {
		row.MDEDuration = r.StatusHistory[n-1].At.Sub(r.StatusHistory[0].At)
	}
	if r.Review != nil {
		row.BreakGlass, row.Review, row.ReviewOverdue = true, r.Review.State, r.Review.Overdue
	}
	return row
}
