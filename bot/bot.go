package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// Defaults for Options fields left zero.
const (
	DefaultPollInterval  = 15 * time.Second
	DefaultSweepInterval = 15 * time.Second
	DefaultWorkers       = 8
)

// Options are the bot's dependencies; cmd/mdebot wires them.
type Options struct {
	Slack         *slack.Client      // Web API client with the bot token (xoxb-)
	Socket        *socketmode.Client // Socket Mode client with the app-level token (xapp-)
	Approvals     *approvals.Service // the approval workflow
	Store         approvals.Store    // the store Approvals uses (Live, ByActionID, Append)
	History       approvals.History  // history queries for /mde history
	Defender      *defender.Client   // the MDE API
	PollInterval  time.Duration      // tracker tick; default DefaultPollInterval; down to 100ms works
	SweepInterval time.Duration      // expiry sweeper tick; default DefaultSweepInterval
	Workers       int                // envelope workers; default DefaultWorkers
	Logger        *slog.Logger       // default: discard
	Now           func() time.Time   // default time.Now
	// Auditors may read /mde history: Slack user ids and user-group ids
	// (slack.auditors). Empty means the policy's approvers.
	Auditors []string
	// Groups resolves the user groups among Auditors; nil means a Groups
	// on Slack (NewGroups with DefaultGroupTTL).
	Groups approvals.Groups
	// Marks records the notifications sent and the permalinks found
	// (storage.DB); nil keeps them in memory, so a restart may repeat them.
	Marks Marks
	// Observer is told of envelopes, commands and the socket's state, for
	// metrics and readiness; nil observes nothing.
	Observer Observer
	// Team is the bot's own Slack workspace (auth.test's team_id and
	// enterprise_id); zero means the bot asks auth.test itself. Envelopes
	// from other workspaces (Slack Connect guests) are refused.
	Team Team
	// DryRun runs the whole flow (lookup, approvals, cards) but sends no
	// action to MDE: the request is closed with a "DRY RUN" note in its
	// audit trail, card and thread instead (mdebot serve --dry-run).
	DryRun bool
}

// Bot serves /mde over Socket Mode. Create it with New and start it with Run.
type Bot struct {
	o          Options
	log        *slog.Logger
	now        func() time.Time
	tracker    *tracker
	recoveries *recoveries
	machines   machineCache
	cards      cardLocks
	homes      homes
	own        ownTeam
}

// New checks o, fills its defaults and returns a Bot.
func New(o Options) (*Bot, error) {
	switch {
	case o.Slack == nil:
		return nil, errors.New("bot: Options.Slack is required")
	case o.Socket == nil:
		return nil, errors.New("bot: Options.Socket is required")
	case o.Approvals == nil:
		return nil, errors.New("bot: Options.Approvals is required")
	case o.Store == nil:
		return nil, errors.New("bot: Options.Store is required")
	case o.History == nil:
		return nil, errors.New("bot: Options.History is required")
	case o.Defender == nil:
		return nil, errors.New("bot: Options.Defender is required")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Groups == nil {
		o.Groups = NewGroups(o.Slack, DefaultGroupTTL, o.Logger)
	}
	if o.Marks == nil {
		o.Marks = &memMarks{}
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	b := &Bot{o: o, log: o.Logger, now: o.Now, own: ownTeam{team: o.Team}}
	b.tracker = newTracker(b)
	b.recoveries = newRecoveries(o.PollInterval)
	return b, nil
}

// Run connects over Socket Mode and serves until ctx ends (returning nil)
// or Slack refuses the app token (returning an error wrapping
// ErrInvalidAuth). It also runs the MDE tracker and the expiry sweeper, and
// on start resumes every in-flight action from the store.
func (b *Bot) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	// Read the live requests before Slack can deliver a click: a request
	// approved after this point is executed by its approving click, so
	// recovery never runs alongside it.
	live, err := b.o.Store.Live(ctx)
	if err != nil && ctx.Err() == nil {
		b.log.ErrorContext(ctx, "reading live requests to resume failed", "error", err)
	}
	wg.Go(func() {
		b.resume(ctx, live)
		b.tracker.run(ctx, b.o.PollInterval)
	})
	wg.Go(func() {
		_ = b.o.Approvals.RunSweeper(ctx, b.o.SweepInterval, b.expired)
	})
	wg.Go(func() { b.runReminders(ctx, b.o.SweepInterval) })
	loop := &socketLoop{
		client:  b.o.Socket,
		log:     b.log,
		workers: b.o.Workers,
		queue:   queueSize,
		ack:     ackPayload,
		handle:  b.handle,
		observe: b.o.Observer,
	}
	return loop.run(ctx)
}

// queueSize is how many acked envelopes may wait for a worker.
const queueSize = 4096

// expired rewrites the cards of requests the sweeper expired. It finishes
// even if Run ends meanwhile: the expiry is stored, and a restart would
// not find the request live to rewrite its card or tell its requester.
func (b *Bot) expired(ctx context.Context, rs []*approvals.Request) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	for _, r := range rs {
		b.log.InfoContext(ctx, "request expired", "request", r.ID)
		b.updateCard(ctx, r)
	}
}
