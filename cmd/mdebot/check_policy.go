package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/defender"
)

// checkPolicy validates the approval policy as a whole: what one key at a
// time cannot show, such as two rules matching the same machines with
// different counts.
func checkPolicy(cfg *config.Config) checkResult {
	p := policyFrom(cfg)
	if err := p.Validate(); err != nil {
		return checkResult{text: strings.TrimPrefix(err.Error(), "approvals: ")}
	}
	return checkResult{ok: true, text: fmt.Sprintf("policy is consistent (%d rules)", len(p.Rules))}
}

// checkRuleGroups reports each device group policy.rules names that no
// machine in Defender belongs to (a typo, or a group renamed in the
// portal): such a rule would never apply. It reads the machine list only
// when a rule names a group.
func checkRuleGroups(ctx context.Context, mde *defender.Client, p approvals.Policy) []checkResult {
	groups := p.RuleGroups()
	if len(groups) == 0 {
		return nil
	}
	ms, err := mde.Machines.List(ctx, defender.ListOptions{})
	if err != nil {
		return []checkResult{{text: fmt.Sprintf("the device groups of policy.rules could not be checked: GET /api/machines failed: %v", err)}}
	}
	known := map[string]int{}
	for _, m := range ms {
		known[strings.ToLower(m.RBACGroupName)]++
	}
	var rs []checkResult
	for _, g := range groups {
		if n := known[strings.ToLower(g)]; n > 0 {
			rs = append(rs, checkResult{ok: true, text: fmt.Sprintf("device group %q of policy.rules holds %d machines", g, n)})
			continue
		}
		rs = append(rs, checkResult{text: fmt.Sprintf("device group %q of policy.rules is unknown: no machine in Defender belongs to it, so its rule never applies; check the name in the portal (Settings > Endpoints > Device groups)", g)})
	}
	return rs
}

// explainPolicy reads machine (a name or an id) from Defender and returns
// the lines that show the effective policy for it, and the check's result.
func explainPolicy(ctx context.Context, cfg *config.Config, machine string) ([]string, checkResult) {
	mde, _, err := newDefender(cfg, nil)
	if err != nil {
		return nil, checkResult{text: fmt.Sprintf("--explain %s: Defender client: %v", machine, err)}
	}
	var ms []defender.Machine
	if id, perr := defender.ParseMachineID(machine); perr == nil {
		m, gerr := mde.Machines.Get(ctx, id)
		ms, err = []defender.Machine{m}, gerr
	} else {
		ms, err = mde.Machines.FindByName(ctx, machine)
	}
	switch {
	case err != nil:
		return nil, checkResult{text: fmt.Sprintf("--explain %s: reading the machine from Defender failed: %v", machine, err)}
	case len(ms) == 0:
		return nil, checkResult{text: fmt.Sprintf("--explain %s: no machine in Defender matches", machine)}
	case len(ms) > 1:
		names := make([]string, len(ms))
		for i, m := range ms {
			names[i] = m.ComputerDNSName + " (" + string(m.ID) + ")"
		}
		return nil, checkResult{text: fmt.Sprintf("--explain %s: %d machines match (%s); give a full name or an id", machine, len(ms), strings.Join(names, ", "))}
	}
	return explainLines(policyFrom(cfg), ms[0]), checkResult{ok: true, text: "explained the policy for " + ms[0].ComputerDNSName}
}

// explainLines is the effective policy of p for m, one line per action.
func explainLines(p approvals.Policy, m defender.Machine) []string {
	f := approvals.MachineFacts{Group: m.RBACGroupName, Tags: m.MachineTags, OS: m.OSPlatform, Exposure: m.ExposureLevel, Risk: m.RiskScore}
	lines := []string{fmt.Sprintf("effective policy for %s (%s): group %s, tags [%s], os %s, exposure %s, risk %s",
		m.ComputerDNSName, m.ID, orDash(f.Group), strings.Join(f.Tags, ", "), orDash(f.OS), orDash(f.Exposure), orDash(f.Risk))}
	for _, k := range approvals.Kinds() {
		if !k.TargetsMachine() {
			continue
		}
		req := p.Evaluate(k, f)
		who := "slack.approvers"
		var named []string
		for _, r := range req.Rules {
			if len(r.Approvers) > 0 {
				named = append(named, "["+strings.Join(r.Approvers, ", ")+"]")
			}
		}
		if len(named) > 0 {
			who = "someone in " + strings.Join(named, " and ")
		}
		line := fmt.Sprintf("  %-10s %d approvals", k, req.Required)
		if req.Required > 0 {
			line += " from " + who
		}
		if len(req.Rules) == 0 {
			line += " (policy.approvals)"
		} else {
			line += " (" + req.Why() + ")"
		}
		lines = append(lines, line)
	}
	return lines
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
