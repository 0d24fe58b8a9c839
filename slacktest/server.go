package slacktest

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a fake Slack workspace: Web API, Socket Mode and their state.
type Server struct {
	listener net.Listener
	http     *http.Server
	baseURL  string // "http://127.0.0.1:PORT"

	teamID, teamDomain string
	enterpriseID       string
	pingInterval       time.Duration
	now                func() time.Time

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	done     chan struct{} // closed by Close
	users    map[string]User
	groups   map[string]*UserGroup
	channels map[string]Channel
	messages map[string][]*Message // by channel, in post order
	views    []*View
	calls    []APICall
	failures map[string]*failure
	// httpFailures script 5xx answers and slow replies (FailNextHTTP,
	// SlowNext); limits, when set, enforces Slack's rate limits.
	httpFailures map[string]*httpFailure
	limits       *limiter
	removed      map[string]bool // channels the bot was removed from (RemoveBot)
	lastTS       int64           // microseconds of the last ts issued
	seq          int             // for IDs
	triggers     map[string]*trigger
	uploads      map[string]*upload

	tickets     map[string]bool
	openedConns int
	sockets     int
	badFrames   [][]byte
	conns       []*socketConn // open sockets, oldest first
	spread      int           // round-robin counter of assignLocked
	// redeliverAfter, when set, re-delivers an envelope not acked within
	// it (WithRedelivery); redeliveries counts them.
	redeliverAfter time.Duration
	redeliveries   int
	queue          []*outFrame
	envelopes      map[string]*sentEnvelope
	acks           []Ack
	ackIndex       map[string]int // envelope ID → its first ack in acks
	subs           map[*subscriber]struct{}
	wg             sync.WaitGroup
}

// failure is a scripted failure of a method's next calls: a Slack error,
// or an HTTP 429 when retryAfter is set.
type failure struct {
	n          int
	err        string
	retryAfter time.Duration
}

// Option configures a Server.
type Option func(*Server)

// WithTeam sets the workspace's team ID and domain (defaults T0FAKETEAM, "fake").
func WithTeam(id, domain string) Option {
	return func(s *Server) { s.teamID, s.teamDomain = id, domain }
}

// WithEnterprise makes the workspace part of an Enterprise Grid
// organization: auth.test and the workspace's members' envelopes carry id
// as their enterprise_id.
func WithEnterprise(id string) Option {
	return func(s *Server) { s.enterpriseID = id }
}

// WithPingInterval sets how often the fake sends websocket PINGs (default 2s).
// slack-go reconnects when no PING arrives within its own ping interval.
func WithPingInterval(d time.Duration) Option {
	return func(s *Server) { s.pingInterval = d }
}

// WithRedelivery makes the fake re-deliver, as Slack does, an envelope
// the bot has not acked within after (Slack waits 3 s): the same payload
// under a new envelope_id, with retry_attempt 1, 2, then 3 and
// retry_reason "timeout", on another open connection when there is one.
// Slack has been seen re-sending both under the same and under a new
// envelope_id; the fake uses a new one, the harder case for a bot that
// must handle a payload once. Off by default, so that tests of what the
// bot leaves unacked see each envelope once.
func WithRedelivery(after time.Duration) Option {
	return func(s *Server) { s.redeliverAfter = after }
}

// WithUsers adds workspace members.
func WithUsers(users ...User) Option {
	return func(s *Server) {
		for _, u := range users {
			s.users[u.ID] = u
		}
	}
}

// WithUserGroups adds user groups.
func WithUserGroups(groups ...UserGroup) Option {
	return func(s *Server) {
		for _, g := range groups {
			g.Members = append([]string(nil), g.Members...)
			s.groups[g.ID] = &g
		}
	}
}

// WithChannels adds channels the bot may post to.
func WithChannels(channels ...Channel) Option {
	return func(s *Server) {
		for _, c := range channels {
			s.channels[c.ID] = c
		}
	}
}

// WithClock sets the Slack-side clock: message ts, trigger_id expiry, event
// times (default time.Now). It is called with the server's lock held, so it
// must not call the Server.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// NewServer starts a fake Slack on 127.0.0.1 with a random port. It panics
// only if it cannot listen, like httptest.NewServer.
func NewServer(opts ...Option) *Server {
	s := &Server{
		teamID:       "T0FAKETEAM",
		teamDomain:   "fake",
		pingInterval: 2 * time.Second,
		now:          time.Now,
		changed:      make(chan struct{}),
		done:         make(chan struct{}),
		users:        map[string]User{BotUserID: {ID: BotUserID, Name: "mdebot", RealName: "mdebot", IsBot: true}},
		groups:       map[string]*UserGroup{},
		channels:     map[string]Channel{},
		messages:     map[string][]*Message{},
		failures:     map[string]*failure{},
		httpFailures: map[string]*httpFailure{},
		removed:      map[string]bool{},
		triggers:     map[string]*trigger{},
		uploads:      map[string]*upload{},
		tickets:      map[string]bool{},
		envelopes:    map[string]*sentEnvelope{},
		ackIndex:     map[string]int{},
		subs:         map[*subscriber]struct{}{},
	}
	for _, o := range opts {
		o(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("slacktest: cannot listen: " + err.Error())
	}
	s.listener = l
	s.baseURL = "http://" + l.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/upload/{file}", s.serveUpload)
	mux.HandleFunc("/response/{id}", s.serveResponse)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(l)
	}()
	return s
}

// Close stops the server, closes the socket and ends every subscription.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := s.conns
	s.conns = nil
	subs := s.subs
	s.subs = map[*subscriber]struct{}{}
	s.changeLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
	_ = s.http.Close()
	s.wg.Wait()
	for sub := range subs {
		sub.close()
	}
}

// APIURL returns the Web API base URL with its trailing slash, for
// slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.baseURL + "/api/" }

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
	s.changeLocked()
}

// AddUserGroup adds or replaces a user group.
func (s *Server) AddUserGroup(g UserGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Members = append([]string(nil), g.Members...)
	s.groups[g.ID] = &g
	s.changeLocked()
}

// SetGroupMembers replaces a user group's members, creating the group if needed.
func (s *Server) SetGroupMembers(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		g = &UserGroup{ID: id}
		s.groups[id] = g
	}
	g.Members = append([]string(nil), members...)
	s.changeLocked()
}

// AddChannel adds or replaces a channel.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = c
	s.changeLocked()
}

// changeLocked wakes every waiter. s.mu must be held.
func (s *Server) changeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// publishLocked records a state change for waiters and subscribers. s.mu must be held.
func (s *Server) publishLocked(e Event) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	for sub := range s.subs {
		sub.push(e)
	}
	s.changeLocked()
}

// nextIDLocked returns prefix followed by a fresh sequence number. s.mu must be held.
func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}
