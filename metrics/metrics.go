package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mdebot/mdebot/defender"
)

// Metrics is mdebot's set of Prometheus metrics. It is safe for concurrent
// use. Create it with New.
type Metrics struct {
	reg *prometheus.Registry

	envelopes       *prometheus.CounterVec
	ackLatency      prometheus.Histogram
	commands        *prometheus.CounterVec
	transitions     *prometheus.CounterVec
	breakGlass      *prometheus.CounterVec
	reviews         *prometheus.CounterVec
	timeToApprove   *prometheus.HistogramVec
	timeToContain   *prometheus.HistogramVec
	mdeCalls        *prometheus.CounterVec
	mdeDuration     *prometheus.HistogramVec
	rateLimitWait   *prometheus.HistogramVec
	socketConnected prometheus.Gauge
	reconnects      prometheus.Counter
	shed            *prometheus.CounterVec
	slack           slackMetrics

	mu       sync.Mutex
	inFlight func() int

	auditHead *auditHeadCollector
	// leaderChanges is registered by SetHA (etcd backend only).
	leaderChanges prometheus.Counter
}

// Metrics is a defender.Observer, and a bot.Observer too: cmd/mdebot, which
// knows both packages, asserts that one, so that metrics does not import bot.
var _ defender.Observer = (*Metrics)(nil)

// latencyBuckets are for work that takes milliseconds to seconds.
var latencyBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// humanBuckets are for waits on people and on MDE: seconds to hours.
var humanBuckets = []float64{5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800}

// New returns the metrics, registered in a registry of their own with the
// Go runtime and process collectors. The names:
//
//	mdebot_envelopes_total{type}                  Socket Mode envelopes received
//	mdebot_ack_latency_seconds                    envelope read → ack sent
//	mdebot_commands_total{verb,outcome}           /mde commands (outcome: accepted, rejected, invalid, error, throttled, ok)
//	mdebot_request_transitions_total{kind,state}  requests entering each state
//	mdebot_time_to_approve_seconds{kind}          request created → approved (requests that needed approval)
//	mdebot_time_to_contain_seconds{kind}          request created → MDE Succeeded (isolate, restrict)
//	mdebot_mde_calls_total{family,status}         MDE HTTP exchanges (status "0": no reply)
//	mdebot_mde_call_duration_seconds{family}      MDE HTTP exchange duration
//	mdebot_mde_ratelimit_wait_seconds{family}     wait for the client's rate budget or a Retry-After
//	mdebot_actions_in_flight                      MDE actions being followed
//	mdebot_socket_connected                       1 while the Socket Mode connection is up
//	mdebot_socket_reconnects_total                Socket Mode reconnections
//	mdebot_shed_total{lane,reason}                work refused so the rest is served (reason: queue_full, user_limit, budget_busy)
//	mdebot_audit_head{hash,keyed}                 the audit chain's last sequence number and hash
//	mdebot_slack_outbox_pending                   deliveries to Slack owed and not yet taken
//	mdebot_slack_ratelimited_total{method}        HTTP 429s from Slack
//	mdebot_slack_delivery_latency_seconds{kind}   change written → Slack took its delivery
//	mdebot_slack_delivery_failures_total{kind,error} deliveries Slack refused for good
//	mdebot_ha_leader, mdebot_store_transaction_conflicts_total,
//	mdebot_ha_leader_changes_total                with the etcd backend only (SetHA)
func New() *Metrics {
	m := &Metrics{
		reg:       prometheus.NewRegistry(),
		auditHead: newAuditHeadCollector(),
		slack:     newSlackMetrics(),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mdebot_ha_leader_changes_total", Help: "Changes of leader this replica has seen (etcd backend).",
		}),
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_envelopes_total", Help: "Socket Mode envelopes received, by envelope type.",
		}, []string{"type"}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "mdebot_ack_latency_seconds", Help: "Time from reading a Socket Mode envelope to sending its ack.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 3},
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_commands_total", Help: "/mde commands, by verb and outcome (accepted, rejected, invalid, error, throttled, ok).",
		}, []string{"verb", "outcome"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_request_transitions_total", Help: "Requests entering each state, by action kind and state.",
		}, []string{"kind", "state"}),
		breakGlass: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_break_glass_total", Help: "Actions run by break-glass, without a second person, by action kind.",
		}, []string{"kind"}),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_break_glass_reviews_total", Help: "Break-glass after-reviews, by outcome: acknowledged, flagged, or overdue (not reviewed in time).",
		}, []string{"review"}),
		timeToApprove: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mdebot_time_to_approve_seconds", Help: "Time from a request's creation to its approval, for requests that needed one.",
			Buckets: humanBuckets,
		}, []string{"kind"}),
		timeToContain: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mdebot_time_to_contain_seconds", Help: "Time from an isolate or restrict request's creation to MDE reporting Succeeded.",
			Buckets: humanBuckets,
		}, []string{"kind"}),
		mdeCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_mde_calls_total", Help: `MDE API HTTP exchanges, by API family and HTTP status ("0": no reply).`,
		}, []string{"family", "status"}),
		mdeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mdebot_mde_call_duration_seconds", Help: "Duration of MDE API HTTP exchanges, by API family.",
			Buckets: latencyBuckets,
		}, []string{"family"}),
		rateLimitWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mdebot_mde_ratelimit_wait_seconds", Help: "Time an MDE call waited for its family's rate budget or a Retry-After pause.",
			Buckets: []float64{0, .01, .1, .5, 1, 5, 10, 30, 60, 120},
		}, []string{"family"}),
		socketConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mdebot_socket_connected", Help: "1 while the Slack Socket Mode connection is up, else 0.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mdebot_socket_reconnects_total", Help: "Slack Socket Mode reconnections after the first connection.",
		}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mdebot_shed_total", Help: "Work refused so that the rest is served, by lane (decision, work) and reason (queue_full, user_limit, budget_busy); the person who asked is told.",
		}, []string{"lane", "reason"}),
	}
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mdebot_actions_in_flight", Help: "MDE actions submitted and being followed to a final status.",
	}, m.readInFlight)
	m.reg.MustRegister(m.envelopes, m.ackLatency, m.commands, m.transitions, m.breakGlass, m.reviews, m.timeToApprove,
		m.timeToContain, m.mdeCalls, m.mdeDuration, m.rateLimitWait, m.socketConnected,
		m.reconnects, m.shed, inFlight, m.auditHead,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.slack.collectors()...)
	return m
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// SetInFlight sets the function mdebot_actions_in_flight reads (the bot's
// InFlight); until it is set the gauge is 0.
func (m *Metrics) SetInFlight(f func() int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight = f
}

func (m *Metrics) readInFlight() float64 {
	m.mu.Lock()
	f := m.inFlight
	m.mu.Unlock()
	if f == nil {
		return 0
	}
	return float64(f())
}

// Envelope implements bot.Observer.
func (m *Metrics) Envelope(kind string, ackLatency time.Duration) {
	if kind == "" {
		kind = "unknown"
	}
	m.envelopes.WithLabelValues(kind).Inc()
	m.ackLatency.Observe(ackLatency.Seconds())
}

// Command implements bot.Observer.
func (m *Metrics) Command(verb, outcome string) {
	m.commands.WithLabelValues(verb, outcome).Inc()
}

// SocketConnected implements bot.Observer.
func (m *Metrics) SocketConnected(up, reconnect bool) {
	if up {
		m.socketConnected.Set(1)
		if reconnect {
			m.reconnects.Inc()
		}
		return
	}
	m.socketConnected.Set(0)
}

// Shed implements bot.Observer.
func (m *Metrics) Shed(lane, reason string) {
	m.shed.WithLabelValues(lane, reason).Inc()
}

// MDECall implements defender.Observer.
func (m *Metrics) MDECall(family defender.Family, _ string, status int, took time.Duration) {
	m.mdeCalls.WithLabelValues(string(family), strconv.Itoa(status)).Inc()
	m.mdeDuration.WithLabelValues(string(family)).Observe(took.Seconds())
}

// RateLimitWait implements defender.Observer.
func (m *Metrics) RateLimitWait(family defender.Family, waited time.Duration) {
	m.rateLimitWait.WithLabelValues(string(family)).Observe(waited.Seconds())
}
