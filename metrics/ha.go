package metrics

import "github.com/prometheus/client_golang/prometheus"

// SetHA adds, for a replica of the etcd backend, mdebot_ha_leader (1 while
// this replica leads, 0 while it stands by) and
// mdebot_store_transaction_conflicts_total (store transactions retried
// because another writer committed first), read at each scrape. Call it
// once; without it neither metric exists (the bbolt backend has neither).
func (m *Metrics) SetHA(leading func() bool, conflicts func() int64) {
	m.reg.MustRegister(
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
