package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// childEnv, set to 1, makes the test binary run main() (see TestMain).
const childEnv = "MDEBOT_TEST_CHILD"

// waitTimeout bounds every wait of the end-to-end tests; it is a deadlock
// guard, not a timing assertion (the race detector on two cores is slow).
const waitTimeout = 30 * time.Second

// The fake workspace's people and channel.
const (
	channel = "C0SECOPS01"
	alice   = "U0ALICE001" // requests
	bob     = "U0BOB00001" // approves
	carol   = "U0CAROL001" // approves
	mallory = "U0MALLORY1" // may request, may not approve

	defaultTenant = defendertest.TenantID
)

// spec describes a world: the policy knobs a test changes and the fake
// MDE's options.
type spec struct {
	approvers []string // default bob and carol
	ttl       string   // policy.approval_ttl; default 10m
	admin     string   // admin.listen; default off
	// backupToken, if set, is written to a 0600 file that
	// admin.backup_token_file names.
	backupToken string
	mde         []defendertest.Option
	slack       []slacktest.Option // added to the fake Slack's (WithRateLimits)
	// rules, if set, is the YAML list of policy.rules, indented for it.
	rules string
	// etcd, if set, keeps the data in the test binary's embedded etcd
	// (storage.backend: etcd) under a prefix of the world's own.
	etcd bool
}

// rulesYAML is the policy.rules key holding rules, or nothing.
func rulesYAML(rules string) string {
	if rules == "" {
		return ""
	}
	return "  rules:\n" + rules
}

// world is a fake Slack workspace, a fake MDE tenant, a configuration file
// and a database path: everything a child mdebot needs.
type world struct {
	t      *testing.T
	dir    string
	slack  *slacktest.Server
	mde    *defendertest.Server
	config string
	db     string
	env    map[string]string
	// etcdPrefix is the world's prefix in the embedded etcd (spec.etcd).
	etcdPrefix string
}

// newWorld makes t parallel (each world has its own fakes, files and
// child processes) and returns the world sp describes.
func newWorld(t *testing.T, sp spec) *world {
	t.Helper()
	t.Parallel()
	if sp.approvers == nil {
		sp.approvers = []string{bob, carol}
	}
	if sp.ttl == "" {
		sp.ttl = "10m"
	}
	users := []slacktest.User{
		{ID: alice, Name: "alice", RealName: "Alice Requester"},
		{ID: bob, Name: "bob", RealName: "Bob Approver"},
		{ID: carol, Name: "carol", RealName: "Carol Approver"},
		{ID: mallory, Name: "mallory", RealName: "Mallory Bystander"},
	}
	for _, a := range sp.approvers {
		if a != bob && a != carol {
			users = append(users, slacktest.User{ID: a, Name: strings.ToLower(a)})
		}
	}
	w := &world{t: t, dir: t.TempDir()}
	w.slack = slacktest.NewServer(append([]slacktest.Option{slacktest.WithUsers(users...),
		slacktest.WithChannels(slacktest.Channel{ID: channel, Name: "secops"})}, sp.slack...)...)
	t.Cleanup(w.slack.Close)
	w.mde = defendertest.NewServer(sp.mde...)
	t.Cleanup(w.mde.Close)

	pem := filepath.Join(w.dir, "fake-ca.pem")
	w.writeFile(pem, string(w.mde.CertificatePEM()))
	w.db = filepath.Join(w.dir, "mdebot.db")
	w.config = filepath.Join(w.dir, "mdebot.yaml")
	tokenFile := ""
	if sp.backupToken != "" {
		tokenFile = filepath.Join(w.dir, "backup.token")
		w.writeFile(tokenFile, sp.backupToken+"\n")
	}
	store := "storage:\n  path: " + w.db + "\n"
	ha := ""
	if sp.etcd {
		w.etcdPrefix = newEtcdPrefix()
		store = fmt.Sprintf("storage:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %s\n", sharedEtcd(t), w.etcdPrefix)
		ha = "ha:\n  lease_ttl: 1s\n"
	}
	w.writeFile(w.config, store+fmt.Sprintf(`slack:
  channels: [%s]
  approvers: [%s]
defender:
  poll_interval: 100ms
policy:
  approval_ttl: %s
%sadmin:
  listen: "%s"
  backup_token_file: "%s"
log:
  format: text
  level: debug
`, channel, strings.Join(sp.approvers, ", "), sp.ttl, rulesYAML(sp.rules), sp.admin, tokenFile)+ha)

	w.env = map[string]string{
		childEnv:               "1",
		"PATH":                 os.Getenv("PATH"),
		"HOME":                 w.dir,
		"GORACE":               os.Getenv("GORACE"),
		"SSL_CERT_FILE":        pem,
		"SLACK_APP_TOKEN":      slacktest.AppToken,
		"SLACK_BOT_TOKEN":      slacktest.BotToken,
		"SLACK_API_URL":        strings.TrimSuffix(w.slack.APIURL(), "/"), // mdebot adds the slash
		"AZURE_TENANT_ID":      defendertest.TenantID,
		"AZURE_CLIENT_ID":      defendertest.ClientID,
		"AZURE_CLIENT_SECRET":  defendertest.ClientSecret,
		"AZURE_AUTHORITY_HOST": w.mde.AuthorityHost(),
		"MDE_API_URL":          w.mde.URL(),
	}
	return w
}

func (w *world) writeFile(path, content string) {
	w.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// ctx is a context for one test's waits.
func (w *world) ctx() context.Context {
	ctx, cancel := context.WithTimeout(w.t.Context(), waitTimeout)
	w.t.Cleanup(cancel)
	return ctx
}

// child is mdebot running in a child process (this test binary, see
// TestMain), with stdout and stderr captured.
type child struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	code int
}

// start runs "mdebot serve --config <world's config>" in a child process.
func (w *world) start() *child {
	return w.startWith(nil, "serve", "--config", w.config)
}

// startWith runs mdebot with args, the world's environment and override's
// changes (an empty value unsets a variable).
func (w *world) startWith(override map[string]string, args ...string) *child {
	w.t.Helper()
	merged := maps.Clone(w.env)
	maps.Copy(merged, override)
	var env []string
	for k, v := range merged {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	c := &child{t: w.t, out: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], args...)
	c.cmd.Env = env
	c.cmd.Stdout = c.out
	c.cmd.Stderr = c.out
	if err := c.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		defer close(c.done)
		err := c.cmd.Wait()
		c.code = c.cmd.ProcessState.ExitCode()
		if c.code < 0 && err != nil {
			c.code = -1 // killed by a signal
		}
	}()
	w.t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if w.t.Failed() {
			w.t.Logf("mdebot (pid %d) output:\n%s", c.cmd.Process.Pid, c.out.String())
		}
	})
	return c
}

// wait waits for the child to exit and returns its exit code.
func (c *child) wait(ctx context.Context) int {
	c.t.Helper()
	select {
	case <-c.done:
		return c.code
	case <-ctx.Done():
		c.t.Fatalf("mdebot did not exit: %v\n%s", ctx.Err(), c.out.String())
		return 0
	}
}

// signal sends sig to the child.
// waitOutput waits until c has written want in n lines of its output.
func (c *child) waitOutput(ctx context.Context, want string, n int) {
	c.t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for strings.Count(c.out.String(), want) < n {
		select {
		case <-ctx.Done():
			c.t.Fatalf("%d lines with %q never came; output:\n%s", n, want, c.out.String())
		case <-tick.C:
		}
	}
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// errorLines returns the lines of the output that mdebot wrote as errors
// for the operator ("mdebot: …"), not log lines.
func (c *child) errorLines() []string {
	var lines []string
	for l := range strings.Lines(c.out.String()) {
		if strings.HasPrefix(l, "mdebot: ") {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	return lines
}

// syncBuffer is a bytes.Buffer safe for the child's two streams and the
// test's reads.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at each write
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

// waitFor waits until the output contains want.
func (b *syncBuffer) waitFor(ctx context.Context, want string) error {
	for {
		b.mu.Lock()
		found := strings.Contains(b.buf.String(), want)
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// command types "/mde text" as user in the channel.
func (w *world) command(ctx context.Context, user, text string) {
	w.t.Helper()
	env, err := w.slack.SlashCommand(ctx, user, channel, "/mde", text)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.slack.WaitAck(ctx, env.ID); err != nil {
		w.t.Fatalf("/mde %s was not acked: %v", text, err)
	}
}

// click clicks the button actionID of msg as user and waits for the ack.
func (w *world) click(ctx context.Context, user string, msg slacktest.Message, actionID string) {
	w.t.Helper()
	env, err := w.slack.ClickButton(ctx, user, msg.Ref(), actionID, "")
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.slack.WaitAck(ctx, env.ID); err != nil {
		w.t.Fatalf("click on %s was not acked: %v", actionID, err)
	}
}

// card waits for the bot's request card (a channel message, not a reply)
// whose fallback text contains want.
func (w *world) card(ctx context.Context, want string) slacktest.Message {
	w.t.Helper()
	m, err := w.slack.WaitMessage(ctx, func(m slacktest.Message) bool {
		return isCard(m) && strings.Contains(m.Text, want)
	})
	if err != nil {
		w.t.Fatalf("no request card with %q: %v\nmessages: %s", want, err, dump(w.slack.AllMessages()))
	}
	return m
}

func isCard(m slacktest.Message) bool {
	return m.User == slacktest.BotUserID && m.ThreadTS == "" && !m.Ephemeral && !m.Deleted &&
		bytes.Contains(m.Blocks, []byte("mde_card_header"))
}

// cardState waits until card's current text contains want (it is edited in
// place as the request moves).
func (w *world) cardState(ctx context.Context, card slacktest.Message, want string) slacktest.Message {
	w.t.Helper()
	m, err := w.slack.WaitMessage(ctx, func(m slacktest.Message) bool {
		return m.Channel == card.Channel && m.TS == card.TS && strings.Contains(m.Text, want)
	})
	if err != nil {
		cur, _ := w.slack.Message(card.Ref())
		w.t.Fatalf("card never said %q: %v\ncard now: %q", want, err, cur.Text)
	}
	return m
}

// cardShows waits until a string in card's current blocks contains want.
func (w *world) cardShows(ctx context.Context, card slacktest.Message, want string) {
	w.t.Helper()
	_, err := w.slack.WaitMessage(ctx, func(m slacktest.Message) bool {
		if m.Channel != card.Channel || m.TS != card.TS {
			return false
		}
		var v any
		if json.Unmarshal(m.Blocks, &v) != nil {
			return false
		}
		return strings.Contains(strings.Join(blockStrings(w.t, m.Blocks), "\n"), want)
	})
	if err != nil {
		cur, _ := w.slack.Message(card.Ref())
		w.t.Fatalf("card never showed %q: %v\ncard now: %s", want, err, cur.Blocks)
	}
}

// reply waits for a reply in card's thread that contains want.
func (w *world) reply(ctx context.Context, card slacktest.Message, want string) slacktest.Message {
	w.t.Helper()
	m, err := w.slack.WaitMessage(ctx, func(m slacktest.Message) bool {
		return m.Channel == card.Channel && m.ThreadTS == card.TS && strings.Contains(m.Text, want)
	})
	if err != nil {
		w.t.Fatalf("no reply with %q in the card's thread: %v\nthread: %s", want, err, dump(w.slack.Thread(card.Channel, card.TS)))
	}
	return m
}

// replies counts the replies in card's thread that contain want.
func (w *world) replies(card slacktest.Message, want string) int {
	n := 0
	for _, m := range w.slack.Thread(card.Channel, card.TS) {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// ephemeral waits for a message only user sees that contains want.
func (w *world) ephemeral(ctx context.Context, user, want string) slacktest.Message {
	w.t.Helper()
	m, err := w.slack.WaitMessage(ctx, func(m slacktest.Message) bool {
		return m.Ephemeral && m.VisibleTo == user && strings.Contains(m.Text, want)
	})
	if err != nil {
		w.t.Fatalf("%s never saw %q: %v\nmessages: %s", user, want, err, dump(w.slack.AllMessages()))
	}
	return m
}

// action returns the only machine action MDE holds.
func (w *world) action() defendertest.Action {
	w.t.Helper()
	as := w.mde.Actions()
	if len(as) != 1 {
		w.t.Fatalf("MDE holds %d actions, want 1: %+v", len(as), as)
	}
	return as[0]
}

// dump formats messages for a failure message.
func dump(ms []slacktest.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  [%s ts=%s thread=%s user=%s eph=%v to=%s] %q", m.Channel, m.TS, m.ThreadTS, m.User, m.Ephemeral, m.VisibleTo, m.Text)
	}
	return b.String()
}

// blockStrings returns every string in a message's blocks, decoded from
// JSON (so "<" is "<", whatever escaping the encoder chose).
func blockStrings(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// errExited is returned when the child exits while a test waits for it to
// serve.
var errExited = errors.New("mdebot exited")

// serving waits until the child's n-th Socket Mode connection (counting
// from 1 in this world) is up.
func (w *world) serving(ctx context.Context, c *child, n int) {
	w.t.Helper()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-c.done:
			cancel(errExited)
		case <-ctx.Done():
		}
	}()
	if err := w.slack.WaitConnected(ctx, n); err != nil {
		w.t.Fatalf("mdebot did not connect to Slack: %v (%v)\n%s", err, context.Cause(ctx), c.out.String())
	}
}
