package bot

import (
	"context"
	"strings"
	"time"

	"github.com/mdebot/mdebot/bot/blocks"
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
	if !ok || cb.Type != slack.InteractionTypeViewSubmission {
		return nil
	}
	switch cb.View.CallbackID {
	case blocks.CallbackDenyModal:
		if denyReason(cb) == "" {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockDenyReason: "Say why you deny this request."})
		}
	case blocks.CallbackReviewModal:
		if flag, _, _ := blocks.ParseReviewMetadata(cb.View.PrivateMetadata); !flag && reviewNote(cb) == "" {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockReviewNote: "Say why running it alone was justified."})
		}
	}
	return nil
}

// reviewNote is the trimmed note typed in a review modal submission.
func reviewNote(cb slack.InteractionCallback) string {
	if cb.View.State == nil {
		return ""
	}
	return strings.TrimSpace(cb.View.State.Values[blocks.BlockReviewNote][blocks.ActionReviewNote].Value)
}

// denyReason is the trimmed reason typed in a deny modal submission.
func denyReason(cb slack.InteractionCallback) string {
	if cb.View.State == nil {
		return ""
	}
	return strings.TrimSpace(cb.View.State.Values[blocks.BlockDenyReason][blocks.ActionDenyReason].Value)
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
		b.observeCommand(func(rec *commandRecord) {
			in := interaction{user: cmd.UserID, channel: cmd.ChannelID, responseURL: cmd.ResponseURL, cmd: rec, trigger: cmd.TriggerID}
			b.handleCommand(ctx, in, cmd.Text)
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			b.log.WarnContext(ctx, "interactive envelope without a payload", "type", evt.Type)
			return
		}
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			in := interaction{user: cb.User.ID, channel: clickChannel(cb), responseURL: cb.ResponseURL, threadTS: clickThread(cb)}
			if cb.View.Type == slack.VTHomeTab {
				f := blocks.ParseHomeFilter(cb.View.PrivateMetadata)
				in.home = &f
			}
			for _, a := range cb.ActionCallback.BlockActions {
				b.handleClick(ctx, in, cb.TriggerID, a)
			}
		case slack.InteractionTypeViewSubmission:
			switch cb.View.CallbackID {
			case blocks.CallbackDenyModal:
				b.handleDenySubmission(ctx, cb)
			case blocks.CallbackReviewModal:
				b.handleReviewSubmission(ctx, cb)
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

// clickThread is the thread of the message whose button was clicked, when
// that message is a reply in a thread ("" for a top-level message).
func clickThread(cb slack.InteractionCallback) string {
	if ts := cb.Container.ThreadTs; ts != "" && ts != cb.Container.MessageTs {
		return ts
	}
	return ""
}

// clickChannel is the channel of the message whose button was clicked.
func clickChannel(cb slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}
