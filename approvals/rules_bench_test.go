package approvals_test

import (
	"fmt"
	"testing"

	"github.com/mdebot/mdebot/approvals"
)

// BenchmarkEvaluate measures the rule evaluation each request and each
// approval runs, over a large rule set (50 rules, 3 matching).
func BenchmarkEvaluate(b *testing.B) {
	p := testPolicy()
	for i := range 47 {
		p.Rules = append(p.Rules, approvals.DeviceRule{Name: fmt.Sprintf("group-%d", i), Groups: []string{fmt.Sprintf("Group-%d", i)},
			Tags: []string{"t1", "t2"}, Approvals: map[approvals.Kind]int{approvals.KindIsolate: 2}})
	}
	p.Rules = append(p.Rules, estateRules()[:3]...)
	f := approvals.MachineFacts{Group: "Tier0-Servers", Tags: []string{"finance", "VIP", "Kiosk"}, OS: "WindowsServer2022", Exposure: "High"}
	b.ReportAllocs()
	for b.Loop() {
		if req := p.Evaluate(approvals.KindIsolate, f); req.Required != 2 {
			b.Fatal(req)
		}
	}
}
