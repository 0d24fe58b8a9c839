package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// slackMetrics are the Slack outbox's metrics (bot.SlackObserver).
type slackMetrics struct {
	pending     prometheus.Gauge
	rateLimited *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	failed      *prometheus.CounterVec
}

func newSlackMetrics() slackMetrics {
	return slackMetrics{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mdebot_slack_outbox_pending", Help: "Deliveries to Slack the outbox holds (owed, not yet taken by Slack).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_slack_ratelimited_total", Help: "HTTP 429 answers from Slack, by Web API method; each pauses the method (or the channel) for its Retry-After.",
		}, []string{"method"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mdebot_slack_delivery_latency_seconds", Help: "Time from the change that owed a delivery to Slack taking it, by kind (reply, status, card, retire, notice, dm).",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_slack_delivery_failures_total", Help: "Deliveries Slack refused for good (not retried), by kind and Slack error.",
		}, []string{"kind", "error"}),
	}
}

func (s slackMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.pending, s.rateLimited, s.latency, s.failed}
}

// OutboxPending implements bot.SlackObserver.
func (m *Metrics) OutboxPending(n int) { m.slack.pending.Set(float64(n)) }

// RateLimited implements bot.SlackObserver.
func (m *Metrics) RateLimited(method string) { m.slack.rateLimited.WithLabelValues(method).Inc() }

// Delivered implements bot.SlackObserver.
func (m *Metrics) Delivered(kind string, latency time.Duration) {
	m.slack.latency.WithLabelValues(kind).Observe(latency.Seconds())
}

// Failed implements bot.SlackObserver.
func (m *Metrics) Failed(kind, code string) { m.slack.failed.WithLabelValues(kind, code).Inc() }
