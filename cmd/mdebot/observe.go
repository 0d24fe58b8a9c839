package main

import (
	"log/slog"
	"time"

	"github.com/mdebot/mdebot/bot"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/metrics"
)

// botLogObserver passes what the bot observes on to next and logs it:
// the socket's state at info (warn when lost), each envelope and command
// at debug.
type botLogObserver struct {
	next bot.Observer
	log  *slog.Logger
}

var (
	_ bot.Observer      = botLogObserver{}
	_ bot.Observer      = (*metrics.Metrics)(nil)
	_ bot.SlackObserver = (*metrics.Metrics)(nil)
)

// Envelope implements bot.Observer.
func (o botLogObserver) Envelope(kind string, ackLatency time.Duration) {
	o.log.Debug("slack envelope acked", "type", kind, "ack_latency", ackLatency)
	o.next.Envelope(kind, ackLatency)
}

// Command implements bot.Observer.
func (o botLogObserver) Command(verb, outcome string) {
	o.log.Debug("command handled", "verb", verb, "outcome", outcome)
	o.next.Command(verb, outcome)
}

// SocketConnected implements bot.Observer. The bot tells each change once
// (no "down" while first connecting): connected at info, a lost connection
// at warn, since the bot hears nothing from Slack until it is back.
func (o botLogObserver) SocketConnected(up, reconnect bool) {
	switch {
	case up:
		o.log.Info("slack socket mode connected", "reconnect", reconnect)
	default:
		o.log.Warn("slack socket mode down; slack-go reconnects")
	}
	o.next.SocketConnected(up, reconnect)
}

// Shed implements bot.Observer. The bot logs each case itself, with what
// was refused.
func (o botLogObserver) Shed(lane, reason string) {
	o.next.Shed(lane, reason)
}

// mdeLogObserver passes what the MDE client observes on to next and logs
// each exchange at debug: the family, method and status only, never a
// URL (a query may hold a filter; a reply may hold a download link).
type mdeLogObserver struct {
	next defender.Observer
	log  *slog.Logger
}

var _ defender.Observer = mdeLogObserver{}

// MDECall implements defender.Observer.
func (o mdeLogObserver) MDECall(family defender.Family, method string, status int, took time.Duration) {
	o.log.Debug("MDE call", "family", family, "method", method, "status", status, "took", took)
	o.next.MDECall(family, method, status, took)
}

// RateLimitWait implements defender.Observer.
func (o mdeLogObserver) RateLimitWait(family defender.Family, waited time.Duration) {
	if waited >= time.Millisecond {
		o.log.Debug("MDE call waited for its rate budget", "family", family, "waited", waited)
	}
	o.next.RateLimitWait(family, waited)
}
