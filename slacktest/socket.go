package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

const writeTimeout = 10 * time.Second

// socketConn is one accepted Socket Mode websocket.
type socketConn struct {
	ws       *websocket.Conn
	wake     chan struct{} // a frame was queued
	done     chan struct{} // closed when the reader ends
	draining bool          // a disconnect frame went out: send nothing more
}

// outFrame is a frame waiting in the queue for a socket.
type outFrame struct {
	data     []byte
	envelope string      // envelope ID, "" for control frames
	target   *socketConn // only for this connection (disconnect frames)
	// assigned is the connection chosen for a frame without a target
	// (spread round-robin over the open connections, as Slack spreads an
	// app's payloads); chosen again if it closes first. avoid is the
	// connection a re-delivery should not go to when another is open.
	assigned   *socketConn
	avoid      *socketConn
	disconnect bool          // a disconnect frame
	written    chan struct{} // closed once written
	sentAt     time.Time
	cancelled  bool
}

// sentEnvelope is what the fake remembers of an envelope, to apply its ack.
type sentEnvelope struct {
	id        string
	kind      string // slash_commands, block_actions, view_submission, events_api
	sentAt    time.Time
	acked     bool
	user      string
	channel   string
	messageTS string // block_actions: the clicked message
	viewID    string // view_submission: the submitted view
	// frame is the envelope as sent, kept to re-deliver it (WithRedelivery).
	frame map[string]any
	// conn is the connection that wrote it; attempt its retry_attempt;
	// first the id of the envelope it re-delivers ("" for a first
	// delivery); redelivered is set once a later attempt replaced it.
	conn        *socketConn
	attempt     int
	first       string
	redelivered bool
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin: https://api.slack.com.
	CheckOrigin: func(*http.Request) bool { return true },
}

// serveSocket accepts the websocket of a ticket issued by apps.connections.open.
// Extra query parameters (debug_reconnects) are ignored.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &socketConn{ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.conns = append(s.conns, c)
	s.sockets++
	s.wg.Add(1)
	s.publishLocked(Event{Kind: EventConnected})
	s.mu.Unlock()
	go s.writeLoop(c)
	s.readLoop(c)
}

// readLoop records acks until the socket fails, then forgets the socket.
func (s *Server) readLoop(c *socketConn) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			break
		}
		s.handleAck(data, time.Now())
	}
	c.ws.Close()
	s.mu.Lock()
	s.conns = slices.DeleteFunc(s.conns, func(o *socketConn) bool { return o == c })
	close(c.done)
	s.wakeLocked() // an older socket may be current again
	s.publishLocked(Event{Kind: EventDisconnected})
	s.mu.Unlock()
}

// writeLoop sends hello, then queued frames and a PING every ping interval.
func (s *Server) writeLoop(c *socketConn) {
	defer s.wg.Done()
	ticker := time.NewTicker(s.pingInterval)
	defer ticker.Stop()
	if err := s.write(c, s.helloFrame()); err != nil {
		c.ws.Close()
		return
	}
	ping := func() bool {
		return c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)) == nil
	}
	for {
		select {
		case <-ticker.C:
			if !ping() {
				c.ws.Close()
				return
			}
		default:
		}
		f := s.nextFrame(c)
		if f == nil {
			select {
			case <-c.wake:
			case <-c.done:
				return
			case <-ticker.C:
				if !ping() {
					c.ws.Close()
					return
				}
			}
			continue
		}
		err := s.write(c, f.data)
		s.mu.Lock()
		if err != nil {
			if f.target == nil {
				s.queue = append([]*outFrame{f}, s.queue...)
			}
			s.mu.Unlock()
			c.ws.Close()
			return
		}
		close(f.written)
		if f.disconnect {
			c.draining = true
		}
		s.mu.Unlock()
	}
}

func (s *Server) write(c *socketConn, data []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// nextFrame pops the next frame for c, or nil when there is none to send.
// A frame without a target goes to the connection it was assigned to (see
// assignLocked); it is assigned again when that one closed or drains.
func (s *Server) nextFrame(c *socketConn) *outFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	reassigned := false
	for i := 0; i < len(s.queue); {
		f := s.queue[i]
		if f.target == nil && !f.cancelled && (f.assigned == nil || f.assigned.draining || !slices.Contains(s.conns, f.assigned)) {
			f.assigned = s.assignLocked(f.avoid)
			reassigned = reassigned || (f.assigned != nil && f.assigned != c)
		}
		switch {
		case f.cancelled:
			s.queue = slices.Delete(s.queue, i, i+1)
		case f.target != nil && !slices.Contains(s.conns, f.target):
			close(f.written) // its socket is gone: nothing to disconnect
			s.queue = slices.Delete(s.queue, i, i+1)
		case f.target == c || (f.target == nil && f.assigned == c && !c.draining):
			s.queue = slices.Delete(s.queue, i, i+1)
			// Stamp before writing: the ack may arrive before the write returns.
			f.sentAt = time.Now()
			if env := s.envelopes[f.envelope]; env != nil {
				env.sentAt = f.sentAt
				env.conn = c
				s.scheduleRedeliveryLocked(env)
				s.publishLocked(Event{Kind: EventEnvelopeSent, Envelope: &Envelope{ID: env.id, SentAt: f.sentAt, Kind: env.kind, UserID: env.user, RetryAttempt: env.attempt}})
			}
			if reassigned {
				s.wakeLocked()
			}
			return f
		default:
			i++
		}
	}
	if reassigned {
		s.wakeLocked()
	}
	return nil
}

// assignLocked picks the connection for the next frame: round-robin over
// the open connections not asked to disconnect, other than avoid when
// there is another; nil when none is open.
func (s *Server) assignLocked(avoid *socketConn) *socketConn {
	var open []*socketConn
	for _, c := range s.conns {
		if !c.draining && c != avoid {
			open = append(open, c)
		}
	}
	if len(open) == 0 {
		if avoid == nil || avoid.draining || !slices.Contains(s.conns, avoid) {
			return nil
		}
		open = []*socketConn{avoid}
	}
	s.spread++
	return open[s.spread%len(open)]
}

// currentLocked returns the socket new frames go to: the newest one that
// was not asked to disconnect.
func (s *Server) currentLocked() *socketConn {
	for i := len(s.conns) - 1; i >= 0; i-- {
		if !s.conns[i].draining {
			return s.conns[i]
		}
	}
	return nil
}

// wakeLocked tells every socket's writer to look at the queue.
func (s *Server) wakeLocked() {
	for _, c := range s.conns {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// send queues a frame and waits until a socket has written it.
func (s *Server) send(ctx context.Context, f *outFrame) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errServerClosed
	}
	if f.disconnect {
		s.queue = append([]*outFrame{f}, s.queue...)
	} else {
		s.queue = append(s.queue, f)
	}
	s.changeLocked()
	s.wakeLocked()
	s.mu.Unlock()
	select {
	case <-f.written:
		return nil
	case <-s.done:
		return errServerClosed
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-f.written:
			return nil
		default:
		}
		f.cancelled = true
		return fmt.Errorf("sending frame: %w", ctx.Err())
	}
}

// sendEnvelope records an envelope, then sends it.
func (s *Server) sendEnvelope(ctx context.Context, env *sentEnvelope, frame map[string]any) (Envelope, error) {
	data, err := json.Marshal(frame)
	if err != nil {
		return Envelope{}, fmt.Errorf("encoding envelope: %w", err)
	}
	s.mu.Lock()
	env.frame = frame
	s.mu.Unlock()
	f := &outFrame{data: data, envelope: env.id, written: make(chan struct{})}
	if err := s.send(ctx, f); err != nil {
		return Envelope{}, err
	}
	return Envelope{ID: env.id, SentAt: f.sentAt, Kind: env.kind, UserID: env.user}, nil
}

// handleAck records an ack {"envelope_id":…,"payload":…} and applies it.
func (s *Server) handleAck(data []byte, at time.Time) {
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
		s.mu.Lock()
		s.badFrames = append(s.badFrames, append([]byte(nil), data...))
		s.changeLocked()
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ack := Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload}
	env := s.envelopes[a.EnvelopeID]
	if env != nil && !env.sentAt.IsZero() {
		ack.Latency = at.Sub(env.sentAt)
	}
	if _, seen := s.ackIndex[ack.EnvelopeID]; !seen {
		s.ackIndex[ack.EnvelopeID] = len(s.acks)
	}
	s.acks = append(s.acks, ack)
	if env != nil && !env.acked {
		env.acked = true
		s.applyAckLocked(env, a.Payload)
	}
	s.publishLocked(Event{Kind: EventAck, Ack: &ack})
}

// SendRaw writes an arbitrary frame to the bot, for malformed-envelope tests.
// It waits, until ctx ends, for a socket to write it.
func (s *Server) SendRaw(ctx context.Context, frame []byte) error {
	return s.send(ctx, &outFrame{data: append([]byte(nil), frame...), written: make(chan struct{})})
}

// ackOfLocked returns the first ack of the envelope or of any of its
// re-deliveries (WithRedelivery). s.mu must be held.
func (s *Server) ackOfLocked(envelopeID string) (Ack, bool) {
	first := envelopeID
	if env := s.envelopes[envelopeID]; env != nil && env.first != "" {
		first = env.first
	}
	best := -1
	for id, env := range s.envelopes {
		if id != first && env.first != first {
			continue
		}
		if i, ok := s.ackIndex[id]; ok && (best < 0 || i < best) {
			best = i
		}
	}
	if i, ok := s.ackIndex[envelopeID]; ok && (best < 0 || i < best) {
		best = i
	}
	if best < 0 {
		return Ack{}, false
	}
	return s.acks[best], true
}

// WaitAck waits for the bot's ack of the envelope, or of a re-delivery of
// it (WithRedelivery): Slack needs one of them acked.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		if a, ok := s.ackOfLocked(envelopeID); ok {
			s.mu.Unlock()
			return a, nil
		}
		s.mu.Unlock()
		if err := s.waitChange(ctx, ch); err != nil {
			return Ack{}, fmt.Errorf("waiting for the ack of %s: %w", envelopeID, err)
		}
	}
}

// Acks returns every ack received, in arrival order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// Unacked returns the envelopes written to the bot and not acked yet, in
// the order they were written (an envelope re-delivered counts once, as
// its latest attempt). Real Slack wants each ack within 3 s; a test
// asserts the bot acked everything by checking this is empty once the work
// it waits for is done.
func (s *Server) Unacked() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Envelope
	for _, env := range s.envelopes {
		if !env.acked && !env.redelivered && !env.sentAt.IsZero() {
			out = append(out, Envelope{ID: env.id, SentAt: env.sentAt, Kind: env.kind, UserID: env.user, RetryAttempt: env.attempt})
		}
	}
	slices.SortFunc(out, func(a, b Envelope) int { return a.SentAt.Compare(b.SentAt) })
	return out
}

// UnparsedFrames returns frames from the bot that were not acks.
func (s *Server) UnparsedFrames() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.badFrames...)
}

// DropConnection closes every socket abruptly, without a close frame; the
// client sees a read error and reconnects.
func (s *Server) DropConnection() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
}

// Disconnect sends a disconnect frame ("refresh_requested", "warning",
// "link_disabled", "too_many_websockets") to the current socket, ahead of
// any queued frame; nothing more is written on that socket. slack-go then
// reconnects. It does nothing when no socket is up.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	c := s.currentLocked()
	s.mu.Unlock()
	if c == nil {
		return
	}
	data, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "applink-fake"},
	})
	f := &outFrame{data: data, target: c, disconnect: true, written: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	_ = s.send(ctx, f)
}

// Connections returns how many apps.connections.open calls succeeded.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openedConns
}

// Connected reports whether at least one socket is up.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) > 0
}

// WaitConnected waits until the n-th socket (counting from 1 since the
// server started) has been accepted and is up.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		ch := s.changed
		ok := s.sockets >= n && len(s.conns) > 0
		s.mu.Unlock()
		if ok {
			return nil
		}
		if err := s.waitChange(ctx, ch); err != nil {
			return fmt.Errorf("waiting for socket %d: %w", n, err)
		}
	}
}

func (s *Server) helloFrame() []byte {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	data, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host":                        "applink-fake",
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	return data
}

// maxRetryAttempts is how many times Slack re-delivers an envelope.
const maxRetryAttempts = 3

// scheduleRedeliveryLocked arms env's re-delivery (WithRedelivery) now
// that it was written. s.mu must be held.
func (s *Server) scheduleRedeliveryLocked(env *sentEnvelope) {
	if s.redeliverAfter <= 0 || env.frame == nil || env.attempt >= maxRetryAttempts {
		return
	}
	time.AfterFunc(s.redeliverAfter, func() { s.redeliver(env.id) })
}

// redeliver queues the next attempt of the envelope id unless it was
// acked meanwhile.
func (s *Server) redeliver(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.envelopes[id]
	if s.closed || env == nil || env.acked || env.redelivered {
		return
	}
	next := *env
	next.id = s.nextEnvelopeIDLocked()
	next.attempt = env.attempt + 1
	next.first = env.id
	if env.first != "" {
		next.first = env.first
	}
	next.sentAt, next.conn, next.acked = time.Time{}, nil, false
	next.frame = map[string]any{}
	for k, v := range env.frame {
		next.frame[k] = v
	}
	next.frame["envelope_id"] = next.id
	next.frame["retry_attempt"] = next.attempt
	next.frame["retry_reason"] = "timeout"
	data, err := json.Marshal(next.frame)
	if err != nil {
		return
	}
	env.redelivered = true
	s.envelopes[next.id] = &next
	s.redeliveries++
	s.queue = append(s.queue, &outFrame{data: data, envelope: next.id, avoid: env.conn, written: make(chan struct{})})
	s.changeLocked()
	s.wakeLocked()
}

// Redeliveries returns how many envelopes were re-delivered because the
// bot did not ack them in time (WithRedelivery).
func (s *Server) Redeliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.redeliveries
}

// SocketCount returns how many Socket Mode connections are open now.
func (s *Server) SocketCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
