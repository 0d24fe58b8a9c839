package bot

import (
	"bytes"
	"context"
	"encoding/json"

	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
	"github.com/mdebot/mdebot/storage"
)

// The people and places of the fake workspace.
const (
	responder     = "U0RESP"
	approver1     = "U0APPR1"
	approver2     = "U0APPR2"
	outsider      = "U0OUTSIDE"
	approverSet   = "S0APPROVERS"
	socChannel    = "C0SOC"
	elsewhere     = "C0RANDOM"
	alertsChannel = "C0ALERTS"
	ws42          = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
	harnessWait   = 20 * time.Second
)

// harness runs a Bot against the fake Slack and the fake MDE, with a real
// bbolt store in a temporary directory.
type harness struct {
	t     testing.TB
	slack *slacktest.Server
	mde   *defendertest.Server
	def   *defender.Client
	db    *storage.DB
	svc   *approvals.Service
	logs  *syncBuffer

	offset atomic.Int64 // added to time.Now for the approvals clock
	cfg    harnessConfig

	mu     sync.Mutex
	bot    *Bot // the running one
	cancel context.CancelFunc
	done   chan error
	runs   int
}

type harnessConfig struct {
	mdeOpts  []defendertest.Option
	policy   approvals.Policy
	workers  int
	poll     time.Duration
	auditors []string
	observer Observer
	// groups, when set, resolves the user groups instead of Slack.
	groups approvals.Groups
	// wrapStore, when set, wraps the store approvals uses (to inject
	// failures).
	wrapStore func(approvals.Store) approvals.Store
	// defOpts are added to the bot's Defender client options (budgets).
	defOpts []defender.Option
	// mdeTransport, when set, wraps the bot's transport to the fake MDE.
	mdeTransport func(http.RoundTripper) http.RoundTripper
	// lookupWait is Options.LookupBudgetWait.
	lookupWait time.Duration
	// slackOpts are added to the fake Slack's options (WithRateLimits);
	// slackLimits is Options.SlackLimits.
	slackOpts   []slacktest.Option
	slackLimits SlackLimits
	// slackHTTP, when set, is the bot's HTTP client to the fake Slack.
	slackHTTP *http.Client
	// slackObserver is Options.SlackObserver.
	slackObserver SlackObserver
	// alertChannel is Options.AlertChannel.
	alertChannel string
	// escalation is Options.Escalation.
	escalation string
	// outbox, when set, is Options.Outbox instead of the store (to
	// simulate a crash right after a change, see crashingOutbox).
	outbox approvals.Outbox
	// dryRun is Options.DryRun.
	dryRun bool
	// inbox, when set, is Options.Inbox: the bot has no socket, and the
	// test starts the replicas' relays.
	inbox Inbox
	// stillLeads is Options.StillLeads.
	stillLeads func(context.Context) error
}

// newHarness starts the fakes and the store; start runs the bot.
func newHarness(t testing.TB, configure ...func(*harnessConfig)) *harness {
	t.Helper()
	cfg := harnessConfig{
		mdeOpts: []defendertest.Option{defendertest.WithProgress(50*time.Millisecond, 50*time.Millisecond), defendertest.WithRateLimits(0, 0)},
		policy: approvals.Policy{
			Approvers: []string{approverSet},
			Channels:  []string{socChannel},
			TTL:       10 * time.Minute,
		},
		poll: 50 * time.Millisecond,
		// The fake enforces no limits unless a test asks: pace lightly.
		slackLimits: SlackLimits{PostEvery: time.Millisecond},
	}
	for _, c := range configure {
		c(&cfg)
	}
	h := &harness{t: t, logs: &syncBuffer{}, cfg: cfg}
	slackOpts := append([]slacktest.Option{
		slacktest.WithUsers(
			slacktest.User{ID: responder, Name: "rita", RealName: "Rita Responder"},
			slacktest.User{ID: approver1, Name: "alan", RealName: "Alan Approver"},
			slacktest.User{ID: approver2, Name: "anna", RealName: "Anna Approver"},
			slacktest.User{ID: outsider, Name: "otto", RealName: "Otto Outsider"},
		),
		slacktest.WithChannels(slacktest.Channel{ID: socChannel, Name: "soc"}, slacktest.Channel{ID: elsewhere, Name: "random"},
			slacktest.Channel{ID: alertsChannel, Name: "sec-alerts"}),
		slacktest.WithUserGroups(slacktest.UserGroup{ID: approverSet, Handle: "soc-approvers", Name: "SOC approvers", Members: []string{approver1, approver2}}),
	}, cfg.slackOpts...)
	h.slack = slacktest.NewServer(slackOpts...)
	t.Cleanup(h.slack.Close)
	h.mde = defendertest.NewServer(cfg.mdeOpts...)
	t.Cleanup(h.mde.Close)

	ts, err := defender.NewMSALTokenSource(defender.MSALConfig{
		TenantID:      defendertest.TenantID,
		ClientID:      defendertest.ClientID,
		Credential:    defender.SecretCredential(defendertest.ClientSecret),
		AuthorityHost: h.mde.AuthorityHost(),
		HTTPClient:    h.mde.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	hc := h.mde.HTTPClient()
	if cfg.mdeTransport != nil {
		hc = &http.Client{Transport: cfg.mdeTransport(hc.Transport), Timeout: hc.Timeout}
	}
	h.def, err = defender.NewClient(append([]defender.Option{defender.WithBaseURL(h.mde.URL()), defender.WithHTTPClient(hc),
		defender.WithTokenSource(ts), defender.WithoutRateLimits()}, cfg.defOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.db, err = storage.Open(filepath.Join(t.TempDir(), "mdebot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.db.Close() })
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	groups := cfg.groups
	if groups == nil {
		groups = NewGroups(slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL())), time.Minute, logger)
	}
	policy := cfg.policy
	policy.Auditors = cfg.auditors
	var store approvals.Store = h.db
	if cfg.wrapStore != nil {
		store = cfg.wrapStore(h.db)
	}
	h.svc, err = approvals.New(approvals.Options{
		Policy:  policy,
		Store:   store,
		Groups:  groups,
		Now:     h.now,
		Logger:  logger,
		History: h.db,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	t.Cleanup(h.stop)
	return h
}

// now is the approvals clock: the wall clock plus what advance added.
func (h *harness) now() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) }

// advance moves the approvals clock (expiry) forward.
func (h *harness) advance(d time.Duration) { h.offset.Add(int64(d)) }

// start runs a new Bot on the harness's store and waits for its socket.
func (h *harness) start() {
	h.t.Helper()
	cfg := h.cfg
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))
	slackOpts := []slack.Option{slack.OptionAPIURL(h.slack.APIURL())}
	if cfg.slackHTTP != nil {
		slackOpts = append(slackOpts, slack.OptionHTTPClient(cfg.slackHTTP))
	}
	var outbox approvals.Outbox = h.db
	if cfg.outbox != nil {
		outbox = cfg.outbox
	}
	socket := socketmode.New(api)
	if cfg.inbox != nil {
		socket = nil
	}
	b, err := New(Options{
		Slack:         slack.New(slacktest.BotToken, slackOpts...),
		Socket:        socket,
		Inbox:         cfg.inbox,
		Approvals:     h.svc,
		History:       h.db,
		Defender:      h.def,
		PollInterval:  cfg.poll,
		SweepInterval: 50 * time.Millisecond,
		Workers:       cfg.workers,
		Logger:        slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:           h.now,
		Marks:         h.db,
		Outbox:        outbox,
		DryRun:        cfg.dryRun,
		Observer:      cfg.observer,
		SlackLimits:   cfg.slackLimits,
		SlackObserver: cfg.slackObserver,

		LookupBudgetWait: cfg.lookupWait,
		AlertChannel:     cfg.alertChannel,
		Escalation:       cfg.escalation,
		StillLeads:       cfg.stillLeads,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	h.mu.Lock()
	h.cancel, h.done = cancel, done
	h.bot = b
	h.runs++
	n := h.runs
	h.mu.Unlock()
	if cfg.inbox != nil {
		return // no socket of its own: the test's relays connect
	}
	wctx, wcancel := context.WithTimeout(context.Background(), harnessWait)
	defer wcancel()
	if err := h.slack.WaitConnected(wctx, n); err != nil {
		h.t.Fatalf("bot did not connect: %v", err)
	}
}

// stop ends Run and checks it returned nil.
func (h *harness) stop() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel = nil
	h.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			h.t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(harnessWait):
		h.t.Error("Run did not return after cancel")
	}
}

// restart stops the bot and starts a new one on the same store.
func (h *harness) restart() {
	h.stop()
	h.start()
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(h.t.Context(), harnessWait)
	h.t.Cleanup(cancel)
	return ctx
}

// slash types /mde text as user in channel and waits for the ack.
func (h *harness) slash(user, channel, text string) {
	h.t.Helper()
	ctx := h.ctx()
	env, err := h.slack.SlashCommand(ctx, user, channel, "/mde", text)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, env.ID); err != nil {
		h.t.Fatal(err)
	}
}

// click clicks actionID in msg as user and waits for the ack.
func (h *harness) click(user string, msg slacktest.Message, actionID string) slacktest.Ack {
	h.t.Helper()
	ctx := h.ctx()
	env, err := h.slack.ClickButton(ctx, user, msg.Ref(), actionID, "")
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(ctx, env.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return ack
}

// wait returns the first message match accepts.
func (h *harness) wait(what string, match func(slacktest.Message) bool) slacktest.Message {
	h.t.Helper()
	m, err := h.slack.WaitMessage(h.ctx(), match)
	if err != nil {
		h.t.Fatalf("waiting for %s: %v\nmessages: %s\nlog:\n%s", what, err, h.dump(), lastLines(h.logs.String(), 15))
	}
	return m
}

// card waits for the request card (the first top-level bot message in the
// SOC channel) whose text contains want.
func (h *harness) card(want string) slacktest.Message {
	h.t.Helper()
	return h.wait("card with "+want, func(m slacktest.Message) bool {
		return m.Channel == socChannel && m.ThreadTS == "" && !m.Ephemeral && m.User == slacktest.BotUserID && strings.Contains(m.Text, want)
	})
}

// reply waits for a thread reply under card whose text contains want.
func (h *harness) reply(card slacktest.Message, want string) slacktest.Message {
	h.t.Helper()
	return h.wait("thread reply with "+want, func(m slacktest.Message) bool {
		return m.ThreadTS == card.TS && strings.Contains(m.Text, want)
	})
}

// ephemeral waits for an ephemeral message to user containing want.
func (h *harness) ephemeral(user, want string) slacktest.Message {
	h.t.Helper()
	return h.wait("ephemeral to "+user+" with "+want, func(m slacktest.Message) bool {
		return m.Ephemeral && m.VisibleTo == user && strings.Contains(m.Text+string(m.Blocks), want)
	})
}

// only returns the one request in the store.
func (h *harness) only() *approvals.Request {
	h.t.Helper()
	page, err := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 10})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(page.Requests) != 1 {
		h.t.Fatalf("%d requests stored, want 1", len(page.Requests))
	}
	return page.Requests[0]
}

// audit returns the audit events of request id.
func (h *harness) audit(id string) []storage.AuditRecord {
	h.t.Helper()
	recs, err := h.db.RequestAudit(h.ctx(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return recs
}

// dump lists every message, for failure messages.
func (h *harness) dump() string {
	var b strings.Builder
	for _, m := range h.slack.AllMessages() {
		j, _ := json.Marshal(struct {
			Channel, TS, ThreadTS, VisibleTo, Text string
			Edited                                 int
		}{m.Channel, m.TS, m.ThreadTS, m.VisibleTo, m.Text, m.Edited})
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// posted counts the bot's non-ephemeral messages.
func (h *harness) posted() int {
	n := 0
	for _, m := range h.slack.AllMessages() {
		if !m.Ephemeral {
			n++
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (the log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// staleCopy posts a copy of msg as it is now, whose buttons keep working
// however the original is edited: clicking them is clicking an old card
// (or replaying the same click).
func (h *harness) staleCopy(msg slacktest.Message) slacktest.Message {
	h.t.Helper()
	var blocks slack.Blocks
	if err := json.Unmarshal(msg.Blocks, &blocks); err != nil {
		h.t.Fatal(err)
	}
	c := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()))
	_, ts, err := c.PostMessageContext(h.ctx(), msg.Channel, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(blocks.BlockSet...))
	if err != nil {
		h.t.Fatal(err)
	}
	m, ok := h.slack.Message(slacktest.MessageRef{Channel: msg.Channel, TS: ts})
	if !ok {
		h.t.Fatal("the stale copy was not stored")
	}
	return m
}

// shown is every text of m as a person would read its source: the
// fallback text and the blocks' JSON without HTML escaping.
func shown(m slacktest.Message) string {
	var v any
	_ = json.Unmarshal(m.Blocks, &v)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return m.Text + "\n" + b.String()
}

// staleCopyFor posts, ephemerally to user, a picker whose button carries
// value.
func (h *harness) staleCopyFor(user, value string) slacktest.Message {
	h.t.Helper()
	m := blocks.RenderMachinePicker("x", []blocks.MachineView{{ID: ws42, Name: "ws-0042.contoso.local"}}, 1, func(string) string { return value })
	c := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()))
	ts, err := c.PostEphemeralContext(h.ctx(), socChannel, user, msgOptions(m)...)
	if err != nil {
		h.t.Fatal(err)
	}
	msg, ok := h.slack.Message(slacktest.MessageRef{Channel: socChannel, TS: ts})
	if !ok {
		h.t.Fatal("the picker copy was not stored")
	}
	return msg
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// logger writes to the harness's log buffer.
func (h *harness) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// detachedBot is a Bot on the harness's dependencies that is not running,
// for tests that drive its parts directly.
func (h *harness) detachedBot() *Bot {
	h.t.Helper()
	b, err := New(Options{
		Slack:     slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL())),
		Socket:    socketmode.New(slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()))),
		Approvals: h.svc, History: h.db, Defender: h.def,
		Logger: h.logger(), Now: h.now, Marks: h.db, Outbox: h.db,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// File hashes the tests block, unblock and quarantine.
const (
	sha1Hash   = "3395856ce81f2b7382dee72602f798b642f14140"
	sha256Hash = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
)

// drained waits until the outbox holds nothing.
func (h *harness) drained() {
	h.t.Helper()
	h.drainedWithin(harnessWait)
}

// drainedWithin waits up to d until the outbox holds nothing.
func (h *harness) drainedWithin(d time.Duration) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), max(d, harnessWait))
	defer cancel()
	for {
		ds, err := h.db.Pending(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(ds) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			h.t.Fatalf("the outbox still holds %d deliveries (first: %s %s)", len(ds), ds[0].Kind, ds[0].RequestID)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
