package bot

import (
	"context"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/command"
)

// mayLookUp reports whether the person may run the read-only command verb
// (machine, status) where they typed it. approvals decides, and audits a
// refusal; the person is then told why and mayLookUp returns false.
func (b *Bot) mayLookUp(ctx context.Context, in interaction, verb command.Verb) bool {
	if err := b.o.Approvals.Authorize(ctx, in.user, in.channel, approvals.OpLookUp); err != nil {
		b.replyError(ctx, in, err, "verb", verb, "channel", in.channel)
		return false
	}
	return true
}
