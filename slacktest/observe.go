package slacktest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Messages returns the channel's messages in post order with their current
// content, thread replies, ephemerals and deleted messages included.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, m.clone())
	}
	return out
}

// Thread returns the replies to the message ts in channel, in post order.
func (s *Server) Thread(channel, ts string) []Message {
	var out []Message
	for _, m := range s.Messages(channel) {
		if m.ThreadTS == ts && m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

// AllMessages returns every message of every channel, in post order.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, ms := range s.messages {
		for _, m := range ms {
			out = append(out, m.clone())
		}
	}
	slices.SortStableFunc(out, func(a, b Message) int { return compareTS(a.TS, b.TS) })
	return out
}

// Message returns the message ref names.
func (s *Server) Message(ref MessageRef) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessageLocked(ref.Channel, ref.TS)
	if m == nil {
		return Message{}, false
	}
	return m.clone(), true
}

// WaitMessage returns the first message (in post order across channels) that
// match accepts, waiting for one to be posted or edited until ctx ends.
func (s *Server) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		for _, m := range s.AllMessages() {
			if match(m) {
				return m, nil
			}
		}
		if err := s.waitChange(ctx, ch); err != nil {
			return Message{}, fmt.Errorf("waiting for a message: %w", err)
		}
	}
}

// Views returns every view in the order they were opened or published.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.views))
	for _, v := range s.views {
		out = append(out, v.clone())
	}
	return out
}

// WaitView returns the first view match accepts, waiting until ctx ends.
func (s *Server) WaitView(ctx context.Context, match func(View) bool) (View, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		for _, v := range s.Views() {
			if match(v) {
				return v, nil
			}
		}
		if err := s.waitChange(ctx, ch); err != nil {
			return View{}, fmt.Errorf("waiting for a view: %w", err)
		}
	}
}

// Calls returns every Web API call received, in order.
func (s *Server) Calls() []APICall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]APICall, len(s.calls))
	copy(out, s.calls)
	return out
}

// CallCount returns how many calls of method were received.
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// FailNext makes the next n calls of method answer {"ok":false,"error":slackError}.
func (s *Server) FailNext(method string, n int, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &failure{n: n, err: slackError}
}

// RateLimitNext makes the next n calls of method answer HTTP 429 with a
// Retry-After header of retryAfter (whole seconds, at least 1), which
// slack-go turns into *slack.RateLimitedError. They are recorded in Calls
// with Error "ratelimited".
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &failure{n: n, err: "ratelimited", retryAfter: max(retryAfter, time.Second)}
}

// RemoveBot removes the bot from channel: from then on its posts and edits
// there answer not_in_channel, as Slack does.
func (s *Server) RemoveBot(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed[channel] = true
}

// Channels returns the configured channels.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channels))
	for _, c := range s.channels {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Channel) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Users returns the workspace members, the bot included.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// waitChange blocks until ch is closed or ctx ends.
func (s *Server) waitChange(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-s.done:
		return errServerClosed
	default:
	}
	select {
	case <-ch:
		return nil
	case <-s.done:
		return errServerClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Subscribe returns a channel of every state change from now on, and a
// function that ends the subscription. Events are queued without bound, so
// a slow reader never blocks the fake. The channel closes when the
// subscription ends or the server closes.
func (s *Server) Subscribe() (<-chan Event, func()) {
	sub := &subscriber{out: make(chan Event), wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		close(sub.out)
		return sub.out, func() {}
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	go sub.run()
	return sub.out, func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
		sub.close()
	}
}

type subscriber struct {
	out  chan Event
	wake chan struct{}
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	pending []Event
}

func (sub *subscriber) push(e Event) {
	sub.mu.Lock()
	sub.pending = append(sub.pending, e)
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

func (sub *subscriber) close() { sub.once.Do(func() { close(sub.done) }) }

func (sub *subscriber) run() {
	defer close(sub.out)
	for {
		sub.mu.Lock()
		var next *Event
		if len(sub.pending) > 0 {
			next = &sub.pending[0]
			sub.pending = sub.pending[1:]
		}
		sub.mu.Unlock()
		if next == nil {
			select {
			case <-sub.wake:
				continue
			case <-sub.done:
				return
			}
		}
		select {
		case sub.out <- *next:
		case <-sub.done:
			return
		}
	}
}

func (m *Message) clone() Message {
	c := *m
	c.Blocks = slices.Clone(m.Blocks)
	c.Files = slices.Clone(m.Files)
	return c
}

func (v *View) clone() View {
	c := *v
	c.JSON = slices.Clone(v.JSON)
	return c
}
