package metrics_test

import (
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/metrics"
)

func TestHAMetricsSayLeaderOrStandbyAndCountConflicts(t *testing.T) {
	m := metrics.New()
	names := []string{"mdebot_ha_leader", "mdebot_store_transaction_conflicts_total"}
	if got := scrape(t, m, names...); len(got) != 0 {
		t.Errorf("without SetHA: %q, want no sample", got)
	}
	var leading atomic.Bool
	var conflicts atomic.Int64
	m.SetHA(leading.Load, conflicts.Load)
	if got, want := scrape(t, m, names...), []string{"mdebot_ha_leader 0", "mdebot_store_transaction_conflicts_total 0"}; !cmp.Equal(got, want) {
		t.Errorf("standing by: %q, want %q", got, want)
	}
	leading.Store(true)
	conflicts.Store(7)
	if got, want := scrape(t, m, names...), []string{"mdebot_ha_leader 1", "mdebot_store_transaction_conflicts_total 7"}; !cmp.Equal(got, want) {
		t.Errorf("leading: %q, want %q", got, want)
	}
}

func TestLeaderChangesAreCountedOnceSetHAIsCalled(t *testing.T) {
	m := metrics.New()
	name := "mdebot_ha_leader_changes_total"
	if got := scrape(t, m, name); len(got) != 0 {
		t.Errorf("without SetHA: %q, want no sample", got)
	}
	m.SetHA(func() bool { return false }, func() int64 { return 0 })
	m.LeaderChanged()
	m.LeaderChanged()
	if got, want := scrape(t, m, name), []string{name + " 2"}; !cmp.Equal(got, want) {
		t.Errorf("after two changes: %q, want %q", got, want)
	}
}
