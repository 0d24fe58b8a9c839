package defendertest

import (
	"context"
	"net/http"
	"time"
)

// Call is one request the server received, as recorded after it was
// answered (Status 0 means the connection was dropped by FailNext).
//
// Route names, which FailNext and CallCount take too: "token", "openid",
// "machines.get", "machines.list", "machines.findbyip",
// "machines.findbytag", "actions.isolate", "actions.unisolate",
// "actions.restrictCodeExecution", "actions.unrestrictCodeExecution",
// "actions.runAntiVirusScan", "actions.collectInvestigationPackage",
// "actions.StopAndQuarantineFile", "actions.offboard", "machineactions.get",
// "machineactions.list", "machineactions.cancel",
// "machineactions.getPackageUri", "indicators.post", "indicators.delete",
// "indicators.list".
type Call struct {
	Method   string
	Route    string // stable route name (above); "" for an unknown path
	Path     string
	RawQuery string
	Body     []byte
	Status   int
	At       time.Time // the server clock when the request arrived
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.notifyLocked()
}

// Calls returns every request received so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	copy(out, s.calls)
	return out
}

// CallCount returns how many requests were received on route.
func (s *Server) CallCount(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Route == route {
			n++
		}
	}
	return n
}

// FailNext makes the next n requests to route get status, body and header
// instead of being served (no auth, no rate limit, no state change). A
// non-empty body without a Content-Type header is sent as JSON. Status 0
// drops the connection without replying, which clients see as a transport
// error. Calls to FailNext queue up behind each other.
func (s *Server) FailNext(route string, n int, status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[route] = append(s.failures[route], failure{status: status, body: body, header: header.Clone()})
	}
}

func (s *Server) takeFailure(route string) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failures[route]
	if len(q) == 0 {
		return failure{}, false
	}
	f := q[0]
	s.failures[route] = q[1:]
	return f, true
}

// WaitFor blocks until cond(s) is true or ctx is done. cond is evaluated
// without the server's lock held (it may call any method), at once and again
// after every state change: a request, an action transition due on the
// server clock, SetStatus, Tick. It returns ctx.Err() if ctx ends first.
func (s *Server) WaitFor(ctx context.Context, cond func(s *Server) bool) error {
	for {
		s.mu.Lock()
		s.advanceAllLocked()
		ch := s.changed
		next, ok := s.nextTransitionLocked()
		now := s.now()
		s.mu.Unlock()

		if cond(s) {
			return nil
		}
		var (
			t     *time.Timer
			timer <-chan time.Time
		)
		if ok {
			t = time.NewTimer(max(next.Sub(now), time.Millisecond))
			timer = t.C
		}
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-ch:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// Subscribe returns a channel that receives a notification (coalesced, never
// blocking the server) after every state change, and a function that ends
// the subscription and closes the channel.
func (s *Server) Subscribe() (<-chan struct{}, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSubID
	s.nextSubID++
	ch := make(chan struct{}, 1)
	s.subscribers[id] = ch
	done := false
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if done {
			return
		}
		done = true
		delete(s.subscribers, id)
		close(ch)
	}
}
