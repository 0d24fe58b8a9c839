package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack/socketmode"
)

// ErrInvalidAuth is returned by Run when Slack refuses the app-level token
// (invalid_auth, not_authed, token_revoked…): retrying cannot help.
var ErrInvalidAuth = errors.New("bot: Slack refused the app token (invalid_auth)")

// ackFunc computes the payload of an envelope's acknowledgement. It must be
// pure and fast: it runs on the socket loop, before any other work. A nil
// payload acks with the envelope id alone.
type ackFunc func(evt socketmode.Event) any

// socketLoop acknowledges every Socket Mode envelope before doing anything
// else with it, then hands it to a bounded pool of workers.
type socketLoop struct {
	client  *socketmode.Client
	log     *slog.Logger
	workers int
	queue   int
	ack     ackFunc
	handle  func(ctx context.Context, evt socketmode.Event)
	// observe is told of each envelope and of the socket coming up or
	// going down; nil observes nothing.
	observe Observer
	// state is the socket's state as last told to observe. It is read
	// and written by the loop's goroutine only.
	state socketState
}

// socketState is the Socket Mode connection's state as observed.
type socketState int

const (
	socketStarting socketState = iota // not connected yet since the start
	socketUp
	socketDown // was up, lost; slack-go reconnects
)

// run consumes client.Events until ctx ends or Slack refuses the token. It
// starts the client's own RunContext, which owns reconnection.
func (l *socketLoop) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan socketmode.Event, l.queue)
	var wg sync.WaitGroup
	for range l.workers {
		wg.Go(func() {
			for evt := range jobs {
				l.handle(ctx, evt)
			}
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()

	runErr := make(chan error, 1)
	go func() { runErr <- l.client.RunContext(ctx) }()

	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			if isAuthError(err) {
				return fmt.Errorf("%w: %v", ErrInvalidAuth, err)
			}
			return fmt.Errorf("bot: socket mode stopped: %w", err)
		case evt := <-l.client.Events:
			if fatal := l.dispatch(ctx, evt, jobs); fatal != nil {
				return fatal
			}
		}
	}
}

// dispatch acks evt (when it is an envelope), then queues it for a worker.
func (l *socketLoop) dispatch(ctx context.Context, evt socketmode.Event, jobs chan<- socketmode.Event) error {
	switch evt.Type {
	case socketmode.EventTypeInvalidAuth:
		return ErrInvalidAuth
	case socketmode.EventTypeConnected:
		reconnect := false
		if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			reconnect = ce.ConnectionCount > 0
		}
		l.setConnected(true, reconnect)
		return nil
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
		l.setConnected(false, false)
	case socketmode.EventTypeIncomingError, socketmode.EventTypeConnectionError:
		l.setConnected(false, false)
		// One line per failed attempt or broken connection, with why;
		// the state change, if any, was told once above.
		l.log.Warn("slack socket error; slack-go reconnects", "event", evt.Type, "error", fmt.Sprint(evt.Data))
		return nil
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not decode the envelope; it has no Request, so it
		// would never be acked and Slack would retry it. Ack it by the id in
		// the raw frame.
		var raw struct {
			EnvelopeID string `json:"envelope_id"`
			Type       string `json:"type"`
		}
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			_ = json.Unmarshal(bad.Message, &raw)
			l.log.Warn("undecodable slack envelope acked and dropped", "envelope_id", raw.EnvelopeID, "type", raw.Type, "error", bad.Cause)
		}
		if raw.EnvelopeID != "" {
			if err := l.client.AckCtx(ctx, raw.EnvelopeID, nil); err != nil {
				l.log.Warn("ack failed", "envelope_id", raw.EnvelopeID, "error", err)
			}
		}
		return nil
	}
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return nil // hello, connecting, disconnect…: nothing to ack or handle
	}
	read := time.Now()
	var payload any
	if l.ack != nil {
		payload = l.ack(evt)
	}
	if err := l.client.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
		l.log.Warn("ack failed", "envelope_id", evt.Request.EnvelopeID, "error", err)
	}
	if l.observe != nil {
		l.observe.Envelope(evt.Request.Type, time.Since(read))
	}
	select {
	case jobs <- evt:
	default:
		// Never block the loop: later envelopes must still be acked in time.
		l.log.Error("work queue full; envelope acked but dropped", "envelope_id", evt.Request.EnvelopeID, "type", evt.Type)
	}
	return nil
}

// setConnected tells observe of a change of the socket's state, once:
// slack-go reports a lost connection several ways (an error, then
// "connecting" for each attempt), and "connecting" at the start is not a
// loss, so only up after anything else and the first down after up are
// changes.
func (l *socketLoop) setConnected(up, reconnect bool) {
	next := socketUp
	if !up {
		next = socketDown
		if l.state != socketUp {
			return // still starting, or already down
		}
	}
	if next == l.state {
		return
	}
	l.state = next
	if l.observe != nil {
		l.observe.SocketConnected(up, reconnect)
	}
}

// isAuthError reports whether err from RunContext is Slack refusing the token.
func isAuthError(err error) bool {
	if err == nil {
		return false
	}
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		return true
	}
	return false
}
