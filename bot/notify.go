package bot

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// Marks records one-time facts durably: a notification sent, a reminder
// posted, a card's permalink. storage.DB implements it; the bot marks
// before it sends, so a restart never sends one twice.
type Marks interface {
	// Mark records value under key unless it is recorded; first reports
	// whether this call recorded it.
	Mark(ctx context.Context, key, value string) (first bool, err error)
	// Marked returns the value recorded under key.
	Marked(ctx context.Context, key string) (value string, ok bool, err error)
}

// memMarks is the in-memory Marks used when Options.Marks is nil.
type memMarks struct {
	mu sync.Mutex
	m  map[string]string
}

func (m *memMarks) Mark(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[key]; ok {
		return false, nil
	}
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[key] = value
	return true, nil
}

func (m *memMarks) Marked(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	return v, ok, nil
}

// notices are the DMs r's requester is owed in its current state, in the
// order they happened; a change owes those its new state adds (announce).
func notices(r *approvals.Request) []blocks.Notice {
	approved := r.Required > 0 && len(r.Approvals()) >= r.Required
	switch r.State {
	case approvals.StateApproved, approvals.StateSubmitted:
		if approved {
			return []blocks.Notice{blocks.NoticeApproved}
		}
	case approvals.StateSucceeded, approvals.StateFailed, approvals.StateTimedOut, approvals.StateCancelled:
		if approved {
			return []blocks.Notice{blocks.NoticeApproved, blocks.NoticeFinished}
		}
		return []blocks.Notice{blocks.NoticeFinished}
	case approvals.StateDenied:
		return []blocks.Notice{blocks.NoticeDenied}
	case approvals.StateExpired:
		return []blocks.Notice{blocks.NoticeExpired}
	}
	return nil
}

// halfway is when r is half-way to expiry.
func halfway(r *approvals.Request) time.Time {
	return r.Created.Add(r.Expires.Sub(r.Created) / 2)
}

// remind owes, under the card of every request half-way to expiry, one
// reply mentioning the approvers: recorded as the request's reminder note,
// which owes the reply in its own transaction (once, across restarts).
func (b *Bot) remind(ctx context.Context) {
	live, err := b.o.Approvals.Live(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "listing requests for reminders failed", "error", err)
		return
	}
	now := b.now()
	for _, r := range live {
		if r.State != approvals.StateAwaiting || now.Before(halfway(r)) || !now.Before(r.Expires) || r.Card.TS == "" {
			continue
		}
		if _, old, err := b.o.Marks.Marked(ctx, "reminder/"+r.ID); err != nil || old {
			// Reminded by an earlier version, which marked it instead.
			continue
		}
		res, err := b.o.Approvals.AddNote(ctx, r.ID, approvals.Note{Kind: approvals.NoteReminder})
		if err != nil {
			b.log.WarnContext(ctx, "recording a reminder failed", "request", r.ID, "error", err)
			continue
		}
		if !res.Changed {
			continue
		}
		b.out.poke()
		b.log.InfoContext(ctx, "approvers reminded", "request", r.ID)
	}
}

// reminded are the principals a reminder of r mentions: the approvers its
// policy rules name, when they name some, else the policy's.
func reminded(p approvals.Policy, r *approvals.Request) []string {
	var named []string
	for _, ar := range r.Rules {
		for _, a := range ar.Approvers {
			if !slices.Contains(named, a) {
				named = append(named, a)
			}
		}
	}
	if len(named) == 0 {
		return p.Approvers
	}
	return named
}

// runReminders runs remind every interval until ctx ends.
func (b *Bot) runReminders(ctx context.Context, interval time.Duration) {
	every(ctx, interval, b.remind)
}

// every runs fn every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}

// permalink is the https link to r's card (chat.getPermalink), stored
// once found; "" when r has no card or Slack does not answer.
func (b *Bot) permalink(ctx context.Context, r *approvals.Request) string {
	if r.Card.TS == "" {
		return ""
	}
	key := "permalink/" + r.ID
	if v, ok, err := b.o.Marks.Marked(ctx, key); err == nil && ok {
		return v
	}
	var link string
	err := b.send(ctx, "chat.getPermalink", "", false, urgentAttempts, nil, func(ctx context.Context) error {
		var err error
		link, err = b.o.Slack.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: r.Card.Channel, Ts: r.Card.TS})
		return err
	})
	if err != nil {
		b.log.WarnContext(ctx, "chat.getPermalink failed", "request", r.ID, "error", err)
		return ""
	}
	if _, err := b.o.Marks.Mark(ctx, key, link); err != nil {
		b.log.WarnContext(ctx, "storing a permalink failed", "request", r.ID, "error", err)
	}
	return link
}

// afterChange runs after a change of a request: the App Home of the
// people it concerns (the requester's notices are owed in the outbox,
// written with the change).
func (b *Bot) afterChange(ctx context.Context, r *approvals.Request) {
	b.republishHomes(ctx, r)
}
