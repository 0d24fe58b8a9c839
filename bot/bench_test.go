package bot

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// ackLatencies sends n /mde commands, every pace (all at once when pace is
// zero), and returns the latency of each ack as slacktest measured it.
func ackLatencies(b *testing.B, h *harness, n int, pace time.Duration) []time.Duration {
	ctx := h.ctx()
	ids := make([]string, n)
	send := func(i int) {
		env, err := h.slack.SlashCommand(ctx, responder, socChannel, "/mde", "isolat ws-0042 typo")
		if err != nil {
			b.Error(err)
			return
		}
		ids[i] = env.ID
	}
	if pace > 0 {
		tick := time.NewTicker(pace)
		for i := range n {
			send(i)
			<-tick.C
		}
		tick.Stop()
	} else {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { send(i) })
		}
		wg.Wait()
	}
	lat := make([]time.Duration, 0, n)
	for _, id := range ids {
		if id == "" {
			continue
		}
		ack, err := h.slack.WaitAck(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, ack.Latency)
	}
	return lat
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}

// BenchmarkAckLatency measures how fast envelopes are acked over loopback
// Socket Mode while the workers answer each command (a usage error, posted
// ephemerally): 1,000 commands paced at one per millisecond, and 1,000 at
// once.
func BenchmarkAckLatency(b *testing.B) {
	for _, tc := range []struct {
		name string
		pace time.Duration
	}{{"paced-1ms", time.Millisecond}, {"burst", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			h := newHarness(b)
			var all []time.Duration
			for b.Loop() {
				all = append(all, ackLatencies(b, h, 1000, tc.pace)...)
			}
			reportPercentiles(b, all)
		})
	}
}

// BenchmarkTrackerTick measures one poll of 1,000 in-flight actions and
// reports the MDE calls it costs.
func BenchmarkTrackerTick(b *testing.B) {
	h := newHarness(b)
	bot := h.detachedBot()
	for i := range 1000 {
		bot.tracker.add(fmt.Sprintf("R-%04d", i), fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	ctx := context.Background()
	before := h.mde.CallCount("machineactions.list")
	ticks := 0
	for b.Loop() {
		bot.tracker.tick(ctx)
		ticks++
	}
	b.ReportMetric(float64(h.mde.CallCount("machineactions.list")-before)/float64(ticks), "MDE-calls/tick")
	// The live heap after tracking 1,000 actions: the bot together with the
	// in-process fakes, so an upper bound of the bot's own.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	if rss, err := residentMiB(); err == nil {
		b.ReportMetric(rss, "rss-MiB")
	}
}

// residentMiB reads the test process's resident set size from /proc.
func residentMiB() (float64, error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(data), &size, &resident); err != nil {
		return 0, err
	}
	return float64(resident*int64(os.Getpagesize())) / (1 << 20), nil
}
