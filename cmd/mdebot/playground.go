package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/playground"
)

// playgroundUsage heads "mdebot playground -h".
const playgroundUsage = `Usage: mdebot playground [--listen ADDR] [--data DIR] [--action-time D]

Tries mdebot in a browser, with no Slack workspace and no Defender tenant:
starts a fake Slack workspace and a simulated Defender tenant on this machine,
runs the real bot against them (the same code as "mdebot serve"), and serves
a Slack-like web page. Open the URL it prints, type /mde commands as Riley the
responder, and switch to Alex or Sam (approvers) to approve them. The bot's
database and the workspace's and tenant's state live in the data directory,
so a second start finds the earlier requests. Ctrl-C stops it (exit status 0).

Flags:
`

// playgroundShutdown bounds how long the playground waits for its page and
// fakes to stop and save once the bot has stopped.
const playgroundShutdown = 10 * time.Second

// playgroundFlags are the command line of "mdebot playground".
type playgroundFlags struct {
	listen, data string
	actionTime   time.Duration
}

// playground parses its flags, starts the playground and serves the bot
// against it until ctx ends.
func (m *Main) playground(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("mdebot playground", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f playgroundFlags
	fs.StringVar(&f.listen, "listen", playground.DefaultListen, "the web page's `ADDR` (host:port; port 0 picks a free one)")
	fs.StringVar(&f.data, "data", playground.DefaultDataDir, "the `DIR` holding the bot's database and the fakes' state")
	fs.DurationVar(&f.actionTime, "action-time", 0, "how long every simulated Defender action takes (default 14s to 34s, depending on the machine)")
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, playgroundUsage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(m.Stdout)
			return exitOK
		}
		fmt.Fprintf(m.Stderr, "mdebot playground: %v\n", err)
		printUsage(m.Stderr)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(m.Stderr, "mdebot playground: unexpected argument %q (run \"mdebot playground -h\")\n", fs.Arg(0))
		return exitUsage
	}
	if err := m.runPlayground(ctx, f); err != nil {
		fmt.Fprintf(m.Stderr, "mdebot playground: %v\n", err)
		return exitFatal
	}
	return exitOK
}

// runPlayground starts the playground, prints its URL once the bot is
// connected, and serves the bot until ctx ends; it then stops the
// playground, which saves its state.
func (m *Main) runPlayground(ctx context.Context, f playgroundFlags) (err error) {
	p, err := playground.Start(ctx, playground.Options{
		Listen:     f.listen,
		DataDir:    f.data,
		ActionTime: f.actionTime,
		Logger:     newLogger(m.Stderr, config.Log{Level: slog.LevelWarn}).With("component", "playground"),
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := p.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	env := p.Env()
	cfg, err := config.Parse("playground configuration", p.ConfigYAML(), func(k string) string { return env[k] })
	if err != nil {
		return fmt.Errorf("the generated configuration: %w", err)
	}
	hc, err := trustingClient(p.Tenant().Certificate())
	if err != nil {
		return err
	}

	key, err := playgroundAuditKey(p.DataDir())
	if err != nil {
		return err
	}

	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	go func() {
		if p.Slack().WaitConnected(serveCtx, 1) == nil {
			fmt.Fprintf(m.Stdout, "mdebot playground: open %s in your browser\n", p.URL())
		}
	}()
	if err := serveConfig(serveCtx, cfg, newLogger(m.Stderr, cfg.Log), serveOptions{defenderHTTP: hc, auditKey: key}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "mdebot playground: stopped; the data stays in %s\n", p.DataDir())
	return nil
}

// trustingClient is serve's Defender HTTP client trusting only cert, the
// simulated tenant's certificate: the process's trust store cannot be
// changed once TLS was used, so SSL_CERT_FILE does not work in-process.
func trustingClient(cert *x509.Certificate) (*http.Client, error) {
	if cert == nil {
		return nil, errors.New("the simulated tenant has no certificate")
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	hc := newHTTPClient(defenderTimeout)
	t, ok := hc.Transport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("unexpected transport %T", hc.Transport)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return hc, nil
}

// playgroundAuditKey is the playground's audit key, kept in dir/audit.key
// (0600) and made at the first start, so the playground keys its audit log
// as a production bot should, without asking for a key.
func playgroundAuditKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "audit.key")
	if key, err := readSecretFile(path); err == nil {
		return key, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("playground audit key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("playground audit key: %w", err)
	}
	key := []byte(hex.EncodeToString(raw))
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("playground audit key: %w", err)
	}
	return key, nil
}
