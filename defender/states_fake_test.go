package defender_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func TestAnOffboardedMachineAcceptsActionsButNeverRunsThem(t *testing.T) {
	gone := defendertest.Machine{ComputerDNSName: "gone.contoso.local", Offboarded: true}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	srv, c := setup(t, defendertest.WithMachines(append(defendertest.DefaultMachines(), gone)...),
		defendertest.WithProgress(time.Second, time.Second), defendertest.WithClock(clock))
	ctx := context.Background()
	m, err := c.Machines.Get(ctx, machineID(gone.ComputerDNSName))
	if err != nil {
		t.Fatal(err)
	}
	if _, off, err := c.Actions.Offboarded(ctx, m); err != nil || !off {
		t.Fatalf("Offboarded = %v, %v; want true", off, err)
	}
	sub, err := c.Actions.RunAntivirusScan(ctx, m.ID, defender.ScanQuick, "mdebot R-1: scan")
	if err != nil {
		t.Fatalf("MDE refused an action for an offboarded machine: %v", err)
	}
	other, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "mdebot R-2: scan")
	if err != nil {
		t.Fatal(err)
	}
	now.Add(int64(time.Hour))
	srv.Tick()
	if a, err := c.Actions.Get(ctx, other.Action.ID); err != nil || a.Status != defender.StatusSucceeded {
		t.Fatalf("an onboarded machine's scan is %s (%v) an hour later", a.Status, err)
	}
	if a, err := c.Actions.Get(ctx, sub.Action.ID); err != nil || a.Status != defender.StatusPending {
		t.Errorf("the action is %s (%v), want it Pending forever", a.Status, err)
	}
	live, err := c.Machines.Get(ctx, ws42)
	if err != nil {
		t.Fatal(err)
	}
	if _, off, err := c.Actions.Offboarded(ctx, live); err != nil || off {
		t.Errorf("an onboarded machine: Offboarded = %v, %v", off, err)
	}
}

func TestAMachineOffboardedThroughMDEIsOffboardedAfterwards(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	sub, err := c.Actions.Offboard(ctx, ws42, "mdebot R-1: offboard")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Machines.Get(ctx, ws42)
	if err != nil {
		t.Fatal(err)
	}
	if _, off, _ := c.Actions.Offboarded(ctx, m); off {
		t.Error("offboarded while the offboard is still pending")
	}
	if err := srv.SetStatus(sub.Action.ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	if a, off, err := c.Actions.Offboarded(ctx, m); err != nil || !off || a.ID != sub.Action.ID {
		t.Errorf("Offboarded = %+v, %v, %v; want the offboard action", a, off, err)
	}
	var snap defendertest.Machine
	for _, fm := range srv.Machines() {
		if fm.ID == string(ws42) {
			snap = fm
		}
	}
	if !snap.Offboarded {
		t.Error("the fake does not mark the machine offboarded")
	}
}

func TestAnOfflineMachineKeepsAnIsolationPendingForThreeDays(t *testing.T) {
	away := defendertest.Machine{ComputerDNSName: "away.contoso.local", HealthStatus: "Inactive"}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	srv, c := setup(t, defendertest.WithMachines(away), defendertest.WithProgress(time.Second, time.Second), defendertest.WithClock(clock),
		defendertest.WithTokenLifetime(7*24*time.Hour)) // tokens outlive the days the clock jumps
	ctx := context.Background()
	m, err := c.Machines.Get(ctx, machineID(away.ComputerDNSName))
	if err != nil {
		t.Fatal(err)
	}
	if m.HealthStatus != "Inactive" || clock().Sub(m.LastSeen) < 24*time.Hour {
		t.Fatalf("health %s, last seen %s ago; want an offline machine", m.HealthStatus, clock().Sub(m.LastSeen))
	}
	sub, err := c.Actions.Isolate(ctx, m.ID, defender.IsolationFull, "mdebot R-1: isolate")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		want  defender.ActionStatus
	}{{71 * time.Hour, defender.StatusPending}, {2 * time.Hour, defender.StatusTimeOut}} {
		now.Add(int64(step.after))
		srv.Tick()
		a, err := c.Actions.Get(ctx, sub.Action.ID)
		if err != nil || a.Status != step.want {
			t.Errorf("%s later: %s (%v), want %s", step.after, a.Status, err, step.want)
		}
	}
}

func TestAMachineWithA32CharacterIDIsFoundAndActedOn(t *testing.T) {
	// Microsoft's collect investigation package example uses a 32-character id.
	const id = "7f0c4bb59bdb43a5b2c0b6bb6ededd12"
	_, c := setup(t, defendertest.WithMachines(defendertest.Machine{ID: id, ComputerDNSName: "short-id.contoso.local"}))
	ctx := context.Background()
	m, err := c.Machines.Get(ctx, defender.MachineID(id))
	if err != nil || string(m.ID) != id {
		t.Fatalf("Get = %+v, %v", m, err)
	}
	sub, err := c.Actions.CollectInvestigationPackage(ctx, m.ID, "mdebot R-1: collect")
	if err != nil || sub.Action.MachineID != m.ID || sub.Action.Requestor != defendertest.AppDisplayName {
		t.Errorf("collect = %+v, %v; want an action on %s requested by %q", sub, err, id, defendertest.AppDisplayName)
	}
}
