package bot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecoveryRetriesBackOffDoublingUpToACapAndStopAfterTheLastAttempt(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	rs := newRecoveries(time.Minute)
	rs.add("R-1", start)
	rs.add("R-1", start.Add(time.Hour)) // already scheduled: unchanged
	now := start
	var delays []time.Duration
	gaveUp := false
	for range maxRecoveryAttempts {
		if got := rs.take(rs.items["R-1"].due.Add(-time.Nanosecond)); len(got) != 0 {
			t.Fatalf("taken %v before it was due", got)
		}
		if got := rs.take(rs.items["R-1"].due); !cmp.Equal(got, []string{"R-1"}) {
			t.Fatalf("take = %v, want [R-1]", got)
		}
		now = rs.items["R-1"].due
		if got := rs.take(now.Add(time.Hour)); len(got) != 0 {
			t.Fatalf("a running recovery was taken again: %v", got)
		}
		gaveUp = rs.done("R-1", false, false, now)
		if it, ok := rs.items["R-1"]; ok {
			delays = append(delays, it.due.Sub(now))
		}
	}
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, maxRecoveryDelay, maxRecoveryDelay, maxRecoveryDelay, maxRecoveryDelay}
	if diff := cmp.Diff(want, delays); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if !gaveUp || rs.len() != 0 {
		t.Errorf("after %d attempts gaveUp = %v, %d left; want given up, none left", maxRecoveryAttempts, gaveUp, rs.len())
	}
}

func TestASettledRecoveryIsForgottenWithoutGivingUp(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	rs := newRecoveries(time.Minute)
	rs.add("R-1", now)
	rs.take(now.Add(time.Minute))
	if rs.done("R-1", true, false, now.Add(time.Minute)) || rs.len() != 0 {
		t.Errorf("a settled recovery was reported as given up or kept (%d left)", rs.len())
	}
}

func TestARecoveryACancelWaitsOnIsNeverGivenUp(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	rs := newRecoveries(time.Minute)
	rs.add("R-1", now)
	for range 3 * maxRecoveryAttempts {
		now = rs.items["R-1"].due
		if got := rs.take(now); len(got) != 1 {
			t.Fatalf("take = %v, want R-1 still scheduled", got)
		}
		if rs.done("R-1", false, true, now) {
			t.Fatal("a recovery a cancel waits on was given up")
		}
	}
	if d := rs.items["R-1"].due.Sub(now); d != maxRecoveryDelay {
		t.Errorf("next try in %s, want the longest delay %s", d, maxRecoveryDelay)
	}
}
