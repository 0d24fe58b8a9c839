package blocks

import (
	"strconv"
	"strings"

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

// RenderAmbiguousUser renders the answer to an @name that several people
// answer to: who they are, mentioned (a mention shows the name without
// notifying in an ephemeral), and how to say which. more is set when there
// are more than those listed.
func RenderAmbiguousUser(name string, ids []string, more bool) Message {
	var ms []string
	for _, id := range ids {
		ms = append(ms, RenderMention(id))
	}
	list := strings.Join(ms, ", ")
	if more {
		list += " and others"
	}
	return RenderNotice(":grey_question: Several people are named " + RenderCode("@"+name, 100) + ": " + list +
		". Mention the one you mean (type @ and pick them).")
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

// RenderHelp renders the help text, whose lines are plain text, as as
// many sections as Slack's section limit needs after escaping: lines are
// packed into a section while they fit, and a line longer than a section
// is cut between words. Nothing is truncated.
func RenderHelp(text string) Message {
	var sections []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			sections = append(sections, cur.String())
			cur.Reset()
		}
	}
	for _, line := range strings.Split(EscapeText(text), "\n") {
		for _, piece := range splitWords(line, MaxSectionText) {
			if cur.Len() > 0 && textLen(cur.String())+1+textLen(piece) > MaxSectionText {
				flush()
			}
			if cur.Len() > 0 {
				cur.WriteString("\n")
			}
			cur.WriteString(piece)
		}
	}
	flush()
	var bs []slack.Block
	for i, sec := range sections {
		if strings.TrimSpace(sec) == "" {
			continue
		}
		bs = append(bs, slack.NewSectionBlock(renderMrkdwn(sec, MaxSectionText), nil, nil,
			slack.SectionBlockOptionBlockID(blockHelpPrefix+strconv.Itoa(i))))
	}
	first, _, _ := strings.Cut(text, "\n")
	return newMessage(EscapeTruncate(first, 300), bs...)
}

// splitWords cuts s into pieces of at most max characters, between words
// where it can (and inside a word longer than max, which escaped text
// never splits inside an entity).
func splitWords(s string, max int) []string {
	var out []string
	for textLen(s) > max {
		cut := TruncateText(s, max+1) // the longest prefix that fits, plus the ellipsis
		cut = strings.TrimSuffix(cut, ellipsis)
		if i := strings.LastIndex(cut, " "); i > 0 {
			cut = cut[:i]
		}
		if cut == "" {
			break
		}
		out = append(out, cut)
		s = strings.TrimLeft(s[len(cut):], " ")
	}
	return append(out, s)
}

// RenderInternalError renders the ephemeral notice for an error a responder
// cannot act on: a reference that finds the details in mdebot's log.
func RenderInternalError(ref string) Message {
	return RenderNotice(":x: Internal error (ref " + RenderCode(ref, 80) + "). An operator can look this reference up in mdebot's log.")
}

// RenderNotice is a one-section ephemeral message whose fallback is its text.
func RenderNotice(mrkdwn string) Message {
	return newMessage(mrkdwn, slack.NewSectionBlock(renderMrkdwn(mrkdwn, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockNotice)))
}
