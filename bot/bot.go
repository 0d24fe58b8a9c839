package bot

import (
	"context"
	"errors"
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
	Socket        *socketmode.Client // Socket Mode client with the app-level token (xapp-); unused with Inbox
	Approvals     *approvals.Service // the approval workflow
	History       approvals.History  // history queries for /mde history
	Defender      *defender.Client   // the MDE API
	PollInterval  time.Duration      // tracker tick; default DefaultPollInterval; down to 100ms works
	SweepInterval time.Duration      // expiry sweeper tick; default DefaultSweepInterval
	Workers       int                // envelope workers; default DefaultWorkers
	Logger        *slog.Logger       // default: discard
	Now           func() time.Time   // default time.Now
	// Marks records the notifications sent and the permalinks found
	// (storage.DB); nil keeps them in memory, so a restart may repeat them.
	Marks Marks
	// Observer is told of envelopes, commands and the socket's state, for
	// metrics and readiness; nil observes nothing.
	Observer Observer
	// LookupsPerMinute limits each user's look-ups (/mde machine, /mde
	// status, /mde history and its pages, /mde export, package links): that
	// many at once, then one every minute/LookupsPerMinute; past it the
	// user is told to slow down (slack.lookups_per_minute). Zero means
	// DefaultLookupsPerMinute; negative, no limit.
	LookupsPerMinute int
	// LookupBudgetWait is the longest a look-up waits for Defender's API
	// budget before the person is told to try again; default
	// DefaultLookupBudgetWait. Submissions and cancels always wait.
	LookupBudgetWait time.Duration
	// Team is the bot's own Slack workspace (auth.test's team_id and
	// enterprise_id); zero means the bot asks auth.test itself. Envelopes
	// from other workspaces (Slack Connect guests) are refused.
	Team Team
	// Outbox keeps what the bot owes Slack (storage.DB): written with the
	// change that owes it (the bot registers its Announcer), delivered in
	// order and paced, drained on start. Required.
	Outbox approvals.Outbox
	// SlackLimits paces the bot's calls to Slack; zero means
	// DefaultSlackLimits (Slack's documented limits).
	SlackLimits SlackLimits
	// SlackObserver is told of the outbox and of Slack's rate limits, for
	// metrics; nil observes nothing.
	SlackObserver SlackObserver
	// DryRun runs the whole flow (lookup, approvals, cards) but sends no
	// action to MDE: the request is closed with a "DRY RUN" note in its
	// audit trail, card and thread instead (mdebot serve --dry-run).
	DryRun bool
	// AlertChannel is a channel (slack.alert_channel) told of every
	// break-glass action, besides a DM to each approver; "" for none.
	AlertChannel string
	// Escalation is a user group (S…) or a channel (C…, G…) asked to
	// decide a request nobody decided within the policy's EscalateAfter
	// (slack.escalation); "" never escalates.
	Escalation string
	// Inbox, when set, is where the bot takes its envelopes from instead
	// of a socket of its own: replicas sharing an etcd store each relay
	// their connection's envelopes into it (Relay), and the leader's Bot
	// handles them.
	Inbox Inbox
	// StillLeads, when set, is asked right before every submission to MDE
	// (etcdstore.Store.StillLeads): an error means this replica's term
	// ended, so nothing is sent; the request stays as stored (submitting)
	// for the next leader's recovery.
	StillLeads func(ctx context.Context) error
}

// Bot serves /mde over Socket Mode. Create it with New and start it with Run.
type Bot struct {
	o          Options
	log        *slog.Logger
	now        func() time.Time
	tracker    *tracker
	recoveries *recoveries
	// cancelsSent are the bulk requests' MDE actions this process asked
	// to cancel.
	cancelsSent sentOnce
	// bulkQueue holds the bulk requests to carry forward (runBulks);
	// bulkRuns those running.
	bulkQueue *homeQueue
	bulkRuns  runs
	machines  machineCache
	cards     cardLocks
	homes     homes
	homeQueue *homeQueue
	users     *userDirectory
	// copyQueue holds the ids of requests whose card copies (approval DMs,
	// the escalation channel) wait to be edited (runCopies), so that no
	// decision waits for them; a homeQueue of request ids.
	copyQueue *homeQueue
	// dmQueue holds the ids of new requests whose approvers wait for
	// their DM copy (runApprovalDMs).
	dmQueue *homeQueue
	// lookups is Options.Defender failing fast past
	// Options.LookupBudgetWait, for the reads a person waits on.
	lookups      *defender.Client
	lookupLimits *userLimits
	own          ownTeam
	// pace spaces the calls to Slack (send); out delivers the outbox.
	pace     *pacer
	out      *outbox
	slackObs SlackObserver
}

// New checks o, fills its defaults and returns a Bot.
func New(o Options) (*Bot, error) {
	switch {
	case o.Slack == nil:
		return nil, errors.New("bot: Options.Slack is required")
	case o.Socket == nil && o.Inbox == nil:
		return nil, errors.New("bot: Options.Socket or Options.Inbox is required")
	case o.Approvals == nil:
		return nil, errors.New("bot: Options.Approvals is required")
	case o.History == nil:
		return nil, errors.New("bot: Options.History is required")
	case o.Defender == nil:
		return nil, errors.New("bot: Options.Defender is required")
	case o.Outbox == nil:
		return nil, errors.New("bot: Options.Outbox is required")
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
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Marks == nil {
		o.Marks = &memMarks{}
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.SlackObserver == nil {
		o.SlackObserver = nopSlackObserver{}
	}
	if o.SlackLimits.PostEvery == 0 && o.SlackLimits.Every == nil {
		o.SlackLimits = DefaultSlackLimits()
	}
	if o.LookupsPerMinute == 0 {
		o.LookupsPerMinute = DefaultLookupsPerMinute
	}
	if o.LookupBudgetWait <= 0 {
		o.LookupBudgetWait = DefaultLookupBudgetWait
	}
	b := &Bot{o: o, log: o.Logger, now: o.Now, homeQueue: newHomeQueue(), copyQueue: newHomeQueue(), dmQueue: newHomeQueue(), bulkQueue: newHomeQueue(), users: &userDirectory{slack: o.Slack}, own: ownTeam{team: o.Team},
		lookups: o.Defender.WithMaxBudgetWait(o.LookupBudgetWait), lookupLimits: newUserLimits(o.LookupsPerMinute)}
	b.slackObs = o.SlackObserver
	b.pace = newPacer(o.SlackLimits, time.Now)
	b.pace.onWait = func(key string, until time.Time) {
		b.log.Warn("slack rate limit: paused until Retry-After", "limit", key, "until", until.UTC().Format(time.RFC3339Nano))
	}
	b.out = newOutbox(b)
	o.Outbox.Announce(b.announce)
	b.tracker = newTracker(b)
	b.recoveries = newRecoveries(o.PollInterval)
	return b, nil
}

// Run connects over Socket Mode (or, with Options.Inbox, takes the
// envelopes the replicas relay) and serves until ctx ends (returning nil)
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
	live, err := b.o.Approvals.Live(ctx)
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
	wg.Go(func() { b.runReviews(ctx, b.o.SweepInterval) })
	wg.Go(func() { b.runEscalations(ctx, b.o.SweepInterval) })
	wg.Go(func() { b.runCopies(ctx) })
	wg.Go(func() { b.runApprovalDMs(ctx) })
	wg.Go(func() { b.runBulks(ctx) })
	wg.Go(func() { b.runHomes(ctx) })
	wg.Go(func() { b.out.run(ctx) })
	if b.o.Inbox != nil {
		return b.serveInbox(ctx)
	}
	loop := &socketLoop{
		client: b.o.Socket,
		log:    b.log,
		lanes: map[lane]laneSpec{
			LaneDecision: {workers: decisionWorkers, queue: decisionQueue},
			LaneWork:     {workers: b.o.Workers, queue: workQueue},
		},
		route:   laneOf,
		ack:     ackPayload,
		handle:  b.handle,
		shed:    b.shedNotice,
		observe: b.o.Observer,
	}
	return loop.run(ctx)
}

// expired follows the requests the sweeper expired: their card updates
// and notices were written to the outbox with the expiry (so a restart
// delivers them if Run ends first); this wakes it and queues App Homes.
func (b *Bot) expired(ctx context.Context, rs []*approvals.Request) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	for _, r := range rs {
		b.log.InfoContext(ctx, "request expired", "request", r.ID)
		b.updateCard(ctx, r)
	}
}
