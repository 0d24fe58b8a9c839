package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
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
// else with it, then hands it to the bounded workers of its lane.
type socketLoop struct {
	client *socketmode.Client
	log    *slog.Logger
	// lanes sizes each lane; route picks an envelope's.
	lanes  map[lane]laneSpec
	route  func(socketmode.Event) lane
	ack    ackFunc
	handle func(ctx context.Context, evt socketmode.Event)
	// shed tells the sender of an envelope that a full lane could not
	// take.
	shed func(ctx context.Context, evt socketmode.Event)
	// observe is told of each envelope, of what was shed and of the
	// socket coming up or going down; nil observes nothing.
	observe Observer
	// state is the socket's state as last told to observe. It is read
	// and written by the loop's goroutine only.
	state socketState
	// forward, when set, is called with each envelope before its ack,
	// instead of queuing it after (Relay): an envelope it fails on is not
	// acked, so that Slack re-delivers it.
	forward func(ctx context.Context, evt socketmode.Event) error
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

	if l.observe == nil {
		l.observe = nopObserver{}
	}
	jobs := &lanes{route: l.route, handle: l.handle, shed: l.shed, observe: l.observe, log: l.log}
	defer jobs.start(ctx, l.lanes)()

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
			if _, refused := AuthErrorCode(err); refused {
				return fmt.Errorf("%w: %w", ErrInvalidAuth, err)
			}
			return fmt.Errorf("bot: socket mode stopped: %w", err)
		case evt := <-l.client.Events:
			if fatal := l.dispatch(ctx, evt, jobs); fatal != nil {
				return fatal
			}
		}
	}
}

// dispatch acks evt (when it is an envelope), then queues it on its lane.
func (l *socketLoop) dispatch(ctx context.Context, evt socketmode.Event, jobs *lanes) error {
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
		// slack-go retries a refused token that is not one of its own four
		// (not_allowed_token_type, token_expired) forever; stop instead.
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			if _, refused := AuthErrorCode(ce.ErrorObj); refused {
				return fmt.Errorf("%w: %w", ErrInvalidAuth, ce.ErrorObj)
			}
		}
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
	if l.forward != nil {
		if err := l.forward(ctx, evt); err != nil {
			l.log.Warn("envelope not claimed, so not acked: Slack re-delivers it", "envelope_id", evt.Request.EnvelopeID, "type", evt.Request.Type, "error", err)
			return nil
		}
	}
	var payload any
	if l.ack != nil {
		payload = l.ack(evt)
	}
	if err := l.client.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
		l.log.Warn("ack failed", "envelope_id", evt.Request.EnvelopeID, "error", err)
	}
	l.observe.Envelope(evt.Request.Type, time.Since(read))
	if l.forward == nil {
		jobs.submit(evt)
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

// AuthErrorCode reports whether err is Slack refusing a token, and Slack's
// error code ("invalid_auth", "not_allowed_token_type"…): the token is
// wrong, so retrying cannot help. The socket loop stops on these, and
// cmd/mdebot's startup checks name the variable to fix. err may be a
// slack.SlackErrorResponse (wrapped or not) or an error whose text is the
// code.
func AuthErrorCode(err error) (code string, ok bool) {
	if err == nil {
		return "", false
	}
	code = err.Error()
	if serr, isSlack := errors.AsType[slack.SlackErrorResponse](err); isSlack {
		code = serr.Err
	}
	switch code {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
		return code, true
	}
	return "", false
}
