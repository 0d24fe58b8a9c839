package playground

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// Defaults of Options.
const (
	DefaultListen  = "127.0.0.1:8080"
	DefaultDataDir = "./mdebot-playground"
)

// Files the playground keeps in DataDir.
const (
	// CertFileName holds the simulated tenant's TLS certificate (PEM), rewritten
	// at every start; SSL_CERT_FILE points at it.
	CertFileName = "tenant-cert.pem"
	// DBFileName is the bot's bbolt database (storage.path).
	DBFileName = "mdebot.db"
)

// Options configures Start. Zero fields take the defaults.
type Options struct {
	// Listen is the web page's host:port (DefaultListen); port 0 picks one.
	// On a loopback address the page answers to localhost names only.
	Listen string
	// DataDir holds the bot's database and the tenant's certificate
	// (DefaultDataDir); it is created if missing.
	DataDir string
	// Logger receives the playground's own log lines (default: discarded).
	Logger *slog.Logger
	// Now is the clock of the fake workspace and the tenant (default time.Now).
	Now func() time.Time
	// ActionTime, when set, is how long every action takes in the simulated
	// tenant from creation to its end (a third of it Pending), in place of
	// the believable 14 to 34 seconds that depend on the machine.
	ActionTime time.Duration

	// sendTimeout overrides how long an API call waits for the bot's socket.
	sendTimeout time.Duration
}

// Playground is a running fake Slack workspace, simulated Defender tenant and
// web page. Create it with Start and stop it with Close.
type Playground struct {
	slack   *slacktest.Server
	tenant  *defendertest.Server
	ln      net.Listener
	web     *http.Server
	dataDir string
	log     *slog.Logger

	mu        sync.Mutex
	dismissed map[string]bool // modal view IDs the user closed in the page
	changed   chan struct{}   // closed and replaced by nudge

	sendTimeout time.Duration // how long an API call waits for the bot's socket

	saveMu   sync.Mutex    // serialises save
	saveStop chan struct{} // closed by Close to stop saving
	saveDone chan struct{} // closed when saving has stopped

	closeOnce sync.Once
	serveErr  chan error
}

// Start starts the fake workspace, the simulated tenant and the web page on
// o.Listen. ctx bounds the start only; the playground runs until Close.
func Start(ctx context.Context, o Options) (*Playground, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting the playground: %w", err)
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.sendTimeout == 0 {
		o.sendTimeout = sendTimeout
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("playground data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("playground data directory: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("playground web page: %w", err)
	}
	p := &Playground{
		slack:     slacktest.NewServer(append(slackOptions(), slacktest.WithClock(o.Now), slacktest.WithRateLimits(slacktest.SlackLimits()))...),
		tenant:    defendertest.NewServer(tenantOptions(o.Now, o.ActionTime)...),
		ln:        ln,
		dataDir:   dir,
		log:       o.Logger,
		dismissed: map[string]bool{},
		changed:   make(chan struct{}),

		sendTimeout: o.sendTimeout,
		serveErr:    make(chan error, 1),
	}
	p.tenant.QuarantineFails(SignedFileSHA1, signedFileError)
	if err := p.restore(); err != nil {
		_ = p.Close()
		return nil, err
	}
	p.startSaving()
	if err := writeFileAtomic(p.CertFile(), p.tenant.CertificatePEM()); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("writing the tenant certificate: %w", err)
	}
	p.web = &http.Server{Handler: p.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)}
	go func() { p.serveErr <- p.web.Serve(ln) }()
	p.log.Info("playground started", "url", p.URL(), "slack_api", p.slack.APIURL(), "tenant", p.tenant.URL(), "data_dir", dir)
	return p, nil
}

// URL returns the web page's http:// URL.
func (p *Playground) URL() string {
	return "http://" + p.ln.Addr().String() + "/"
}

// CertFile returns the path of the PEM file holding the tenant's certificate.
func (p *Playground) CertFile() string {
	return filepath.Join(p.dataDir, CertFileName)
}

// Slack returns the fake workspace, for tests and in-process wiring.
func (p *Playground) Slack() *slacktest.Server { return p.slack }

// Tenant returns the simulated Defender tenant, for tests and in-process wiring.
func (p *Playground) Tenant() *defendertest.Server { return p.tenant }

// Env returns the environment the bot needs to run against the playground:
// the fake workspace's tokens and API URL, the tenant's app credentials,
// authority host and API URL, and SSL_CERT_FILE naming the tenant's
// certificate (for a bot in a child process).
func (p *Playground) Env() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN":      slacktest.AppToken,
		"SLACK_BOT_TOKEN":      slacktest.BotToken,
		"SLACK_API_URL":        p.slack.APIURL(),
		"AZURE_TENANT_ID":      defendertest.TenantID,
		"AZURE_CLIENT_ID":      defendertest.ClientID,
		"AZURE_CLIENT_SECRET":  defendertest.ClientSecret,
		"AZURE_AUTHORITY_HOST": p.tenant.AuthorityHost(),
		"MDE_API_URL":          p.tenant.URL(),
		"SSL_CERT_FILE":        p.CertFile(),
	}
}

// Close stops the web page, saves the workspace's and the tenant's state to
// DataDir, and stops them. It is safe to call more than once.
func (p *Playground) Close() error {
	var err error
	p.closeOnce.Do(func() {
		if p.web != nil {
			err = p.web.Close()
			if serr := <-p.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
				err = errors.Join(err, serr)
			}
		} else {
			err = p.ln.Close()
		}
		p.stopSaving()
		if p.saveStop != nil {
			err = errors.Join(err, p.save())
		}
		p.slack.Close()
		p.tenant.Close()
	})
	if err != nil {
		return fmt.Errorf("closing the playground: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data through a temporary file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
