package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// haRequests is how many requests the three-replica test runs, over
// haChannels channels: Slack takes one post per second per channel, and
// each request posts a card and two replies.
const (
	haRequests = 50
	haChannels = 10
)

// haChannel is the i-th request's channel.
func haChannel(i int) string { return fmt.Sprintf("C0HA%06d", i%haChannels) }

// haMachines is a fleet of haRequests workstations (the default fleet has
// fewer), so that every request names its own machine.
func haMachines() []defendertest.Machine {
	ms := make([]defendertest.Machine, haRequests)
	for i := range ms {
		ms[i] = defendertest.Machine{
			ComputerDNSName: fmt.Sprintf("ha-%04d.contoso.local", i+1), OSPlatform: "Windows11", Version: "23H2", OSBuild: 22631,
			HealthStatus: "Active", RiskScore: "Low", ExposureLevel: "Low", LastIPAddress: fmt.Sprintf("10.40.0.%d", i+1),
			RbacGroupName: "Workstations", RbacGroupID: 140,
		}
	}
	return ms
}

// nextLeader waits until one of cs says it leads and returns it.
func nextLeader(t *testing.T, ctx context.Context, cs ...*child) *child {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, c := range cs {
			if strings.Contains(c.out.String(), `msg="this replica leads"`) {
				return c
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no replica took over: %v", ctx.Err())
		case <-tick.C:
		}
	}
}

// waitCount waits until n of the fake Slack's messages match.
func (w *world) waitCount(ctx context.Context, what string, n int, match func(slacktest.Message) bool) []slacktest.Message {
	w.t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var got []slacktest.Message
		for _, m := range w.slack.AllMessages() {
			if match(m) {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-ctx.Done():
			w.t.Fatalf("%d of %d %s: %v", len(got), n, what, ctx.Err())
		case <-tick.C:
		}
	}
}

// inParallel runs f for 0..n-1 at once and fails the test with the
// first error.
func inParallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- f(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestThreeReplicasServeFiftyRequestsThroughKillsAtEachStep runs three
// "mdebot serve" replicas on one etcd (Debian's etcd-server under .ci/run,
// else the test binary's embedded one), each with its own Socket Mode
// connection to a fake Slack that re-delivers what is not acked within a
// second. A standby is frozen and killed while envelopes wait on its
// connection (before ack), the leader is killed once approvals are being
// sent (after the POST), and its successor while the actions are tracked;
// each killed replica is restarted, as a supervisor would.
func TestThreeReplicasServeFiftyRequestsThroughKillsAtEachStep(t *testing.T) {
	if testing.Short() {
		t.Skip("three processes and 50 requests: not in -short")
	}
	var chans []slacktest.Channel
	var ids []string
	for i := range haChannels {
		chans = append(chans, slacktest.Channel{ID: haChannel(i), Name: fmt.Sprintf("ha-%d", i)})
		ids = append(ids, haChannel(i))
	}
	// One approver: each request's card and its approver's DM copy are
	// edited at every step, and chat.update allows 50 a minute.
	w := newWorld(t, spec{etcd: true, approvers: []string{bob},
		mde:   []defendertest.Option{manual, defendertest.WithMachines(haMachines()...)},
		slack: []slacktest.Option{slacktest.WithRedelivery(time.Second), slacktest.WithChannels(chans...)}})
	// The default lease of 5 s: three replicas, etcd (embedded in this
	// busy test binary, under -race) and the fakes share two cores, where
	// shorter leases lapsed without any kill.
	base, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(string(base), "lease_ttl: 1s", "lease_ttl: 5s", 1)
	conf = strings.Replace(conf, "channels: ["+channel+"]", "channels: ["+strings.Join(ids, ", ")+"]", 1)
	w.writeFile(w.config, conf)
	ctx, cancel := context.WithTimeout(t.Context(), 7*time.Minute)
	defer cancel()

	start := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	a := w.replica("a")
	leading(t, w, a)
	b, c := w.replica("b"), w.replica("c")
	standingBy(t, w, b)
	standingBy(t, w, c)
	w.serving(ctx, c, 3) // three connections, one per replica
	w.serving(ctx, b, 3)

	// Before ack: b is frozen, so what Slack gives its connection is never
	// read; Slack re-delivers it to a or c. Then b dies and comes back.
	b.signal(syscall.SIGSTOP)
	inParallel(t, haRequests, func(i int) error {
		env, err := w.slack.SlashCommand(ctx, alice, haChannel(i), "/mde", fmt.Sprintf("isolate ha-%04d beaconing to a known C2", i+1))
		if err != nil {
			return err
		}
		_, err = w.slack.WaitAck(ctx, env.ID)
		return err
	})
	phase("50 commands acked")
	b.signal(syscall.SIGKILL)
	b.wait(ctx)
	b2 := w.replica("b2")
	if w.slack.Redeliveries() == 0 {
		t.Error("no command was re-delivered: the frozen replica's connection got none")
	}
	cards := w.waitCount(ctx, "request cards", haRequests, func(m slacktest.Message) bool {
		return isCard(m) && strings.Contains(m.Text, "awaiting approval")
	})

	phase("50 cards posted")
	// After the POST: every card is approved at once; the leader dies as
	// soon as the first requests were submitted.
	var killedAt []time.Duration
	clicks := make(chan error, 1)
	go func() {
		var errs []error
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, card := range cards {
			wg.Go(func() {
				env, err := w.slack.ClickButton(ctx, bob, card.Ref(), "mde_approve", "")
				if err == nil {
					_, err = w.slack.WaitAck(ctx, env.ID)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(errs) > 0 {
			clicks <- errs[0]
			return
		}
		clicks <- nil
	}()
	w.waitCount(ctx, "Submitted replies before the first kill", 5, func(m slacktest.Message) bool {
		return m.ThreadTS != "" && strings.Contains(m.Text, "Submitted to Defender")
	})
	phase("first Submitted replies; killing the leader")
	killed := time.Now()
	a.signal(syscall.SIGKILL)
	a.wait(ctx)
	second := nextLeader(t, ctx, b2, c)
	killedAt = append(killedAt, time.Since(killed))
	a2 := w.replica("a2")
	if err := <-clicks; err != nil {
		t.Fatalf("an approval was never acked: %v", err)
	}

	// While tracking: every action was posted and is pending in MDE; the
	// new leader dies too.
	w.waitCount(ctx, "Submitted replies", haRequests, func(m slacktest.Message) bool {
		return m.ThreadTS != "" && strings.Contains(m.Text, "Submitted to Defender")
	})
	phase("50 Submitted replies; killing the leader")
	killed = time.Now()
	second.signal(syscall.SIGKILL)
	second.wait(ctx)
	rest := []*child{a2}
	if second == c {
		rest = append(rest, b2)
	} else {
		rest = append(rest, c)
	}
	nextLeader(t, ctx, rest...)
	killedAt = append(killedAt, time.Since(killed))

	phase("a new leader")
	for _, act := range w.mde.Actions() {
		if err := w.mde.SetStatus(act.ID, "Succeeded"); err != nil {
			t.Fatal(err)
		}
	}
	w.waitCount(ctx, "succeeded cards", haRequests, func(m slacktest.Message) bool {
		return isCard(m) && strings.Contains(m.Text, ": succeeded")
	})
	phase("50 cards succeeded")
	w.waitCount(ctx, "Succeeded replies", haRequests, func(m slacktest.Message) bool {
		return m.ThreadTS != "" && strings.Contains(m.Text, "Defender: Succeeded")
	})

	phase("50 Succeeded replies")
	t.Logf("failover after each leader kill (lease 5s): %v; envelopes re-delivered: %d", killedAt, w.slack.Redeliveries())
	for i, d := range killedAt {
		if d > 10*time.Second {
			t.Errorf("failover %d took %s, want at most 10s", i+1, d)
		}
	}
	actions := w.mde.Actions()
	machines := map[string]int{}
	for _, act := range actions {
		machines[act.ComputerDNSName]++
	}
	if len(actions) != haRequests || len(machines) != haRequests {
		t.Errorf("MDE holds %d actions on %d machines, want %d on %d", len(actions), len(machines), haRequests, haRequests)
	}
	if n := w.mde.CallCount("actions.isolate"); n != haRequests {
		t.Errorf("%d isolate POSTs, want %d: none posted twice", n, haRequests)
	}
	for _, card := range cards {
		if n := w.replies(card, "Submitted to Defender"); n != 1 {
			t.Errorf("card %s: %d Submitted replies, want 1", card.TS, n)
		}
		if n := w.replies(card, "Defender: Succeeded"); n != 1 {
			t.Errorf("card %s: %d Succeeded replies, want 1", card.TS, n)
		}
	}
	v := w.startWith(nil, "audit", "verify", "--config", w.config)
	if code := v.wait(ctx); code != exitOK {
		t.Errorf("audit verify: exit %d\n%s", code, v.out.String())
	}
}
