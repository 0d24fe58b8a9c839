package blocks

import (
	"strconv"

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
	return RenderNotice(":no_entry_sign: " + text)
}

// RenderAlreadyApproved renders the refusal of a second Approve by the same
// approver on a request that still needs missing approvals from others.
func RenderAlreadyApproved(missing int) Message {
	more := "one more approver"
	if missing > 1 {
		more = strconv.Itoa(missing) + " more approvers"
	}
	return RenderNotice(":no_entry_sign: You have already approved this; it needs " + more + ".")
}

// RenderUsageError renders the ephemeral reply to a command that did not
// parse: what is wrong, then how to write it, as code.
func RenderUsageError(problem, usage string) Message {
	text := ":warning: " + EscapeTruncate(renderOneLine(problem), 1000)
	if usage != "" {
		text += "\nUsage: " + RenderCode(usage, 1000)
	}
	return RenderNotice(text)
}

// RenderInternalError renders the ephemeral notice for an error a responder
// cannot act on: a reference that finds the details in mdebot's log.
func RenderInternalError(ref string) Message {
	return RenderNotice(":x: Internal error (ref " + RenderCode(ref, 80) + "). An operator can look this reference up in mdebot's log.")
}

// RenderWorking renders an ephemeral "working on it" notice: doing says what,
// in a few words ("Looking up ws-01").
func RenderWorking(doing string) Message {
	return RenderNotice(":hourglass_flowing_sand: " + EscapeTruncate(renderOneLine(doing), 500) + "…")
}

// RenderNotice is a one-section ephemeral message whose fallback is its text.
func RenderNotice(mrkdwn string) Message {
	return newMessage(mrkdwn, slack.NewSectionBlock(renderMrkdwn(mrkdwn, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockNotice)))
}
