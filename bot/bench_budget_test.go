package bot

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

// BenchmarkHundredScansReachDefender sends 100 single-machine /mde scan
// commands at once (a scan needs no approval by default) with Defender's
// documented budgets on the bot's client and MDE's real
// limits on the fake (100 calls a minute, 1,500 an hour, per API), and
// reports how long from the first command until Defender accepted all 100
// POSTs, and how many 429s it answered. Run it with -benchtime=1x: each
// round starts a fresh bot and fake.
func BenchmarkHundredScansReachDefender(b *testing.B) {
	const n = 100
	var total time.Duration
	tooMany := 0
	for b.Loop() {
		b.StopTimer()
		var ms []defendertest.Machine
		for i := range n {
			ms = append(ms, defendertest.Machine{ComputerDNSName: fmt.Sprintf("scan-%03d.contoso.local", i)})
		}
		var budgets []defender.Option
		for _, f := range defender.Families() {
			budgets = append(budgets, defender.WithRateLimit(f, defender.DefaultBudget(f)))
		}
		h := newHarness(b, func(c *harnessConfig) {
			c.mdeOpts = []defendertest.Option{defendertest.WithProgress(time.Minute, time.Minute), defendertest.WithMachines(ms...)}
			c.defOpts = budgets
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		b.StartTimer()
		start := time.Now()
		for i := range n {
			if _, err := h.slack.SlashCommand(ctx, responder, socChannel, "/mde", fmt.Sprintf("scan scan-%03d quick outbreak sweep", i)); err != nil {
				b.Fatal(err)
			}
		}
		for accepted := 0; accepted < n; {
			accepted, tooMany = 0, 0
			for _, c := range h.mde.Calls() {
				switch {
				case c.Status == http.StatusTooManyRequests:
					tooMany++
				case c.Route == "actions.runAntiVirusScan" && c.Status == http.StatusCreated:
					accepted++
				}
			}
			select {
			case <-ctx.Done():
				b.Fatalf("%d of %d scans accepted by Defender", accepted, n)
			case <-time.After(10 * time.Millisecond):
			}
		}
		total += time.Since(start)
		routes := map[string]int{}
		for _, c := range h.mde.Calls() {
			routes[c.Route]++
		}
		b.Logf("MDE calls by route: %v", routes)
		cancel()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-100-accepted")
	b.ReportMetric(float64(tooMany)/float64(b.N), "429s/op")
}
