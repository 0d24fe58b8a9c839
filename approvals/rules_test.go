package approvals_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
)

// estateRules is the example rule set.
func estateRules() []approvals.DeviceRule {
	return []approvals.DeviceRule{
		{Name: "Tier0-Servers", Groups: []string{"Tier0-Servers"},
			Approvals: map[approvals.Kind]int{approvals.KindIsolate: 2, approvals.KindOffboard: 3}, Approvers: []string{"SIRLEADS"}},
		{Name: "VIP", Tags: []string{"VIP"},
			Approvals: map[approvals.Kind]int{approvals.KindIsolate: 1}, Approvers: []string{"SCISO"}},
		{Name: "Kiosk", Tags: []string{"Kiosk"},
			Approvals: map[approvals.Kind]int{approvals.KindScan: 0, approvals.KindIsolate: 0}},
		{Name: "Exposed Linux", OS: []string{"Linux"}, Exposure: []string{"High"},
			Approvals: map[approvals.Kind]int{approvals.KindIsolate: 2}},
	}
}

func TestEvaluateAppliesTheStrictestMatchingRule(t *testing.T) {
	p := testPolicy()
	p.Approvals = map[approvals.Kind]int{approvals.KindIsolate: 1, approvals.KindScan: 1}
	p.Rules = estateRules()
	tests := []struct {
		name  string
		kind  approvals.Kind
		facts approvals.MachineFacts
		want  approvals.Requirement
	}{
		{"a machine no rule matches keeps policy.approvals", approvals.KindIsolate,
			approvals.MachineFacts{Group: "Workstations", Tags: []string{"finance"}},
			approvals.Requirement{Required: 1}},
		{"a Tier-0 server needs 2 approvals from the IR leads", approvals.KindIsolate,
			approvals.MachineFacts{Group: "Tier0-Servers"},
			approvals.Requirement{Required: 2, Rules: []approvals.AppliedRule{{Name: "Tier0-Servers", Required: 2, Approvers: []string{"SIRLEADS"}}}}},
		{"group names match case-insensitively", approvals.KindIsolate,
			approvals.MachineFacts{Group: "tier0-servers"},
			approvals.Requirement{Required: 2, Rules: []approvals.AppliedRule{{Name: "Tier0-Servers", Required: 2, Approvers: []string{"SIRLEADS"}}}}},
		{"a rule applies only to the kinds it lists", approvals.KindScan,
			approvals.MachineFacts{Group: "Tier0-Servers"},
			approvals.Requirement{Required: 1}},
		{"a VIP Tier-0 server takes the larger count and both approver lists", approvals.KindIsolate,
			approvals.MachineFacts{Group: "Tier0-Servers", Tags: []string{"vip"}},
			approvals.Requirement{Required: 2, Rules: []approvals.AppliedRule{
				{Name: "Tier0-Servers", Required: 2, Approvers: []string{"SIRLEADS"}}, {Name: "VIP", Required: 1, Approvers: []string{"SCISO"}}}}},
		{"a kiosk scan needs none", approvals.KindScan,
			approvals.MachineFacts{Group: "Stores", Tags: []string{"Kiosk"}},
			approvals.Requirement{Required: 0, Rules: []approvals.AppliedRule{{Name: "Kiosk", Required: 0}}}},
		{"a kiosk that is also VIP is not lowered below VIP's count", approvals.KindIsolate,
			approvals.MachineFacts{Tags: []string{"Kiosk", "VIP"}},
			approvals.Requirement{Required: 1, Rules: []approvals.AppliedRule{
				{Name: "VIP", Required: 1, Approvers: []string{"SCISO"}}, {Name: "Kiosk", Required: 0}}}},
		{"every criterion of a rule must hold", approvals.KindIsolate,
			approvals.MachineFacts{OS: "Linux", Exposure: "Medium"},
			approvals.Requirement{Required: 1}},
		{"OS and exposure together match", approvals.KindIsolate,
			approvals.MachineFacts{OS: "Linux", Exposure: "High"},
			approvals.Requirement{Required: 2, Rules: []approvals.AppliedRule{{Name: "Exposed Linux", Required: 2}}}},
		{"a tenant-wide action has no machine facts and matches no rule", approvals.KindBlock,
			approvals.MachineFacts{},
			approvals.Requirement{Required: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Evaluate(tt.kind, tt.facts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate(%s, %+v) (-want +got):\n%s", tt.kind, tt.facts, diff)
			}
		})
	}
}

func TestValidateRefusesBrokenRules(t *testing.T) {
	iso := map[approvals.Kind]int{approvals.KindIsolate: 2}
	tests := []struct {
		name  string
		rules []approvals.DeviceRule
		want  string
	}{
		{"no name", []approvals.DeviceRule{{Groups: []string{"G"}, Approvals: iso}}, "rule 1 has no name"},
		{"no criterion", []approvals.DeviceRule{{Name: "all", Approvals: iso}}, "all matches nothing"},
		{"no kinds", []approvals.DeviceRule{{Name: "G", Groups: []string{"G"}}}, "G sets no approvals"},
		{"unknown kind", []approvals.DeviceRule{{Name: "G", Groups: []string{"G"}, Approvals: map[approvals.Kind]int{"nuke": 1}}}, `unknown action kind "nuke"`},
		{"count out of range", []approvals.DeviceRule{{Name: "G", Groups: []string{"G"}, Approvals: map[approvals.Kind]int{approvals.KindScan: 11}}}, "want 0 to 10"},
		{"a malformed approver", []approvals.DeviceRule{{Name: "G", Groups: []string{"G"}, Approvals: iso, Approvers: []string{"@ir-leads"}}}, `"@ir-leads" is not a Slack user`},
		{"duplicate names", []approvals.DeviceRule{{Name: "G", Groups: []string{"G"}, Approvals: iso}, {Name: "G", Tags: []string{"T"}, Approvals: iso}}, "rules 1 and 2 are both named"},
		{"a contradiction", []approvals.DeviceRule{
			{Name: "servers", Groups: []string{"Servers"}, Approvals: iso},
			{Name: "servers again", Groups: []string{"servers"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: 1}}},
			"servers and servers again match the same machines but ask 2 and 1 approvals for isolate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			p.Rules = tt.rules
			err := p.Validate()
			if !errors.Is(err, approvals.ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want ErrInvalidPolicy with %q", err, tt.want)
			}
		})
	}
	p := approvals.Policy{Approvals: map[approvals.Kind]int{}, Rules: []approvals.DeviceRule{{Name: "G", Groups: []string{"G"}, Approvals: iso}}}
	for _, k := range approvals.Kinds() {
		p.Approvals[k] = 0
	}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "neither the rule nor slack.approvers") {
		t.Errorf("a rule needing approval with no approvers anywhere: %v", err)
	}
	p = testPolicy()
	p.Rules = estateRules()
	if err := p.Validate(); err != nil {
		t.Errorf("the example rules: %v", err)
	}
}

// ruleFixture is a service under estateRules, with IR leads UIRLEAD1 and
// UIRLEAD2 and the CISO office UCISO1.
func ruleFixture(t *testing.T) *fixture {
	t.Helper()
	p := testPolicy()
	p.Approvals = map[approvals.Kind]int{approvals.KindIsolate: 1, approvals.KindScan: 1}
	p.Rules = estateRules()
	f := &fixture{store: &approvalstest.Store{}, clock: &clock{t: t0}}
	svc, err := approvals.New(approvals.Options{Policy: p, Store: f.store, Now: f.clock.Now,
		Groups: groups{"SAPPROVERS": {approver3}, "SIRLEADS": {"UIRLEAD1", "UIRLEAD2", approver1}, "SCISO": {"UCISO1", approver1}}})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func TestATier0ServerNeedsTwoApprovalsFromTheIRLeads(t *testing.T) {
	ctx := context.Background()
	f := ruleFixture(t)
	d := draft(approvals.KindIsolate)
	d.Facts = approvals.MachineFacts{Group: "Tier0-Servers", OS: "WindowsServer2022"}
	r := f.open(t, d)
	if r.Required != 2 || r.RuleOutcome() != "Tier0-Servers: 2 approvals from SIRLEADS" {
		t.Fatalf("opened with %d approvals, outcome %q", r.Required, r.RuleOutcome())
	}
	// An approver of slack.approvers who is not an IR lead does not count.
	_, err := f.svc.Approve(ctx, r.ID, approver2, r.Fingerprint())
	if !errors.Is(err, approvals.ErrNotMachineApprover) || !strings.Contains(err.Error(), "Tier0-Servers") {
		t.Fatalf("approval by a plain approver: %v, want ErrNotApprover naming the rule", err)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventRefused {
		t.Errorf("refusal not audited: %+v", ev)
	}
	res, err := f.svc.Approve(ctx, r.ID, "UIRLEAD1", r.Fingerprint())
	if err != nil || res.Executable {
		t.Fatalf("first IR lead: executable %v, %v", res.Executable, err)
	}
	res, err = f.svc.Approve(ctx, r.ID, "UIRLEAD2", res.Request.Fingerprint())
	if err != nil || !res.Executable {
		t.Fatalf("second IR lead: executable %v, %v", res.Executable, err)
	}
}

func TestAVIPMachineNeedsTheNamedApprover(t *testing.T) {
	ctx := context.Background()
	f := ruleFixture(t)
	d := draft(approvals.KindIsolate)
	d.Facts = approvals.MachineFacts{Group: "Workstations", Tags: []string{"finance", "VIP"}}
	r := f.open(t, d)
	if r.Required != 1 || r.RuleOutcome() != "VIP: 1 approval from SCISO" {
		t.Fatalf("opened with %d approvals, outcome %q", r.Required, r.RuleOutcome())
	}
	if _, err := f.svc.Approve(ctx, r.ID, approver2, r.Fingerprint()); !errors.Is(err, approvals.ErrNotMachineApprover) {
		t.Fatalf("approval outside the CISO office: %v", err)
	}
	if _, err := f.svc.Deny(ctx, r.ID, approver2, "no"); !errors.Is(err, approvals.ErrNotMachineApprover) {
		t.Fatalf("denial outside the CISO office: %v", err)
	}
	res, err := f.svc.Approve(ctx, r.ID, "UCISO1", r.Fingerprint())
	if err != nil || !res.Executable {
		t.Fatalf("CISO office approval: executable %v, %v", res.Executable, err)
	}
}

func TestAVIPTier0ServerNeedsApproversInBothLists(t *testing.T) {
	ctx := context.Background()
	f := ruleFixture(t)
	d := draft(approvals.KindIsolate)
	d.Facts = approvals.MachineFacts{Group: "Tier0-Servers", Tags: []string{"vip"}}
	r := f.open(t, d)
	if _, err := f.svc.Approve(ctx, r.ID, "UIRLEAD1", r.Fingerprint()); !errors.Is(err, approvals.ErrNotMachineApprover) {
		t.Fatalf("an IR lead outside the CISO office: %v", err)
	}
	if _, err := f.svc.Approve(ctx, r.ID, approver1, r.Fingerprint()); err != nil {
		t.Fatalf("an approver in both lists: %v", err)
	}
}

func TestAKioskScanNeedsNoApproval(t *testing.T) {
	f := ruleFixture(t)
	d := draft(approvals.KindScan)
	d.Facts = approvals.MachineFacts{Group: "Stores", Tags: []string{"Kiosk"}}
	res, err := f.svc.Open(context.Background(), d)
	if err != nil || !res.Executable || res.Request.State != approvals.StateApproved {
		t.Fatalf("kiosk scan: executable %v, %v", res.Executable, err)
	}
	if res.Request.RuleOutcome() != "Kiosk: 0 approvals" {
		t.Errorf("outcome %q", res.Request.RuleOutcome())
	}
}

func TestTheFingerprintCoversTheRuleOutcome(t *testing.T) {
	f := ruleFixture(t)
	d := draft(approvals.KindIsolate)
	d.Facts = approvals.MachineFacts{Tags: []string{"VIP"}}
	r := f.open(t, d)
	other := r.Clone()
	other.Rules[0].Approvers = []string{"SOTHER"}
	if r.Fingerprint() == other.Fingerprint() {
		t.Error("two rule outcomes share a fingerprint")
	}
}

func TestARuleTightenedWhileARequestWaitsRaisesItsCount(t *testing.T) {
	ctx := context.Background()
	store := &approvalstest.Store{}
	clk := &clock{t: t0}
	service := func(vip int) *approvals.Service {
		p := testPolicy()
		p.Rules = []approvals.DeviceRule{{Name: "VIP", Tags: []string{"VIP"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: vip}}}
		svc, err := approvals.New(approvals.Options{Policy: p, Store: store, Now: clk.Now, Groups: groups{"SAPPROVERS": {approver3}}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	d := draft(approvals.KindIsolate)
	d.Facts = approvals.MachineFacts{Tags: []string{"VIP"}}
	res, err := service(1).Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	res, err = service(2).Approve(ctx, r.ID, approver1, r.Fingerprint())
	if err != nil || res.Executable {
		t.Fatalf("one approval under a rule raised to 2: executable %v, %v", res.Executable, err)
	}
	got := res.Request
	if got.Required != 2 || got.RequiredAtOpen != 1 || got.RuleOutcome() != "VIP: 2 approvals" {
		t.Errorf("after the raise: required %d (at open %d), outcome %q", got.Required, got.RequiredAtOpen, got.RuleOutcome())
	}
	if got.Fingerprint() == r.Fingerprint() {
		t.Error("the raised request kept its fingerprint: the next approver would approve unseen terms")
	}
}

func TestWhyExplainsTheRulesOnTheCard(t *testing.T) {
	p := testPolicy()
	p.Rules = estateRules()
	got := p.Evaluate(approvals.KindIsolate, approvals.MachineFacts{Group: "Tier0-Servers", Tags: []string{"VIP"}}).Why()
	if want := "Tier0-Servers: 2 approvals from SIRLEADS; VIP: 1 approval from SCISO"; got != want {
		t.Errorf("Why() = %q, want %q", got, want)
	}
	if got := p.Evaluate(approvals.KindIsolate, approvals.MachineFacts{Group: "Workstations"}).Why(); got != "" {
		t.Errorf("Why() with no rule = %q, want empty", got)
	}
}
