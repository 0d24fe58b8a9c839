package bot

import (
	"context"
	"strconv"
)

// maxDMToggles bounds the approval-DM preference changes read per user.
const maxDMToggles = 1000

// The approval-DM preference is kept in Marks, which record each key once:
// each change the user makes is one more mark under dmPrefKey(user, n), so
// the preference is off after an odd number of changes.

func dmPrefKey(user string, n int) string { return "dm-pref/" + user + "/" + strconv.Itoa(n) }

// dmToggles counts user's changes of their approval-DM preference.
func (b *Bot) dmToggles(ctx context.Context, user string) (int, error) {
	for n := 0; n < maxDMToggles; n++ {
		_, ok, err := b.o.Marks.Marked(ctx, dmPrefKey(user, n))
		if err != nil {
			return n, err
		}
		if !ok {
			return n, nil
		}
	}
	return maxDMToggles, nil
}

// approvalDMsOff reports whether user asked not to get requests to
// approve by DM (in the App Home). A failed read counts as on.
func (b *Bot) approvalDMsOff(ctx context.Context, user string) bool {
	n, err := b.dmToggles(ctx, user)
	if err != nil {
		b.log.WarnContext(ctx, "reading the approval-DM preference failed", "user", user, "error", err)
		return false
	}
	return n%2 == 1
}

// setApprovalDMs turns user's approval DMs on or off (a no-op when they
// already are).
func (b *Bot) setApprovalDMs(ctx context.Context, user string, on bool) {
	n, err := b.dmToggles(ctx, user)
	if err != nil || n >= maxDMToggles {
		b.log.WarnContext(ctx, "changing the approval-DM preference failed", "user", user, "error", err)
		return
	}
	if (n%2 == 0) == on {
		return
	}
	if _, err := b.o.Marks.Mark(ctx, dmPrefKey(user, n), b.now().UTC().String()); err != nil {
		b.log.WarnContext(ctx, "changing the approval-DM preference failed", "user", user, "error", err)
		return
	}
	b.log.InfoContext(ctx, "approval DMs changed", "user", user, "on", on)
}
