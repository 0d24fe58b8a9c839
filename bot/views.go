package bot

import (
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// machineView is what the bot shows of m.
func machineView(m defender.Machine) MachineView {
	return MachineView{
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
	}
}

// requestView is the neutral view of r on machine m (the zero MachineView
// for file indicators). duration is how long MDE took, when known.
func requestView(r *approvals.Request, m MachineView) RequestView {
	if r.Kind.TargetsMachine() && m.ID == "" {
		m = MachineView{ID: string(r.Params.Machine), Name: r.Params.MachineName}
	}
	v := RequestView{
		ID:   r.ID,
		Kind: RequestKind(r.Kind),
		Params: ParamsView{
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
		State:             RequestState(r.State),
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
		v.Decisions = append(v.Decisions, DecisionView{UserID: d.Actor, Approved: d.Verdict == approvals.Approve, Reason: d.Reason, At: d.At})
	}
	if n := len(r.StatusHistory); n > 0 && r.MDEStatus.Terminal() {
		v.Duration = r.StatusHistory[n-1].At.Sub(r.StatusHistory[0].At)
	}
	return v
}

// historyRow is r as one row of /mde history.
func historyRow(r *approvals.Request, permalink string) HistoryRow {
	row := HistoryRow{
		When:        r.Created,
		Kind:        RequestKind(r.Kind),
		MachineName: r.Params.MachineName,
		FileHash:    r.Params.FileHash,
		Requester:   r.Requester,
		State:       RequestState(r.State),
		Permalink:   permalink,
	}
	if row.MachineName == "" {
		row.MachineName = string(r.Params.Machine)
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
	return row
}
