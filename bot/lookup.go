package bot

import (
	"context"
	"slices"

	"github.com/mdebot/mdebot/approvals"
)

// inResponseChannel reports whether channel is one of slack.channels (or
// none are set). Otherwise it refuses verb to user there: the refusal is
// audited, logged and told to user alone. /mde machine, status and cancel
// obey it, like the requests themselves.
func (b *Bot) inResponseChannel(ctx context.Context, user, channel string, verb Verb) bool {
	pol := b.o.Approvals.Policy()
	if len(pol.Channels) == 0 || slices.Contains(pol.Channels, channel) {
		return true
	}
	if err := b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, Actor: user,
		Code: approvals.CodeNotPermitted, Detail: string(verb) + ": not answered in channel " + channel}); err != nil {
		b.log.ErrorContext(ctx, "auditing a refused command failed", "user", user, "error", err)
	}
	b.log.InfoContext(ctx, "command refused outside the response channels", "verb", verb, "user", user, "channel", channel)
	b.reply(ctx, channel, user, renderNotice(":no_entry_sign: `/mde "+string(verb)+"` is not answered in this channel; use one of the response channels."))
	return false
}

// mayLookUp reports whether user may run the read-only command verb
// (machine, status) in channel: the channel must be one of slack.channels
// (when set) and user a requester, an approver or an auditor. Otherwise it
// audits the refusal, tells user ephemerally and returns false.
func (b *Bot) mayLookUp(ctx context.Context, user, channel string, verb Verb) bool {
	refuse := func(detail, msg string) bool {
		if err := b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, Actor: user,
			Code: approvals.CodeNotPermitted, Detail: string(verb) + ": " + detail}); err != nil {
			b.log.ErrorContext(ctx, "auditing a refused look-up failed", "user", user, "error", err)
		}
		b.log.InfoContext(ctx, "look-up refused", "verb", verb, "user", user, "channel", channel)
		b.reply(ctx, channel, user, renderNotice(msg))
		return false
	}
	if !b.inResponseChannel(ctx, user, channel, verb) {
		return false
	}
	for _, is := range []func(context.Context, string) (bool, error){b.o.Approvals.IsRequester, b.o.Approvals.IsApprover, b.isAuditor} {
		ok, err := is(ctx, user)
		if err != nil {
			b.replyError(ctx, channel, user, err)
			return false
		}
		if ok {
			return true
		}
	}
	return refuse(user+" is neither a requester, an approver nor an auditor",
		":no_entry_sign: Only requesters, approvers and auditors can look up machines and requests.")
}
