package metrics

import "github.com/prometheus/client_golang/prometheus"

// SetHA adds, for a replica of the etcd backend, mdebot_ha_leader (1 while
// this replica leads, 0 while it stands by),
// mdebot_store_transaction_conflicts_total (store transactions retried
// because another writer committed first), read at each scrape, and
// mdebot_ha_leader_changes_total (LeaderChanged). Call it once; without it
// none of them exists (the bbolt backend has none).
func (m *Metrics) SetHA(leading func() bool, conflicts func() int64) {
	m.reg.MustRegister(m.leaderChanges,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mdebot_ha_leader", Help: "1 while this replica leads (serves), 0 while it stands by.",
		}, func() float64 {
			if leading() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mdebot_store_transaction_conflicts_total", Help: "Store transactions retried because another writer committed first (etcd backend).",
		}, func() float64 { return float64(conflicts()) }),
	)
}

// LeaderChanged counts one change of leader seen by this replica
// (mdebot_ha_leader_changes_total, registered by SetHA).
func (m *Metrics) LeaderChanged() { m.leaderChanges.Inc() }
