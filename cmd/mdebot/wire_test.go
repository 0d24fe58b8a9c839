package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/bot"
	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/secret"
)

func TestACertificateCredentialAuthenticatesToEntraID(t *testing.T) {
	cert, pemData := newClientCertificate(t)
	w := newWorld(t, spec{mde: []defendertest.Option{quick, defendertest.WithCertificate(cert)}})
	certPath := filepath.Join(w.dir, "client.pem")
	w.writeFile(certPath, string(pemData))
	ctx := w.ctx()
	c := w.startWith(map[string]string{"AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": certPath},
		"serve", "--config", w.config)
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "scan ws-0042 quick cert check")
	card := w.card(ctx, "requested by")
	w.reply(ctx, card, "Defender: Succeeded")
	var assertions int
	for _, call := range w.mde.Calls() {
		if call.Route == "token" && call.Status == http.StatusOK && bytes.Contains(call.Body, []byte("client_assertion=")) {
			assertions++
		}
	}
	if assertions == 0 {
		t.Error("no token was issued for a client assertion")
	}
	if strings.Contains(c.out.String(), "PRIVATE KEY") {
		t.Error("the output shows the private key")
	}
}

func TestTheAdminListenerAnswersHealthzWhileServing(t *testing.T) {
	addr := freeAddr(t)
	w := newWorld(t, spec{admin: addr})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("GET /healthz = %d %q", resp.StatusCode, body)
	}
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

func TestABusyAdminPortIsOneClearLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	w := newWorld(t, spec{admin: ln.Addr().String()})
	ctx := w.ctx()
	c := w.start()
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	lines := c.errorLines()
	if len(lines) != 1 || !strings.Contains(lines[0], "admin.listen "+ln.Addr().String()) {
		t.Errorf("error lines %q", lines)
	}
}

func TestTheLoggerFollowsLogFormatAndLevel(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, config.Log{Format: config.LogJSON, Level: slog.LevelWarn})
	log.Info("hidden")
	log.Warn("shown", "secret", secret.New("xoxb-123"))
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	delete(got, "time")
	if diff := cmp.Diff(map[string]any{"level": "WARN", "msg": "shown", "secret": "[redacted]"}, got); diff != "" {
		t.Error(diff)
	}

	buf.Reset()
	newLogger(&buf, config.Log{Format: config.LogText, Level: slog.LevelDebug}).Debug("seen")
	if !strings.Contains(buf.String(), "level=DEBUG msg=seen") {
		t.Errorf("text log %q", buf.String())
	}
}

func TestRunErrorNamesTheAppTokenForInvalidAuthOnly(t *testing.T) {
	if runError(nil) != nil {
		t.Error("runError(nil) != nil")
	}
	if err := runError(fmt.Errorf("%w: invalid_auth", bot.ErrInvalidAuth)); !strings.HasPrefix(err.Error(), "Slack refused SLACK_APP_TOKEN (invalid_auth)") {
		t.Errorf("runError(ErrInvalidAuth) = %q", err)
	}
	if err := runError(io.EOF); err != io.EOF {
		t.Errorf("runError(EOF) = %v", err)
	}
	// The bot token where the app token belongs: Slack's own code is named.
	refused := fmt.Errorf("%w: %w", bot.ErrInvalidAuth, slack.SlackErrorResponse{Err: "not_allowed_token_type"})
	if err := runError(refused); !strings.HasPrefix(err.Error(), "Slack refused SLACK_APP_TOKEN (not_allowed_token_type)") {
		t.Errorf("runError(not_allowed_token_type) = %q", err)
	}
}

// newClientCertificate returns a self-signed RSA certificate and the PEM
// file holding it and its key, as AZURE_CLIENT_CERTIFICATE_PATH expects.
func newClientCertificate(t *testing.T) (*x509.Certificate, []byte) {
	t.Helper()
	cc, err := defendertest.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return cc.Cert, cc.PEM
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestLookupsPerMinuteZeroTurnsTheBotsLimitOffAndOtherValuesPassThrough(t *testing.T) {
	for in, want := range map[int]int{0: -1, 1: 1, 20: 20, 6000: 6000} {
		if got := lookupsPerMinute(in); got != want {
			t.Errorf("lookupsPerMinute(%d) = %d, want %d", in, got, want)
		}
	}
}
