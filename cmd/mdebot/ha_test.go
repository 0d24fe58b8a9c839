package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
)

// replica starts "mdebot serve" as replica id of the world's etcd store.
func (w *world) replica(id string) *child {
	w.t.Helper()
	base, err := os.ReadFile(w.config)
	if err != nil {
		w.t.Fatal(err)
	}
	path := w.config + "." + id
	w.writeFile(path, string(base)+"  replica_id: "+id+"\n")
	return w.startWith(nil, "serve", "--config", path)
}

// leading waits until c says it leads (every replica holds a Socket Mode
// connection, so a connection says nothing of who leads).
func leading(t *testing.T, w *world, c *child) {
	t.Helper()
	if err := c.out.waitFor(w.ctx(), `msg="this replica leads"`); err != nil {
		t.Fatalf("the replica never led: %v\n%s", err, c.out.String())
	}
}

// standingBy waits until c says another replica leads.
func standingBy(t *testing.T, w *world, c *child) {
	t.Helper()
	if err := c.out.waitFor(w.ctx(), "another replica leads; standing by"); err != nil {
		t.Fatalf("the replica never stood by: %v\n%s", err, c.out.String())
	}
}

func TestAStandbyTakesOverAKilledLeadersActionWithoutPostingItAgain(t *testing.T) {
	w := newWorld(t, spec{etcd: true, mde: []defendertest.Option{manual}})
	ctx := w.ctx()
	a := w.replica("a")
	w.serving(ctx, a, 1)
	leading(t, w, a)
	b := w.replica("b")
	standingBy(t, w, b)
	w.serving(ctx, b, 2) // a standby holds its own connection

	w.command(ctx, alice, "isolate ws-0042 lateral movement")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "Submitted to Defender")
	killed := time.Now()
	a.signal(syscall.SIGKILL)
	a.wait(ctx)

	leading(t, w, b)
	failover := time.Since(killed)
	t.Logf("failover: the standby served %s after the leader was killed (lease 1s)", failover)
	if failover > 10*time.Second {
		t.Errorf("failover took %s, want at most 10s", failover)
	}
	if err := w.mde.SetStatus(w.action().ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")
	if n := w.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("%d isolate POSTs across the failover, want 1", n)
	}
	if n := w.replies(card, "Submitted to Defender"); n != 1 {
		t.Errorf("%d Submitted replies, want 1", n)
	}
	v := w.startWith(nil, "audit", "verify", "--config", w.config)
	if code := v.wait(ctx); code != exitOK {
		t.Errorf("audit verify after the failover: exit %d\n%s", code, v.out.String())
	}
}

func TestALeaderPausedPastItsLeaseStepsDown(t *testing.T) {
	w := newWorld(t, spec{etcd: true, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	a := w.replica("a")
	w.serving(ctx, a, 1)
	leading(t, w, a)
	b := w.replica("b")
	standingBy(t, w, b)
	w.serving(ctx, b, 2) // a standby holds its own connection

	a.signal(syscall.SIGSTOP)
	leading(t, w, b) // b leads once a's lease expired
	a.signal(syscall.SIGCONT)
	if code := a.wait(ctx); code != exitFatal || !strings.Contains(a.out.String(), "this replica lost the leadership") {
		t.Fatalf("the paused leader: exit %d, want 1 saying it lost the leadership\n%s", code, a.out.String())
	}

	w.command(ctx, alice, "scan ws-0042 quick after the pause")
	card := w.card(ctx, "requested by")
	w.reply(ctx, card, "Defender: Succeeded")
	if n := w.mde.CallCount("actions.runAntiVirusScan"); n != 1 {
		t.Errorf("%d scan POSTs, want 1", n)
	}
}

func TestAGracefulStopHandsTheLeadershipOverAtOnce(t *testing.T) {
	w := newWorld(t, spec{etcd: true, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	a := w.replica("a")
	w.serving(ctx, a, 1)
	leading(t, w, a)
	b := w.replica("b")
	standingBy(t, w, b)
	w.serving(ctx, b, 2) // a standby holds its own connection
	a.signal(syscall.SIGTERM)
	if code := a.wait(ctx); code != exitOK {
		t.Fatalf("exit %d after SIGTERM\n%s", code, a.out.String())
	}
	leading(t, w, b)
	b.signal(syscall.SIGTERM)
	if code := b.wait(ctx); code != exitOK {
		t.Fatalf("the new leader: exit %d after SIGTERM\n%s", code, b.out.String())
	}
	c := w.replica("c")
	leading(t, w, c) // nobody leads: c does at once
	d := w.replica("d")
	standingBy(t, w, d)
	d.signal(syscall.SIGTERM) // a standby stopped before it led
	if code := d.wait(ctx); code != exitOK || !strings.Contains(d.out.String(), "stopped while standing by") {
		t.Errorf("a stopped standby: exit %d\n%s", code, d.out.String())
	}
	c.signal(syscall.SIGTERM)
	c.wait(ctx)
}
