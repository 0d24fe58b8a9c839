package bot

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
)

// interaction is the person's command or click being handled: who acted,
// where, and how to answer them. Handlers take it as a value; nothing
// about it rides in the context.
type interaction struct {
	user    string
	channel string // the channel of the command or the clicked message; "" in the App Home
	// threadTS is the thread of the clicked message when it is a thread
	// reply (a Cancel offer, a package's download button): answers go
	// there, next to what was clicked, not to the channel.
	threadTS string
	// responseURL is the command's or click's response_url: the answer's
	// way into a channel the bot cannot post in (a DM, a channel it is not
	// a member of).
	responseURL string
	// home is set for a click in the App Home: answers are shown on top of
	// the republished view, with the filter the viewer had.
	home *blocks.HomeFilter
	// cmd is set for a slash command: its verb and outcome, for metrics.
	cmd *commandRecord
	// trigger is a slash command's trigger_id: the same on every delivery
	// of one command, so a command delivered twice opens one request.
	trigger string
}

// note records, for a slash command, its verb (when set) and its outcome
// (when set and none was recorded before: the first outcome wins).
func (in interaction) note(verb command.Verb, outcome string) {
	if in.cmd != nil {
		in.cmd.note(verb, outcome)
	}
}

// reply shows m to the person only: in the App Home as the view's notice;
// elsewhere ephemerally in the channel (chat.postEphemeral) or, where the
// bot cannot post, through the response_url; failing both, by DM. It does
// not go through the outbox: an answer to someone who just acted goes
// ahead of bulk thread replies (its own method's pacing, urgent), waits
// out a 429, and is not kept across a restart (its moment has passed).
func (b *Bot) reply(ctx context.Context, in interaction, m blocks.Message) {
	if in.home != nil {
		b.publishHome(ctx, in.user, *in.home, m.Text)
		return
	}
	var err error
	if in.channel != "" && in.user != "" {
		opts := msgOptions(m)
		if in.threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(in.threadTS))
		}
		err = b.send(ctx, "chat.postEphemeral", "", true, urgentAttempts, nil, func(ctx context.Context) error {
			_, err := b.o.Slack.PostEphemeralContext(ctx, in.channel, in.user, opts...)
			return err
		})
		if err == nil {
			return
		}
	}
	if in.responseURL != "" {
		werr := slack.PostWebhookContext(ctx, in.responseURL, &slack.WebhookMessage{
			Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}, ResponseType: slack.ResponseTypeEphemeral,
			ThreadTimestamp: in.threadTS,
		})
		if werr == nil {
			return
		}
		b.log.WarnContext(ctx, "reply through response_url failed", "channel", in.channel, "user", in.user, "error", logSafe(werr))
	}
	if err != nil {
		b.log.WarnContext(ctx, "chat.postEphemeral failed", "channel", in.channel, "user", in.user, "error", err)
	}
	if in.channel == "" && in.user != "" {
		// A click without a channel or a response_url (a modal's submission).
		if derr := b.dm(ctx, in.user, m, true, nil); derr != nil {
			b.log.WarnContext(ctx, "reply by DM failed", "user", in.user, "error", derr)
		}
	}
}

// replyError shows the person what went wrong (see errorMessage). For a
// command, a refusal by the approval rules counts as rejected, anything
// else as failed.
func (b *Bot) replyError(ctx context.Context, in interaction, err error, attrs ...any) {
	b.budgetBusy(in, err)
	if ae := (*approvals.Error)(nil); errors.As(err, &ae) && ae.Code != approvals.CodeGroupLookup {
		in.note("", CommandRejected)
	} else {
		in.note("", CommandFailed)
	}
	b.reply(ctx, in, b.errorMessage(ctx, err, append(attrs, "user", in.user)...))
}

// commandRecord collects what one /mde command came to, for
// Observer.Command.
type commandRecord struct {
	mu      sync.Mutex
	verb    command.Verb
	outcome string
}

func (rec *commandRecord) note(verb command.Verb, outcome string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if verb != "" {
		rec.verb = verb
	}
	if outcome != "" && rec.outcome == "" {
		rec.outcome = outcome
	}
}
