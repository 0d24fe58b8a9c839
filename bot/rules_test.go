package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// IR leads and the CISO office, the rules' approvers in these tests.
const (
	irLeads = "S0IRLEADS"
	ciso    = outsider // the one named approver of VIP machines
)

// staticGroups resolves user groups from a map.
type staticGroups map[string][]string

func (g staticGroups) Members(_ context.Context, id string) ([]string, error) {
	m, ok := g[id]
	if !ok {
		return nil, errors.New("no such group " + id)
	}
	return m, nil
}

// withEstateRules is the rule set over the fake tenant: the
// Servers group needs 2 IR leads to isolate, a VIP-tagged machine the CISO,
// and a Kiosk-tagged one nothing to scan or isolate. kiosk-01 is added to
// the tenant.
func withEstateRules(c *harnessConfig) {
	c.groups = staticGroups{approverSet: {approver1, approver2}, irLeads: {approver1, outsider}}
	c.policy.Approvals = map[approvals.Kind]int{approvals.KindScan: 1}
	c.policy.Rules = []approvals.DeviceRule{
		{Name: "Tier0-Servers", Groups: []string{"Servers"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: 2}, Approvers: []string{irLeads}},
		{Name: "VIP", Tags: []string{"VIP"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: 1}, Approvers: []string{ciso}},
		{Name: "Kiosk", Tags: []string{"Kiosk"}, Approvals: map[approvals.Kind]int{approvals.KindScan: 0, approvals.KindIsolate: 0}},
	}
	ms := append(defendertest.DefaultMachines(), defendertest.Machine{ComputerDNSName: "kiosk-01.contoso.local", OSPlatform: "Windows10",
		Version: "22H2", OSBuild: 19045, RiskScore: "Low", ExposureLevel: "Low", LastIPAddress: "10.20.40.1",
		RbacGroupName: "Stores", RbacGroupID: 160, MachineTags: []string{"Kiosk"}})
	c.mdeOpts = append(c.mdeOpts, defendertest.WithMachines(ms...))
}

func TestATier0ServerNeedsTwoApprovalsFromTheIRLeads(t *testing.T) {
	h := newHarness(t, withEstateRules)
	h.slash(responder, socChannel, "isolate srv-dc01 full lateral movement from the DC")
	card := h.card("awaiting approval")
	if s := shown(card); !strings.Contains(s, "0 of 2") || !strings.Contains(s, "_Tier0-Servers_: 2 approvals from <!subteam^"+irLeads+">") {
		t.Fatalf("card does not say which rule applied:\n%s", s)
	}
	r := h.only()
	if r.Required != 2 || r.Facts.Group != "Servers" {
		t.Fatalf("request needs %d, facts %+v; want 2 on group Servers", r.Required, r.Facts)
	}

	// approver2 approves for the SOC, but is no IR lead.
	h.click(approver2, card, blocks.ActionApprove)
	h.ephemeral(approver2, "policy rules name who may approve")
	h.click(approver1, card, blocks.ActionApprove)
	one := h.wait("card with one approval", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 of 2")
	})
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Fatalf("isolate POSTs after one IR lead = %d, want 0", n)
	}
	// outsider is in no approver list but the rule's.
	h.click(outsider, one, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs after two IR leads = %d, want 1", n)
	}
	if got := h.refusals(r.ID); len(got) != 1 || got[0] != approvals.CodeNotPermitted {
		t.Errorf("refusals audited = %v, want one not_permitted", got)
	}
}

func TestAVIPMachineNeedsTheNamedApprover(t *testing.T) {
	h := newHarness(t, withEstateRules)
	h.slash(responder, socChannel, "isolate ws-0042 full exec's laptop beaconing")
	card := h.card("awaiting approval")
	if s := shown(card); !strings.Contains(s, "_VIP_: 1 approval from <@"+ciso+">") {
		t.Fatalf("card does not name the CISO:\n%s", s)
	}
	h.click(approver1, card, blocks.ActionApprove)
	h.ephemeral(approver1, "policy rules name who may approve")
	h.click(ciso, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
}

func TestAKioskScanNeedsNoApproval(t *testing.T) {
	h := newHarness(t, withEstateRules)
	h.slash(responder, socChannel, "scan kiosk-01 quick odd process")
	card := h.card("Antivirus scan")
	h.reply(card, "Submitted to Defender")
	if s := shown(card); !strings.Contains(s, "_Kiosk_: 0 approvals") {
		t.Errorf("card does not say the Kiosk rule applied:\n%s", s)
	}
	if n := h.mde.CallCount("actions.runAntiVirusScan"); n != 1 {
		t.Errorf("scan POSTs = %d, want 1", n)
	}
}

func TestTheReminderMentionsTheRulesApprovers(t *testing.T) {
	p := approvals.Policy{Approvers: []string{approverSet}}
	r := &approvals.Request{Rules: []approvals.AppliedRule{{Name: "T0", Required: 2, Approvers: []string{irLeads}}, {Name: "K", Required: 0}}}
	if got := reminded(p, r); len(got) != 1 || got[0] != irLeads {
		t.Errorf("reminded = %v, want the rule's %s", got, irLeads)
	}
	if got := reminded(p, &approvals.Request{}); len(got) != 1 || got[0] != approverSet {
		t.Errorf("reminded without rules = %v, want slack.approvers", got)
	}
}

func TestARulesApproverOutsideSlackApproversSeesTheRequestInTheAppHome(t *testing.T) {
	h := newHarness(t, withEstateRules)
	h.slash(responder, socChannel, "isolate ws-0042 full exec's laptop beaconing")
	h.card("awaiting approval")
	// ciso (the outsider) is in no approver list but the VIP rule's.
	h.openHome(ciso, homeHas("Awaiting your approval", "laptop beaconing", blocks.ActionApprove))
	// approver1 approves for the SOC, but not for VIP machines.
	h.openHome(approver1, homeHas("Nothing awaits your approval."))
}
