package bot

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// ackPayload is the socket loop's ackFunc: nil for every envelope but a
// deny-modal submission without a reason, which is answered at once with
// response_action "errors" so the modal stays open and says why.
func ackPayload(evt socketmode.Event) any {
	if evt.Type != socketmode.EventTypeInteractive {
		return nil
	}
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok || cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != callbackDenyModal {
		return nil
	}
	if denyReason(cb) != "" {
		return nil
	}
	return slack.NewErrorsViewSubmissionResponse(map[string]string{blockDenyReason: "Say why you deny this request."})
}

// denyReason is the trimmed reason typed in a deny modal submission.
func denyReason(cb slack.InteractionCallback) string {
	if cb.View.State == nil {
		return ""
	}
	return strings.TrimSpace(cb.View.State.Values[blockDenyReason][actionDenyReason].Value)
}

// handlerTimeout bounds the work on one envelope. That work is not
// cancelled when Run's context ends: the envelope was acked, so Slack will
// not send it again, and stopping halfway (a card posted but not stored, an
// action submitted but not recorded) would leave what a restart must then
// repair.
const handlerTimeout = 2 * time.Minute

// handle runs on a worker, after the envelope was acked.
func (b *Bot) handle(ctx context.Context, evt socketmode.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	if !b.fromOwnTeam(ctx, evt) {
		return
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			b.log.WarnContext(ctx, "slash command envelope without a command", "type", evt.Type)
			return
		}
		b.observeCommand(withResponseURL(ctx, cmd.ResponseURL), func(ctx context.Context) {
			b.handleCommand(ctx, cmd.UserID, cmd.ChannelID, cmd.Text)
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			b.log.WarnContext(ctx, "interactive envelope without a payload", "type", evt.Type)
			return
		}
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			ctx := withResponseURL(ctx, cb.ResponseURL)
			for _, a := range cb.ActionCallback.BlockActions {
				if !b.homeClick(ctx, cb, a) {
					b.handleClick(ctx, cb, a)
				}
			}
		case slack.InteractionTypeViewSubmission:
			if cb.View.CallbackID == callbackDenyModal {
				b.handleDenySubmission(ctx, cb)
			}
		}
	case socketmode.EventTypeEventsAPI:
		if e, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			b.handleEvent(ctx, e)
		}
	default:
		b.log.DebugContext(ctx, "envelope ignored", "type", evt.Type)
	}
}

// clickChannel is the channel of the message whose button was clicked.
func clickChannel(cb slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}
