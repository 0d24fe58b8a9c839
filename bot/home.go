package bot

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
)

// homeViewerTTL is how long a viewer who has not opened or used the App
// Home is still republished to.
const homeViewerTTL = 24 * time.Hour

// maxHomeViewers bounds the viewers remembered; past it the least recently
// seen is forgotten (they get a fresh view when they open it again).
const maxHomeViewers = 5000

// homes remembers who opened the App Home and with which filter, so the
// bot can republish it when a request they care about changes. It forgets
// viewers not seen for homeViewerTTL and keeps at most maxHomeViewers.
type homes struct {
	expiringMap[string, blocks.HomeFilter]
}

func (h *homes) set(user string, f blocks.HomeFilter, now time.Time) {
	h.store(user, f, now, homeViewerTTL, maxHomeViewers)
}

func (h *homes) users(now time.Time) []string { return h.live(now, homeViewerTTL) }

func (h *homes) get(user string, now time.Time) (blocks.HomeFilter, bool) {
	return h.load(user, now, homeViewerTTL)
}

// handleEvent handles an Events API envelope: app_home_opened publishes
// the viewer's App Home.
func (b *Bot) handleEvent(ctx context.Context, e slackevents.EventsAPIEvent) {
	var user, tab string
	switch ev := e.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		user, tab = ev.User, ev.Tab
	case slackevents.AppHomeOpenedEvent:
		user, tab = ev.User, ev.Tab
	default:
		b.log.DebugContext(ctx, "event ignored", "type", e.InnerEvent.Type)
		return
	}
	if tab != "home" || user == "" {
		return
	}
	f, _ := b.homes.get(user, b.now())
	b.publishHome(ctx, user, f, "")
}

// publishHome renders and publishes user's App Home with filter f and an
// optional notice (mrkdwn) on top.
func (b *Bot) publishHome(ctx context.Context, user string, f blocks.HomeFilter, notice string) {
	b.homes.set(user, f, b.now())
	v, err := b.homeView(ctx, user, f)
	if err != nil {
		b.log.WarnContext(ctx, "reading the App Home failed", "user", user, "error", err)
		return
	}
	v.Notice = notice
	err = b.send(ctx, "views.publish", "", notice != "", urgentAttempts, nil, func(ctx context.Context) error {
		_, err := b.o.Slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: blocks.RenderHome(v)})
		return err
	})
	if err != nil {
		b.log.WarnContext(ctx, "views.publish failed", "user", user, "error", err)
	}
}

// homeView reads what user's App Home shows.
func (b *Bot) homeView(ctx context.Context, user string, f blocks.HomeFilter) (blocks.HomeView, error) {
	v := blocks.HomeView{Viewer: user, Filter: f}
	isApprover, err := b.o.Approvals.IsApprover(ctx, user)
	if err != nil {
		return v, err
	}
	reader, err := b.o.Approvals.IsReader(ctx, user)
	if err != nil {
		return v, err
	}
	v.InFlightHidden = !reader
	live, err := b.o.Approvals.Live(ctx)
	if err != nil {
		return v, err
	}
	now := b.now()
	var pending []*approvals.Request
	for _, r := range live {
		switch {
		case r.State == approvals.StateAwaiting && r.Requester != user && now.Before(r.Expires) &&
			!slices.ContainsFunc(r.Decisions, func(d approvals.Decision) bool { return d.Actor == user }) &&
			b.mayDecide(ctx, r, user):
			pending = append(pending, r)
		case reader && (r.State == approvals.StateApproved || r.State == approvals.StateSubmitted):
			v.InFlightTotal++
			if len(v.InFlight) < blocks.HomeMaxInFlight {
				v.InFlight = append(v.InFlight, historyRow(r, ""))
			}
		}
		if r.Requester == user {
			v.OwnTotal++
			if len(v.Own) < blocks.HomeMaxOwn {
				v.Own = append(v.Own, historyRow(r, ""))
			}
		}
	}
	// A rule's approver outside slack.approvers sees what awaits them too.
	v.ApproverFor = isApprover || len(pending) > 0
	if v.ApproverFor {
		v.ApprovalDMsOff = b.approvalDMsOff(ctx, user)
	}
	slices.SortStableFunc(pending, func(a, b *approvals.Request) int { return a.Expires.Compare(b.Expires) })
	v.PendingTotal = len(pending)
	for _, r := range pending[:min(len(pending), blocks.HomeMaxPending)] {
		v.Pending = append(v.Pending, requestView(r, blocks.MachineView{}))
	}
	if isApprover {
		reviews, err := b.o.Approvals.PendingReviews(ctx)
		if err != nil {
			return v, err
		}
		for _, r := range reviews {
			if r.Requester != user {
				v.Reviews = append(v.Reviews, requestView(r, blocks.MachineView{}))
			}
		}
	}
	if v.CanHistory, err = b.o.Approvals.IsAuditor(ctx, user); err != nil {
		return v, err
	}
	if v.CanHistory {
		q := b.historyQuery(command.HistoryFilter{Kind: f.Kind, Outcome: f.Outcome}, defender.MachineID(""))
		q.Limit = blocks.HomeMaxHistory
		page, err := b.o.History.History(ctx, q)
		if err != nil {
			return v, err
		}
		for _, r := range page.Requests {
			v.History = append(v.History, historyRow(r, ""))
		}
	}
	return v, nil
}

// mayDecide reports whether user's decision on r counts (approvals
// decides: the rules' approvers, or the policy's); a failed group lookup
// counts as no.
func (b *Bot) mayDecide(ctx context.Context, r *approvals.Request, user string) bool {
	ok, err := b.o.Approvals.MayDecide(ctx, r, user)
	if err != nil {
		b.log.WarnContext(ctx, "checking who may decide a request failed", "request", r.ID, "user", user, "error", err)
	}
	return ok
}

// republishHomes queues the App Home of the people r concerns who opened
// theirs, for the republisher (runHomes): its requester and those who
// decided on it and, while r awaits approval or has just left that state,
// every approver (whose list of requests to approve changed). It never
// waits for Slack, so a click that changes r reaches MDE first.
func (b *Bot) republishHomes(ctx context.Context, r *approvals.Request) {
	users := r.Users()
	if r.State != approvals.StateSubmitted && !r.MDEStatus.Terminal() {
		for _, u := range b.homes.users(b.now()) {
			if slices.Contains(users, u) {
				continue
			}
			if ok, err := b.o.Approvals.IsApprover(ctx, u); err == nil && ok || b.mayDecide(ctx, r, u) {
				users = append(users, u)
			}
		}
	}
	var viewers []string
	for _, u := range users {
		if _, ok := b.homes.get(u, b.now()); ok {
			viewers = append(viewers, u)
		}
	}
	b.homeQueue.push(viewers...)
}

// republishApproverHomes queues the App Home of every approver who opened
// theirs: the break-glass reviews they see changed.
func (b *Bot) republishApproverHomes(ctx context.Context) {
	var viewers []string
	for _, u := range b.homes.users(b.now()) {
		if ok, err := b.o.Approvals.IsApprover(ctx, u); err == nil && ok {
			viewers = append(viewers, u)
		}
	}
	b.homeQueue.push(viewers...)
}

// runHomes republishes the queued App Homes until ctx ends, each with the
// viewer's filter and what the store holds when it gets to them.
func (b *Bot) runHomes(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.homeQueue.ready:
		}
		for _, u := range b.homeQueue.pop() {
			if f, ok := b.homes.get(u, b.now()); ok {
				b.publishHome(ctx, u, f, "")
			}
		}
	}
}

// homeQueue holds the viewers whose App Home waits to be republished, each
// once however many changes concern them.
type homeQueue struct {
	mu    sync.Mutex
	users []string
	set   map[string]bool
	ready chan struct{} // signalled (capacity 1) when users is not empty
}

func newHomeQueue() *homeQueue {
	return &homeQueue{set: map[string]bool{}, ready: make(chan struct{}, 1)}
}

// push queues users not queued yet.
func (q *homeQueue) push(users ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, u := range users {
		if !q.set[u] {
			q.set[u] = true
			q.users = append(q.users, u)
		}
	}
	if len(q.users) > 0 {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
}

// pop takes every queued user, in the order they were queued.
func (q *homeQueue) pop() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	users := q.users
	q.users, q.set = nil, map[string]bool{}
	return users
}
