package playground

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/slacktest"
)

func TestTheEmbeddedAssetsAreServedWithTheirContentTypes(t *testing.T) {
	p := startPlayground(t)
	for path, want := range map[string]string{
		"":           "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"blocks.js":  "text/javascript; charset=utf-8",
		"mrkdwn.js":  "text/javascript; charset=utf-8",
		"dom.js":     "text/javascript; charset=utf-8",
		"message.js": "text/javascript; charset=utf-8",
		"dialogs.js": "text/javascript; charset=utf-8",
		"app.css":    "text/css; charset=utf-8",
		"index.html": "", // redirected to /
	} {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Get(p.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want == "" {
			if res.StatusCode != http.StatusMovedPermanently {
				t.Errorf("GET /%s: %s, want a redirect", path, res.Status)
			}
			continue
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != want {
			t.Errorf("GET /%s: %s %q, want 200 %q", path, res.Status, res.Header.Get("Content-Type"), want)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET /%s: Content-Security-Policy %q", path, csp)
		}
	}
}

func TestThePageHasTheStableTestHooks(t *testing.T) {
	p := startPlayground(t)
	var all strings.Builder
	files, err := webFiles.ReadDir("web")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := webFiles.ReadFile("web/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	for _, hook := range []string{`data-testid="composer"`, `data-testid="user-switcher"`, `testid = "message"`,
		`testid = "confirm"`, `testid = "thread"`, `testid = "ephemeral"`, `testid = "modal"`, `testid = "app-home"`} {
		if !strings.Contains(all.String(), hook) {
			t.Errorf("the page lacks %s", hook)
		}
	}
	var names []string
	for _, pe := range getState(t, p, ResponderID).People {
		names = append(names, pe.RealName+" ("+pe.Role+")")
	}
	want := []string{"Riley Responder (responder)", "Alex Approver (approver)", "Sam Approver (approver)", "Morgan Manager (manager)"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("people (-want +got):\n%s", diff)
	}
}

func TestEnvAndConfigParseAsTheBotReadsThem(t *testing.T) {
	p := startPlayground(t)
	env := p.Env()
	cfg, err := config.Parse("playground.yaml", p.ConfigYAML(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config.Parse: %v\n%s", err, p.ConfigYAML())
	}
	if cfg.Storage.Path != filepath.Join(p.dataDir, DBFileName) {
		t.Errorf("storage.path = %q, want inside %q", cfg.Storage.Path, p.dataDir)
	}
	if diff := cmp.Diff([]string{ApproversID}, cfg.Slack.Approvers); diff != "" {
		t.Errorf("approvers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ChannelID}, cfg.Slack.Channels); diff != "" {
		t.Errorf("channels (-want +got):\n%s", diff)
	}
	if cfg.Defender.PollInterval != time.Second || cfg.Policy.ApprovalTTL != 30*time.Minute {
		t.Errorf("poll interval %v, approval ttl %v", cfg.Defender.PollInterval, cfg.Policy.ApprovalTTL)
	}
	if len(cfg.Policy.Rules) != 3 || cfg.Policy.Rules[0].Groups[0] != Tier0Group || cfg.Slack.AlertChannel != AlertsID ||
		cfg.Slack.Escalation != OnCallID || len(cfg.Slack.BreakGlass) != 1 {
		t.Errorf("rules %+v, alert channel %q, escalation %q, break-glass %v", cfg.Policy.Rules, cfg.Slack.AlertChannel, cfg.Slack.Escalation, cfg.Slack.BreakGlass)
	}
	if cfg.Slack.APIURL != p.Slack().APIURL() || cfg.Defender.APIURL != p.Tenant().URL() || cfg.Azure.AuthorityHost != p.Tenant().AuthorityHost() {
		t.Errorf("endpoints: %q %q %q", cfg.Slack.APIURL, cfg.Defender.APIURL, cfg.Azure.AuthorityHost)
	}
}

func TestTheCertFileLetsAClientReachTheTenant(t *testing.T) {
	p := startPlayground(t)
	pem, err := os.ReadFile(p.Env()["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("SSL_CERT_FILE holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := p.Env()["AZURE_AUTHORITY_HOST"] + "/" + p.Env()["AZURE_TENANT_ID"] + "/v2.0/.well-known/openid-configuration"
	res, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("openid-configuration: %s", res.Status)
	}
}

func TestASecondStartReusesTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	firstConfig, firstUsers := first.ConfigYAML(), getState(t, first, ResponderID).Names
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DBFileName), []byte("the bot's data"), 0o600); err != nil {
		t.Fatal(err)
	}
	second, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if diff := cmp.Diff(string(firstConfig), string(second.ConfigYAML())); diff != "" {
		t.Errorf("config changed (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(firstUsers, getState(t, second, ResponderID).Names); diff != "" {
		t.Errorf("people changed (-first +second):\n%s", diff)
	}
	if data, err := os.ReadFile(filepath.Join(dir, DBFileName)); err != nil || string(data) != "the bot's data" {
		t.Errorf("the database was not kept: %q, %v", data, err)
	}
	if pem, err := os.ReadFile(second.CertFile()); err != nil || string(pem) != string(second.Tenant().CertificatePEM()) {
		t.Errorf("the cert file does not hold the running tenant's certificate (%v)", err)
	}
}

func TestStartFailsWhenTheAddressIsTaken(t *testing.T) {
	p := startPlayground(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(p.URL(), "http://"), "/")
	if q, err := Start(t.Context(), Options{Listen: addr, DataDir: t.TempDir()}); err == nil {
		q.Close()
		t.Fatal("a second playground started on the same address")
	}
}

func TestABotMessageReachesTheStateAndTheEventStream(t *testing.T) {
	p := startPlayground(t)
	events := sseStream(t, p)
	waitSSE(t, events, "hello", "connected")
	ts := postCard(t, p)
	waitSSE(t, events, "update", string(slacktest.EventMessagePosted))
	api := botClient(p)
	ctx := testContext(t)
	if _, _, err := api.PostMessageContext(ctx, ChannelID, slack.MsgOptionText("Submitted to Defender", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, ChannelID, ResponderID, slack.MsgOptionText("Only for Riley", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ChannelID, ts, slack.MsgOptionText("Isolate: approved", false), slack.MsgOptionBlocks(cardBlocks()...)); err != nil {
		t.Fatal(err)
	}
	waitSSE(t, events, "update", string(slacktest.EventMessageUpdated))

	riley := getState(t, p, ResponderID)
	if len(riley.Messages) != 2 {
		t.Fatalf("Riley sees %d top-level messages, want the card and the ephemeral: %+v", len(riley.Messages), riley.Messages)
	}
	card, eph := riley.Messages[0], riley.Messages[1]
	if card.TS != ts || !card.IsBot || !card.Edited || len(card.Replies) != 1 || card.Replies[0].Text != "Submitted to Defender" {
		t.Errorf("card = %+v", card)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(card.Blocks, &blocks); err != nil || len(blocks) != 4 || blocks[3]["type"] != "actions" {
		t.Errorf("card blocks = %s (%v)", card.Blocks, err)
	}
	if !eph.Ephemeral || eph.Text != "Only for Riley" {
		t.Errorf("ephemeral = %+v", eph)
	}
	if alex := getState(t, p, Approver1ID); len(alex.Messages) != 1 {
		t.Errorf("Alex sees %d messages, want only the card", len(alex.Messages))
	}
	if riley.Names[ResponderID] != "Riley Responder" || riley.Names[slacktest.BotUserID] != BotName {
		t.Errorf("names = %v", riley.Names)
	}
}

func TestAClickReachesTheBotAsABlockAction(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, nil)
	ts := postCard(t, p)
	status, res := post(t, p, "/api/click", clickRequest{User: Approver1ID, Channel: ChannelID, TS: ts, ActionID: "mde_approve"})
	if status != http.StatusOK || !res.OK || res.EnvelopeID == "" {
		t.Fatalf("POST /api/click: %d %+v", status, res)
	}
	evt := nextEvent(t, bot, socketmode.EventTypeInteractive)
	cb := evt.Data.(slack.InteractionCallback)
	if cb.User.ID != Approver1ID || len(cb.ActionCallback.BlockActions) != 1 ||
		cb.ActionCallback.BlockActions[0].ActionID != "mde_approve" || cb.ActionCallback.BlockActions[0].Value != "req-1:abc" ||
		cb.Container.MessageTs != ts {
		t.Errorf("block action = %+v", cb)
	}
	if status, res := post(t, p, "/api/click", clickRequest{User: Approver1ID, Channel: ChannelID, TS: ts, ActionID: "nope"}); status != http.StatusBadRequest || res.Error == "" {
		t.Errorf("a click on a missing button: %d %+v", status, res)
	}
}

func TestAnMdeCommandReachesTheBotAndOtherTextGetsAHint(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, func(evt socketmode.Event) any {
		if evt.Type == socketmode.EventTypeSlashCommand {
			return map[string]any{"response_type": "ephemeral", "text": "*usage:* `/mde isolate <machine>`"}
		}
		return nil
	})
	status, res := post(t, p, "/api/command", commandRequest{User: ManagerID, Text: " /mde  isolate ws-0042 "})
	if status != http.StatusOK || !res.OK {
		t.Fatalf("POST /api/command: %d %+v", status, res)
	}
	cmd := nextEvent(t, bot, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
	if cmd.Command != "/mde" || cmd.Text != "isolate ws-0042" || cmd.UserID != ManagerID || cmd.ChannelID != ChannelID {
		t.Errorf("slash command = %+v", cmd)
	}
	if _, err := p.Slack().WaitMessage(testContext(t), func(m slacktest.Message) bool { return m.Ephemeral }); err != nil {
		t.Fatal(err)
	}
	if got := getState(t, p, ManagerID).Messages; len(got) != 1 || !got[0].Ephemeral {
		t.Errorf("Morgan sees %+v, want the usage ephemeral", got)
	}
	status, res = post(t, p, "/api/command", commandRequest{User: ManagerID, Text: "hello everyone"})
	if status != http.StatusOK || res.OK || res.Hint != notCommandHint {
		t.Errorf("plain text: %d %+v", status, res)
	}
}

func TestTheAPIRefusesUnknownUsersAndNonJSONBodies(t *testing.T) {
	p := startPlayground(t)
	if status, res := post(t, p, "/api/command", commandRequest{User: "U0NOBODY", Text: "/mde help"}); status != http.StatusBadRequest || res.Error == "" {
		t.Errorf("unknown user: %d %+v", status, res)
	}
	res, err := http.Post(p.URL()+"api/command", "text/plain", strings.NewReader(`{"user":"U0RESPOND1","text":"/mde help"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %s", res.Status)
	}
	if res, err := http.Get(p.URL() + "api/state?user=U0NOBODY"); err != nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("state of an unknown user: %v %v", res.Status, err)
	}
}

func TestWithoutTheBotACommandSaysItIsNotConnected(t *testing.T) {
	p, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: t.TempDir(), sendTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	status, res := post(t, p, "/api/command", commandRequest{User: ResponderID, Text: "/mde help"})
	if status != http.StatusServiceUnavailable || !strings.Contains(res.Error, "not connected") {
		t.Errorf("POST /api/command without a bot: %d %+v", status, res)
	}
}

func TestOnLoopbackThePageAnswersToLocalNamesOnly(t *testing.T) {
	p := startPlayground(t)
	for host, want := range map[string]int{
		"": http.StatusOK, "localhost:8080": http.StatusOK, "[::1]:8080": http.StatusOK,
		"rebind.example:8080": http.StatusForbidden, "10.0.0.1": http.StatusForbidden,
	} {
		req, err := http.NewRequest(http.MethodGet, p.URL()+"api/state", nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %q: %s, want %d", host, res.Status, want)
		}
	}
}
