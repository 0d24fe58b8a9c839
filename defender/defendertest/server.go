package defendertest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Server is a stateful fake of Microsoft Entra ID's token endpoint and the
// Microsoft Defender for Endpoint API, served over TLS on 127.0.0.1. It is
// safe for concurrent use. Create it with NewServer and Close it when done.
type Server struct {
	ts       *httptest.Server // nil WithInMemory
	url      string
	client   *http.Client
	cfg      config
	tokenKey []byte // HMAC key signing issued access tokens

	mu          sync.Mutex
	machines    []*Machine
	actions     []*actionRecord
	actionByID  map[string]*actionRecord
	indicators  []*indicatorRecord
	nextIndID   int
	packageURIs map[string]string
	quarantine  map[string]string // sha1 → failure message
	calls       []Call
	failures    map[string][]failure
	limits      map[string]*routeLimiter
	changed     chan struct{} // closed and replaced on every state change
	subscribers map[int]chan struct{}
	nextSubID   int
	tokenSeq    int
}

type failure struct {
	status int
	body   string
	header http.Header
}

// NewServer starts a fake seeded with DefaultMachines() unless WithMachines
// is given.
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:         cfg,
		tokenKey:    make([]byte, 32),
		actionByID:  map[string]*actionRecord{},
		packageURIs: map[string]string{},
		quarantine:  map[string]string{},
		failures:    map[string][]failure{},
		limits:      map[string]*routeLimiter{},
		changed:     make(chan struct{}),
		subscribers: map[int]chan struct{}{},
		nextIndID:   1000,
	}
	_, _ = rand.Read(s.tokenKey)
	ms := cfg.machines
	if !cfg.machinesSet {
		ms = DefaultMachines()
	}
	now := cfg.now()
	for i, m := range ms {
		m := m
		m.MachineTags = append([]string(nil), m.MachineTags...)
		fillMachineDefaults(&m, i, now)
		s.machines = append(s.machines, &m)
		if m.Offboarded {
			s.seedOffboardLocked(&m, now)
		}
	}
	if cfg.inMemory {
		s.url = memoryHost
		s.client = &http.Client{Transport: memoryTransport{s}}
		return s
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.StartTLS()
	s.url = s.ts.URL
	s.client = s.ts.Client()
	return s
}

// Close shuts the server down, closing any open connections.
func (s *Server) Close() {
	if s.ts == nil {
		return
	}
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// URL returns the base URL of the MDE API, e.g. "https://127.0.0.1:41234";
// resource paths start with /api.
func (s *Server) URL() string { return s.url }

// AuthorityHost returns the Entra ID host (the same server); the authority
// for MSAL is AuthorityHost() + "/" + TenantID.
func (s *Server) AuthorityHost() string { return s.url }

// Authority returns AuthorityHost() + "/" + TenantID.
func (s *Server) Authority() string { return s.url + "/" + TenantID }

// HTTPClient returns a client that trusts the server's certificate; pass it
// to MSAL (confidential.WithHTTPClient) and to the MDE client. Each call
// returns the same client.
func (s *Server) HTTPClient() *http.Client { return s.client }

// CertificatePEM returns the server's TLS certificate in PEM form, e.g. for
// SSL_CERT_FILE in a child process (nil WithInMemory).
func (s *Server) CertificatePEM() []byte {
	if s.ts == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// Certificate returns the server's TLS certificate (nil WithInMemory).
func (s *Server) Certificate() *x509.Certificate {
	if s.ts == nil {
		return nil
	}
	return s.ts.Certificate()
}

func (s *Server) now() time.Time { return s.cfg.now() }

// notifyLocked wakes WaitFor callers and subscribers. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
	for _, ch := range s.subscribers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Tick re-evaluates the time-driven state (action progression) and wakes
// WaitFor callers and subscribers. Call it after moving a manual clock.
func (s *Server) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceAllLocked()
	s.notifyLocked()
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
