package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/storage"
)

func TestSIGTERMStopsServeGracefullyWithExitZero(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", code, c.out.String())
	}
	if lines := c.errorLines(); len(lines) != 0 {
		t.Errorf("error lines after a graceful stop: %q", lines)
	}
	if !strings.Contains(c.out.String(), "mdebot stopped") {
		t.Errorf("no stop log line:\n%s", c.out.String())
	}
	assertNoSecrets(t, w, c)
	db, err := storage.Open(w.db, storage.Options{}) // the lock was released
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestSIGINTStopsServeGracefullyToo(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	c.signal(syscall.SIGINT)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", code, c.out.String())
	}
}

func TestALockedDatabaseIsOneClearLineNamingTheFile(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	held, err := storage.Open(w.db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	c := w.start()
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	lines := c.errorLines()
	if len(lines) != 1 || !strings.Contains(lines[0], w.db) || !strings.Contains(lines[0], "in use by another process") {
		t.Fatalf("error lines %q, want one naming %s", lines, w.db)
	}
	if w.slack.Connections() != 0 {
		t.Error("mdebot connected to Slack with a database it could not open")
	}
}

func TestAWrongAppTokenIsOneClearLine(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.startWith(map[string]string{"SLACK_APP_TOKEN": "xapp-1-A0FAKEAPP-1-wrong"}, "serve", "--config", w.config)
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	want := []string{"mdebot: Slack refused SLACK_APP_TOKEN (invalid_auth): set it to the app-level token (xapp-…) with the connections:write scope"}
	if diff := cmp.Diff(want, c.errorLines()); diff != "" {
		t.Errorf("error lines (-want +got):\n%s", diff)
	}
	assertNoSecrets(t, w, c)
}

func TestAWrongBotTokenIsOneClearLine(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.startWith(map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-wrong"}, "serve", "--config", w.config)
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	want := []string{"mdebot: Slack refused SLACK_BOT_TOKEN (invalid_auth): set it to the app's bot token (xoxb-…)"}
	if diff := cmp.Diff(want, c.errorLines()); diff != "" {
		t.Errorf("error lines (-want +got):\n%s", diff)
	}
}

func TestMissingEnvironmentVariablesAreNamedByTheBinary(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.startWith(map[string]string{"SLACK_BOT_TOKEN": "", "AZURE_CLIENT_ID": ""}, "serve", "--config", w.config)
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	out := c.out.String()
	for _, name := range []string{"environment: SLACK_BOT_TOKEN is not set", "environment: AZURE_CLIENT_ID is not set", "mdebot: 2 configuration problems"} {
		if !strings.Contains(out, name) {
			t.Errorf("output does not say %q:\n%s", name, out)
		}
	}
}

// assertNoSecrets fails if the child's output holds a secret.
func assertNoSecrets(t *testing.T, w *world, c *child) {
	t.Helper()
	out := c.out.String()
	for _, k := range []string{"SLACK_BOT_TOKEN", "AZURE_CLIENT_SECRET"} {
		if v := w.env[k]; v != "" && strings.Contains(out, v) {
			t.Errorf("the output shows %s", k)
		}
	}
	if strings.Contains(out, "fakeapptoken") || strings.Contains(out, "xapp-1-A0FAKEAPP-1-wrong") {
		t.Error("the output shows SLACK_APP_TOKEN")
	}
}

func TestASlackAPIURLThatIsNotTheWebAPIIsOneClearLine(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	wrong := w.env["SLACK_API_URL"] + "/nope/"
	c := w.startWith(map[string]string{"SLACK_API_URL": wrong}, "serve", "--config", w.config)
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	lines := c.errorLines()
	if len(lines) != 1 || !strings.Contains(lines[0], "SLACK_API_URL "+wrong+" answered 404") {
		t.Errorf("error lines %q", lines)
	}
}

func TestAWrongClientSecretIsOneClearLineWithEntrasReason(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.startWith(map[string]string{"AZURE_CLIENT_SECRET": "wrong~secret"}, "serve", "--config", w.config)
	if code := c.wait(ctx); code != exitFatal {
		t.Fatalf("exit %d, want %d", code, exitFatal)
	}
	want := []string{"mdebot: Entra ID refused the Defender credential (invalid_client): AADSTS7000215: Invalid client secret provided. " +
		"Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" +
		defendertest.ClientID + "'.; check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"}
	if diff := cmp.Diff(want, c.errorLines()); diff != "" {
		t.Errorf("error lines (-want +got):\n%s", diff)
	}
	if strings.Contains(c.out.String(), "wrong~secret") {
		t.Error("the output shows the secret")
	}
}

func TestAnUnreachableEntraIDIsNotFatal(t *testing.T) {
	w := newWorld(t, spec{})
	ctx := w.ctx()
	c := w.startWith(map[string]string{"AZURE_AUTHORITY_HOST": "https://" + freeAddr(t)}, "serve", "--config", w.config)
	w.serving(ctx, c, 1)
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	if !strings.Contains(c.out.String(), "cannot get a Defender token from Entra ID now") {
		t.Errorf("no log line about Entra ID:\n%s", c.out.String())
	}
}
