package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Inbox is how replicas sharing one store (etcdstore.Store) share the
// envelopes Slack spreads over their Socket Mode connections: every
// replica claims what it receives before acking it (Relay), and the
// leader's Bot handles what was claimed (Options.Inbox).
type Inbox interface {
	// ClaimEnvelope stores envelope for the leader unless key was claimed
	// before, by any replica, and reports whether this call claimed it.
	ClaimEnvelope(ctx context.Context, key string, envelope []byte) (claimed bool, err error)
	// Envelopes calls handle with every claimed envelope until ctx ends;
	// done, called once it is handled, removes it.
	Envelopes(ctx context.Context, handle func(envelope []byte, done func())) error
}

// RelayOptions are Relay's dependencies.
type RelayOptions struct {
	Socket *socketmode.Client // this replica's own connection (app-level token)
	Inbox  Inbox              // where envelopes are claimed
	Logger *slog.Logger       // default: discard
	// Observer is told of each envelope and of the socket's state (for
	// readiness and metrics); nil observes nothing.
	Observer Observer
}

// Relay holds this replica's Socket Mode connection until ctx ends
// (returning nil) or Slack refuses the app token (ErrInvalidAuth). Each
// envelope is claimed in the Inbox first, then acked (with the same
// immediate answer the Bot would give, ackPayload); it is never handled
// here: the leader's Bot handles it from the Inbox. An envelope another
// replica claimed (Slack's re-delivery of one a replica received but did
// not ack) is acked and dropped. An envelope that cannot be claimed (the
// store is away) is not acked, so Slack re-delivers it, to this or
// another connection. Every replica runs one, the leader too.
func Relay(ctx context.Context, o RelayOptions) error {
	if o.Socket == nil || o.Inbox == nil {
		return errors.New("bot: RelayOptions.Socket and Inbox are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	loop := &socketLoop{
		client:  o.Socket,
		log:     o.Logger,
		ack:     ackPayload,
		observe: o.Observer,
		forward: func(ctx context.Context, evt socketmode.Event) error {
			return claim(ctx, o.Inbox, evt.Request, o.Logger)
		},
	}
	return loop.run(ctx)
}

// claim claims req in inbox under its envelopeKey.
func claim(ctx context.Context, inbox Inbox, req *socketmode.Request, log *slog.Logger) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encoding the envelope: %w", err)
	}
	key := envelopeKey(req)
	claimed, err := inbox.ClaimEnvelope(ctx, key, data)
	if err != nil {
		return err
	}
	if !claimed {
		log.Info("envelope already claimed by a replica; acked and dropped",
			"envelope_id", req.EnvelopeID, "type", req.Type, "retry_attempt", req.RetryAttempt, "retry_reason", req.RetryReason)
	}
	return nil
}

// envelopeKey names what an envelope carries, the same on every delivery
// of it: Slack re-delivers an envelope nobody acked with retry_attempt
// and retry_reason set, under the same or a new envelope_id, but with the
// same payload. An Events API payload has its event_id; a command, click
// or view submission its trigger_id (one per user action). The envelope
// id is the last resort.
func envelopeKey(req *socketmode.Request) string {
	var p struct {
		EventID   string `json:"event_id"`
		TriggerID string `json:"trigger_id"`
	}
	_ = json.Unmarshal(req.Payload, &p)
	switch {
	case p.EventID != "":
		return req.Type + "/event_id=" + p.EventID
	case p.TriggerID != "":
		return req.Type + "/trigger_id=" + p.TriggerID
	}
	return req.Type + "/envelope_id=" + req.EnvelopeID
}

// eventOf decodes an envelope as slack-go's socketmode client does, into
// the event the handlers take.
func eventOf(req *socketmode.Request) (socketmode.Event, error) {
	switch req.Type {
	case socketmode.RequestTypeSlashCommands:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			return socketmode.Event{}, fmt.Errorf("parsing slash command: %w", err)
		}
		return socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: cmd, Request: req}, nil
	case socketmode.RequestTypeInteractive:
		var cb slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			return socketmode.Event{}, fmt.Errorf("parsing interaction callback: %w", err)
		}
		return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb, Request: req}, nil
	case socketmode.RequestTypeEventsAPI:
		e, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return socketmode.Event{}, fmt.Errorf("parsing Events API event: %w", err)
		}
		return socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: e, Request: req}, nil
	}
	return socketmode.Event{}, fmt.Errorf("unsupported envelope type %q", req.Type)
}

// serveInbox hands every envelope of Options.Inbox to the lanes, until ctx
// ends: the leader's Run when replicas relay (Relay). An envelope leaves
// the inbox once its handler returned (or its sender was told it was
// shed), so one the leader was handling when it died is handled by the
// next.
func (b *Bot) serveInbox(ctx context.Context) error {
	var pending sync.Map // *socketmode.Request → done
	finish := func(evt socketmode.Event) {
		if d, ok := pending.LoadAndDelete(evt.Request); ok {
			d.(func())()
		}
	}
	jobs := &lanes{
		route: laneOf,
		handle: func(ctx context.Context, evt socketmode.Event) {
			defer finish(evt)
			b.handle(ctx, evt)
		},
		shed: func(ctx context.Context, evt socketmode.Event) {
			defer finish(evt)
			b.shedNotice(ctx, evt)
		},
		observe: b.o.Observer,
		log:     b.log,
	}
	defer jobs.start(ctx, map[lane]laneSpec{
		LaneDecision: {workers: decisionWorkers, queue: decisionQueue},
		LaneWork:     {workers: b.o.Workers, queue: workQueue},
	})()
	err := b.o.Inbox.Envelopes(ctx, func(data []byte, done func()) {
		req := &socketmode.Request{}
		if err := json.Unmarshal(data, req); err != nil {
			b.log.Error("undecodable envelope in the inbox; dropped", "error", err)
			done()
			return
		}
		evt, err := eventOf(req)
		if err != nil {
			b.log.Warn("envelope in the inbox not handled", "envelope_id", req.EnvelopeID, "type", req.Type, "error", err)
			done()
			return
		}
		pending.Store(req, done)
		jobs.submit(evt)
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("bot: reading the inbox: %w", err)
	}
	return nil
}
