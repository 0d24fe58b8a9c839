package main

import (
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// requestIDPattern matches a request id anywhere in a log line.
var requestIDPattern = regexp.MustCompile(`R-[0-9A-Z]{10}`)

func TestNoSecretReachesTheDebugLogOfAFullFlowAndRequestLinesCarryTheirID(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "scan ws-0042 quick alert 1234 follow-up")
	scan := w.card(ctx, "requested by")
	w.cardState(ctx, scan, ": succeeded")

	w.command(ctx, alice, "isolate ws-0042 ransomware note found")
	iso := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, iso, "mde_approve")
	w.cardState(ctx, iso, ": succeeded")

	w.command(ctx, alice, "collect ws-0042 forensic triage")
	col := w.card(ctx, "Collect investigation package")
	ready := w.reply(ctx, col, "is ready")
	w.click(ctx, alice, ready, "mde_package_link")
	link := w.ephemeral(ctx, alice, "download link")

	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	out := c.out.String()
	if !strings.Contains(out, "level=DEBUG") {
		t.Fatal("no debug line: the test does not run at debug level")
	}
	sasURL := sasFrom(t, link)
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":     slacktest.BotToken,
		"SLACK_APP_TOKEN":     slacktest.AppToken,
		"AZURE_CLIENT_SECRET": defendertest.ClientSecret,
		"an access token":     "eyJ", // every JWT starts so
		"the SAS URI":         sasURL,
		"the SAS URI's query": sasURL[strings.Index(sasURL, "?"):],
	}
	for name, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log shows %s", name)
		}
	}
	for l := range strings.Lines(out) {
		id := requestIDPattern.FindString(l)
		if id != "" && !strings.Contains(l, "request="+id) {
			t.Errorf("a line about %s lacks request=%s: %s", id, id, l)
		}
	}
}

// sasFrom returns the download link in the ephemeral message m.
func sasFrom(t *testing.T, m slacktest.Message) string {
	t.Helper()
	for _, s := range blockStrings(t, m.Blocks) {
		if i := strings.Index(s, "<https://"); i >= 0 {
			u := s[i+1:]
			u, _, _ = strings.Cut(u, "|")
			u, _, _ = strings.Cut(u, ">")
			if strings.Contains(u, "?") {
				return u
			}
		}
	}
	t.Fatalf("no link in %s", m.Blocks)
	return ""
}

func TestTheSocketStateIsLoggedOncePerChangeAtItsLevel(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)
	w.slack.DropConnection()
	w.serving(ctx, c, 2)
	// The fake counts the connection before mdebot logs it: wait for the
	// line before stopping.
	c.waitOutput(ctx, "slack socket mode connected", 2)
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var states []string
	for l := range strings.Lines(c.out.String()) {
		switch {
		case strings.Contains(l, "slack socket mode connected"):
			states = append(states, "connected "+logLevel(l))
		case strings.Contains(l, "slack socket mode down"):
			states = append(states, "down "+logLevel(l))
		}
	}
	want := []string{"connected INFO", "down WARN", "connected INFO"}
	if strings.Join(states, ", ") != strings.Join(want, ", ") {
		t.Errorf("socket state lines %q, want %q; log:\n%s", states, want, c.out.String())
	}
}

// logLevel is the level=… of a text log line.
func logLevel(line string) string {
	_, rest, _ := strings.Cut(line, "level=")
	level, _, _ := strings.Cut(rest, " ")
	return level
}
