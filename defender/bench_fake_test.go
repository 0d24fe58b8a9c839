package defender_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

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

// BenchmarkHundredScansAtOnceWithMDELimits sends 100 single-machine scans
// at once through a client with MDE's documented budgets to a fake that
// enforces MDE's real limits (100 calls a minute, 1,500 an hour, per API),
// and reports how long until MDE accepted all 100 and how many 429s it
// answered. Each round uses a fresh fake, so its windows start empty.
func BenchmarkHundredScansAtOnceWithMDELimits(b *testing.B) {
	var ms []defendertest.Machine
	for i := range 100 {
		ms = append(ms, defendertest.Machine{ComputerDNSName: fmt.Sprintf("scan-%04d.contoso.local", i)})
	}
	var budgets []defender.Option
	for _, f := range defender.Families() {
		budgets = append(budgets, defender.WithRateLimit(f, defender.DefaultBudget(f)))
	}
	var total time.Duration
	tooMany := 0
	for b.Loop() {
		b.StopTimer()
		srv, _ := setup(b, defendertest.WithMachines(ms...))
		c := newClient(b, srv, defender.SecretCredential(defendertest.ClientSecret), budgets...)
		ctx := context.Background()
		if _, err := c.Machines.Get(ctx, machineID(ms[0].ComputerDNSName)); err != nil { // a token, before the clock starts
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for _, m := range ms {
			wg.Go(func() {
				if _, err := c.Actions.RunAntivirusScan(ctx, machineID(m.ComputerDNSName), defender.ScanQuick, "bench"); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		total += time.Since(start)
		accepted := 0
		for _, call := range srv.Calls() {
			switch {
			case call.Status == http.StatusTooManyRequests:
				tooMany++
			case call.Method == http.MethodPost && call.Status == http.StatusCreated:
				accepted++
			}
		}
		if accepted != len(ms) {
			b.Fatalf("%d scans accepted, want %d", accepted, len(ms))
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-100-accepted")
	b.ReportMetric(float64(tooMany)/float64(b.N), "429s/op")
}
