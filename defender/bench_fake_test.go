package defender_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func BenchmarkStatusesOf1000ActionsAgainstTheFake(b *testing.B) {
	var ms []defendertest.Machine
	for i := range 1000 {
		ms = append(ms, defendertest.Machine{ComputerDNSName: fmt.Sprintf("bench-%04d.contoso.local", i)})
	}
	srv, c := setup(b, defendertest.WithMachines(ms...), defendertest.WithRateLimits(0, 0))
	ctx := context.Background()
	var ids []string
	for _, m := range ms {
		sub, err := c.Actions.Isolate(ctx, machineID(m.ComputerDNSName), defender.IsolationFull, "bench [req "+m.ComputerDNSName+"]")
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, sub.Action.ID)
	}
	before := srv.CallCount("machineactions.list")
	b.ResetTimer()
	for b.Loop() {
		got, err := c.Actions.Statuses(ctx, ids)
		if err != nil || len(got) != len(ids) {
			b.Fatal(err, len(got))
		}
	}
	b.ReportMetric(float64(srv.CallCount("machineactions.list")-before)/float64(b.N), "calls/op")
}
