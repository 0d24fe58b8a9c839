package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// AuditHead is the end of the audit chain as mdebot_audit_head shows it.
type AuditHead struct {
	Seq   uint64 // the last record's sequence number
	Hash  string // its chain hash (an HMAC when keyed), in hex
	Keyed bool   // the chain is keyed with the audit key
}

// auditHeadCollector serves mdebot_audit_head: one sample, read at each
// scrape, whose labels carry the head's hash.
type auditHeadCollector struct {
	desc *prometheus.Desc

	mu   sync.Mutex
	read func() (AuditHead, error)
}

func newAuditHeadCollector() *auditHeadCollector {
	return &auditHeadCollector{desc: prometheus.NewDesc("mdebot_audit_head",
		"The audit chain's head: the value is the last record's sequence number, the hash label its chain hash "+
			"(HMAC-SHA256 when keyed=\"true\"). Keep a copy elsewhere to anchor the chain.",
		[]string{"hash", "keyed"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *auditHeadCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. Until a reader is set, or when
// it fails, there is no sample.
func (c *auditHeadCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	read := c.read
	c.mu.Unlock()
	if read == nil {
		return
	}
	h, err := read()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(h.Seq), h.Hash, strconv.FormatBool(h.Keyed))
}

// SetAuditHead sets the function mdebot_audit_head reads at each scrape
// (storage.DB's AuditHead); until it is set the metric has no sample.
func (m *Metrics) SetAuditHead(read func() (AuditHead, error)) {
	m.auditHead.mu.Lock()
	defer m.auditHead.mu.Unlock()
	m.auditHead.read = read
}
