package bot

import (
	"strings"
	"time"
)

// Observer is told what the bot does, for metrics and readiness. Package
// bot does not know what it does with it; cmd/mdebot wires package
// metrics. Its methods must be fast and safe for concurrent use.
type Observer interface {
	// Envelope is one Socket Mode envelope of kind ("slash_commands",
	// "interactive", "events_api"…), acked ackLatency after it was read.
	Envelope(kind string, ackLatency time.Duration)
	// Command is one /mde command by verb ("isolate", or "unknown" when
	// it did not parse) and its outcome (see the Command… constants).
	Command(verb string, outcome string)
	// SocketConnected is told when the Socket Mode connection comes up
	// (up; reconnect when it is not the first one) or goes down.
	SocketConnected(up, reconnect bool)
	// Shed is told of work refused so that the rest is served: in lane
	// (LaneDecision, LaneWork), for reason (see the Shed… constants).
	// The person who asked is told too.
	Shed(lane, reason string)
}

// The reasons of Observer.Shed.
const (
	// ShedQueueFull: an acked envelope found its lane's queue full.
	ShedQueueFull = "queue_full"
	// ShedUserLimit: a look-up came over its user's limit.
	ShedUserLimit = "user_limit"
	// ShedBudgetBusy: a look-up would have waited too long for
	// Defender's API budget.
	ShedBudgetBusy = "budget_busy"
)

// The outcomes of an /mde command, as Observer.Command is told.
const (
	// CommandAccepted: an action command opened a request.
	CommandAccepted = "accepted"
	// CommandRejected: an action command was answered without a request
	// (policy, no such machine, several machines to choose from).
	CommandRejected = "rejected"
	// CommandInvalid: the text did not parse; the usage was shown.
	CommandInvalid = "invalid"
	// CommandFailed: the bot showed an error (Slack, MDE or the store failed).
	CommandFailed = "error"
	// CommandThrottled: a look-up was refused for now: its user's limit
	// or Defender's API budget was busy.
	CommandThrottled = "throttled"
	// CommandAnswered: a read command (help, machine, status, history…) answered.
	CommandAnswered = "ok"
)

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) Envelope(string, time.Duration) {}
func (nopObserver) Command(string, string)         {}
func (nopObserver) SocketConnected(bool, bool)     {}
func (nopObserver) Shed(string, string)            {}

// InFlight returns how many MDE actions the bot is following now.
func (b *Bot) InFlight() int { return b.tracker.len() }

// result is the verb label and the outcome the command came to.
func (rec *commandRecord) result() (verb, outcome string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	verb = strings.ToLower(string(rec.verb))
	if verb == "" {
		verb = "unknown"
	}
	outcome = rec.outcome
	switch {
	case outcome != "":
	case rec.verb.IsAction():
		outcome = CommandRejected
	default:
		outcome = CommandAnswered
	}
	return verb, outcome
}

// observeCommand runs handle for one slash command and tells the Observer
// its verb and outcome.
func (b *Bot) observeCommand(handle func(rec *commandRecord)) {
	rec := &commandRecord{}
	handle(rec)
	b.o.Observer.Command(rec.result())
}

// SlackObserver is told how the bot's deliveries to Slack go, for metrics.
// Its methods must be fast and safe for concurrent use.
type SlackObserver interface {
	// OutboxPending is how many deliveries the outbox holds.
	OutboxPending(n int)
	// RateLimited is one HTTP 429 from Slack for method.
	RateLimited(method string)
	// Delivered is one delivery of kind taken by Slack, latency after the
	// change that owed it was written.
	Delivered(kind string, latency time.Duration)
	// Failed is one delivery of kind that Slack refused for good, with
	// Slack's error code (not_in_channel, channel_not_found…).
	Failed(kind, code string)
}

// nopSlackObserver observes nothing.
type nopSlackObserver struct{}

func (nopSlackObserver) OutboxPending(int)               {}
func (nopSlackObserver) RateLimited(string)              {}
func (nopSlackObserver) Delivered(string, time.Duration) {}
func (nopSlackObserver) Failed(string, string)           {}
