package bot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
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
		tooMany = h.waitAccepted(ctx, "actions.runAntiVirusScan", n)
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

// BenchmarkBulkIsolateOfFiftyMachines opens one isolate of 50 machines
// (policy.max_machines' default), approves it, and reports how long from
// the approval until Defender accepted all 50 POSTs, with Defender's
// budgets on the client and MDE's real limits on the fake, and the 429s.
// Run it with -benchtime=1x.
func BenchmarkBulkIsolateOfFiftyMachines(b *testing.B) {
	const n = 50
	var total time.Duration
	tooMany := 0
	for b.Loop() {
		b.StopTimer()
		var ms []defendertest.Machine
		names := make([]string, n)
		for i := range n {
			names[i] = fmt.Sprintf("bulk-%03d.contoso.local", i)
			ms = append(ms, defendertest.Machine{ComputerDNSName: names[i]})
		}
		var budgets []defender.Option
		for _, f := range defender.Families() {
			budgets = append(budgets, defender.WithRateLimit(f, defender.DefaultBudget(f)))
		}
		h := newHarness(b, func(c *harnessConfig) {
			c.mdeOpts = []defendertest.Option{defendertest.WithProgress(time.Minute, time.Minute), defendertest.WithMachines(ms...)}
			c.defOpts = budgets
		})
		h.openBulk(approvals.KindIsolate, h.fleetMachines(names), "outbreak")
		card := h.card(fmt.Sprintf("%d machines", n))
		b.StartTimer()
		start := time.Now()
		h.click(approver1, card, blocks.ActionApprove)
		h.click(approver2, h.wait("one approval", func(m slacktest.Message) bool {
			return m.TS == card.TS && strings.Contains(shown(m), "1 of 2")
		}), blocks.ActionApprove)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		tooMany = h.waitAccepted(ctx, "actions.isolate", n)
		total += time.Since(start)
		cancel()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-50-accepted")
	b.ReportMetric(float64(tooMany)/float64(b.N), "429s/op")
}

// waitAccepted waits until the fake MDE accepted n POSTs on route and
// returns how many calls it answered 429.
func (h *harness) waitAccepted(ctx context.Context, route string, n int) (tooMany int) {
	h.t.Helper()
	for accepted := 0; accepted < n; {
		accepted, tooMany = 0, 0
		for _, c := range h.mde.Calls() {
			switch {
			case c.Status == http.StatusTooManyRequests:
				tooMany++
			case c.Route == route && c.Status == http.StatusCreated:
				accepted++
			}
		}
		select {
		case <-ctx.Done():
			h.t.Fatalf("%d of %d %s POSTs accepted by Defender", accepted, n, route)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return tooMany
}
