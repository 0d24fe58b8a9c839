package bot

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
)

// Look-up limits: what keeps one person's burst of look-ups from holding
// the workers and Defender's API budget that everybody else needs.
const (
	// DefaultLookupsPerMinute is each user's look-up rate when
	// Options.LookupsPerMinute is zero.
	DefaultLookupsPerMinute = 20
	// DefaultLookupBudgetWait is the longest a look-up waits for
	// Defender's API budget when Options.LookupBudgetWait is zero; past it
	// the person is told to try again later. Submissions of approved
	// actions and cancels wait their turn instead.
	DefaultLookupBudgetWait = 5 * time.Second
	// maxLimitedUsers bounds the users whose look-ups are remembered;
	// past it the one closest to a full allowance is forgotten first.
	maxLimitedUsers = 10000
)

// userLimits is a token bucket per user, kept as the time its next
// look-up would leave it empty (GCRA): each user may make burst look-ups
// at once, then one every every. A user whose allowance is full again is
// forgotten, so memory follows the users active in the last minute or so,
// and never more than maxUsers.
type userLimits struct {
	every    time.Duration // 0: unlimited
	burst    int
	maxUsers int

	mu      sync.Mutex
	tat     map[string]time.Time // theoretical arrival time of each user's next look-up
	sweepAt int                  // forget idle users when tat grows past this
}

// newUserLimits allows perMinute look-ups a minute to each user, perMinute
// of them at once; perMinute ≤ 0 allows any number.
func newUserLimits(perMinute int) *userLimits {
	l := &userLimits{burst: max(perMinute, 1), maxUsers: maxLimitedUsers, tat: map[string]time.Time{}, sweepAt: 64}
	if perMinute > 0 {
		l.every = time.Minute / time.Duration(perMinute)
	}
	return l
}

// allow takes one look-up from user's allowance at now. When it is empty
// it returns false and how long until the next look-up is allowed.
func (l *userLimits) allow(user string, now time.Time) (ok bool, retryIn time.Duration) {
	if l.every <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, known := l.tat[user]
	if !known || tat.Before(now) {
		tat = now
	}
	// The bucket holds burst look-ups: the allowance is empty when the
	// next one would start more than burst-1 intervals from now.
	if wait := tat.Sub(now) - time.Duration(l.burst-1)*l.every; wait > 0 {
		return false, wait
	}
	if !known {
		l.forgetIdle(now)
	}
	l.tat[user] = tat.Add(l.every)
	return true, 0
}

// forgetIdle makes room for a new user: when the map has grown to
// sweepAt (which doubles with the users still active, up to maxUsers) it
// drops every user whose allowance is full again (tat not after now), and
// while it is still at maxUsers, the user closest to full.
func (l *userLimits) forgetIdle(now time.Time) {
	if len(l.tat) >= l.sweepAt {
		for u, t := range l.tat {
			if !t.After(now) {
				delete(l.tat, u)
			}
		}
		l.sweepAt = min(max(64, 2*len(l.tat)), l.maxUsers)
	}
	for len(l.tat) >= l.maxUsers {
		oldest, first := "", time.Time{}
		for u, t := range l.tat {
			if oldest == "" || t.Before(first) {
				oldest, first = u, t
			}
		}
		delete(l.tat, oldest)
	}
}

// allowLookup reports whether user may make a look-up now (/mde machine,
// /mde status, /mde history and its pages, /mde export, a package link).
// When not, it tells user to slow down, counts it and returns false.
func (b *Bot) allowLookup(ctx context.Context, in interaction) bool {
	ok, retry := b.lookupLimits.allow(in.user, b.now())
	if ok {
		return true
	}
	in.note("", CommandThrottled)
	b.o.Observer.Shed(LaneWork, ShedUserLimit)
	b.log.InfoContext(ctx, "look-up over the user's limit", "user", in.user, "retry_in", retry)
	b.reply(ctx, in, blocks.RenderNotice(":hourglass: Slow down: you have made many look-ups in a short time. Try again in "+
		seconds(retry)+"."))
	return false
}

// budgetBusy counts a look-up that Defender's API budget could not serve
// within Options.LookupBudgetWait; it reports whether err is one.
func (b *Bot) budgetBusy(in interaction, err error) bool {
	var be *defender.BudgetError
	if !errors.As(err, &be) {
		return false
	}
	in.note("", CommandThrottled)
	b.o.Observer.Shed(LaneWork, ShedBudgetBusy)
	return true
}

// seconds is d as "N s", rounded up, at least 1.
func seconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10) + " s"
}

// shedTimeout bounds the telling of one envelope's sender that it was not
// served.
const shedTimeout = 30 * time.Second

// shedNotice tells the sender of evt, an envelope a full lane could not
// take, that nothing was done: ephemerally (through the response_url when
// the bot cannot post there), or by DM for a click in the App Home or a
// modal's submission. Events (App Home opened…) have nobody to tell; they
// are counted and logged.
func (b *Bot) shedNotice(ctx context.Context, evt socketmode.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shedTimeout)
	defer cancel()
	const later = "; nothing was done. Try again in a minute."
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		in := interaction{user: data.UserID, channel: data.ChannelID, responseURL: data.ResponseURL}
		b.reply(ctx, in, blocks.RenderNotice(":warning: mdebot is too busy to run "+
			blocks.RenderCode(data.Command+" "+data.Text, 200)+" now"+later))
	case slack.InteractionCallback:
		switch data.Type {
		case slack.InteractionTypeBlockActions:
			// An App Home click has no channel: the answer goes by DM
			// rather than republishing a view nobody has time for.
			in := interaction{user: data.User.ID, channel: clickChannel(data), responseURL: data.ResponseURL}
			b.reply(ctx, in, blocks.RenderNotice(":warning: mdebot is too busy to handle your click now"+later))
		case slack.InteractionTypeViewSubmission:
			switch data.View.CallbackID {
			case blocks.CallbackDenyModal:
				b.reply(ctx, interaction{user: data.User.ID}, blocks.RenderNotice(":warning: mdebot is too busy to record your denial of "+
					blocks.RenderCode(data.View.PrivateMetadata, 40)+" now"+later))
			case blocks.CallbackReviewModal:
				_, id, _ := blocks.ParseReviewMetadata(data.View.PrivateMetadata)
				b.reply(ctx, interaction{user: data.User.ID}, blocks.RenderNotice(":warning: mdebot is too busy to record your review of "+
					blocks.RenderCode(id, 40)+" now"+later))
			}
		}
	}
}
