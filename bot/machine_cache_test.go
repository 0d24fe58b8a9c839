package bot

import (
	"strconv"
	"testing"
	"time"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
)

func TestCachedMachinesOlderThanADayAreReadAgain(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var c machineCache
	c.put(blocks.MachineView{ID: "m-old", Name: "ws-old"}, now)
	c.put(blocks.MachineView{ID: "m-new", Name: "ws-new"}, now.Add(2*time.Hour))
	later := now.Add(machineCacheTTL + time.Hour)
	if _, ok := c.get("m-old", later); ok {
		t.Error("a machine stored over a day ago is still served from the cache")
	}
	if m, ok := c.get("m-new", later); !ok || m.Name != "ws-new" {
		t.Errorf("get(m-new) = %+v, %v; want the machine stored within the day", m, ok)
	}
	if n := len(c.m); n != 1 {
		t.Errorf("%d machines kept, want 1", n)
	}
}

func TestTheMachineCacheIsBoundedForgettingTheOldest(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var c machineCache
	for i := range maxCachedMachines + 10 {
		c.put(blocks.MachineView{ID: "m" + strconv.Itoa(i)}, now.Add(time.Duration(i)*time.Second))
	}
	if n := len(c.m); n != maxCachedMachines {
		t.Errorf("%d machines kept, want %d", n, maxCachedMachines)
	}
	at := now.Add(time.Duration(maxCachedMachines+10) * time.Second)
	for _, gone := range []defender.MachineID{"m0", "m9"} {
		if _, ok := c.get(gone, at); ok {
			t.Errorf("the oldest machine %s was kept", gone)
		}
	}
	if _, ok := c.get(defender.MachineID("m"+strconv.Itoa(maxCachedMachines+9)), at); !ok {
		t.Error("the newest machine was dropped")
	}
	// Storing a machine already cached again evicts nothing.
	c.put(blocks.MachineView{ID: "m" + strconv.Itoa(maxCachedMachines+9), Name: "renamed"}, at)
	if n := len(c.m); n != maxCachedMachines {
		t.Errorf("%d machines kept after a refresh, want %d", n, maxCachedMachines)
	}
}
