package bot

import (
	"github.com/slack-go/slack"
)

// Refusal says why a click was refused.
type Refusal string

// The refusals RenderRefusal knows.
const (
	RefuseSelfApproval   Refusal = "self_approval"
	RefuseNotApprover    Refusal = "not_approver"
	RefuseAlreadyDecided Refusal = "already_decided"
	RefuseExpired        Refusal = "expired"
	RefuseWithdrawn      Refusal = "withdrawn"
	RefuseNotRequester   Refusal = "not_requester" // withdrawing someone else's request without being an approver
	RefuseChanged        Refusal = "changed"       // the fingerprint no longer matches the card
)

// RenderRefusal renders the ephemeral notice shown to someone whose click
// was refused.
func RenderRefusal(why Refusal) Message {
	var text string
	switch why {
	case RefuseSelfApproval:
		text = "You cannot approve your own request."
	case RefuseNotApprover:
		text = "You are not an approver for this action."
	case RefuseAlreadyDecided:
		text = "This request was already decided."
	case RefuseExpired:
		text = "This request expired before it was approved."
	case RefuseWithdrawn:
		text = "This request was withdrawn."
	case RefuseNotRequester:
		text = "Only the requester or an approver can withdraw this request."
	case RefuseChanged:
		text = "This request changed since the card was shown; look at the card again before deciding."
	default:
		text = "You cannot do that now."
	}
	return renderNotice(":no_entry_sign: " + text)
}

// RenderUsageError renders the ephemeral reply to a command that did not
// parse: what is wrong, then how to write it, as code.
func RenderUsageError(problem, usage string) Message {
	text := ":warning: " + escapeTruncate(renderOneLine(problem), 1000)
	if usage != "" {
		text += "\nUsage: " + renderCode(usage, 1000)
	}
	return renderNotice(text)
}

// RenderInternalError renders the ephemeral notice for an error a responder
// cannot act on: a reference that finds the details in mdebot's log.
func RenderInternalError(ref string) Message {
	return renderNotice(":x: Internal error (ref " + renderCode(ref, 80) + "). An operator can look this reference up in mdebot's log.")
}

// renderNotice is a one-section ephemeral message whose fallback is its text.
func renderNotice(mrkdwn string) Message {
	return newMessage(mrkdwn, slack.NewSectionBlock(renderMrkdwn(mrkdwn, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockNotice)))
}
