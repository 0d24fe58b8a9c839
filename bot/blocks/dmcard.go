package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
)

// RenderApprovalDM renders the compact copy of r's card sent to each
// eligible approver by DM (and to the escalation channel): what, on which
// machine, by whom and why, the count and the rules, the status line, and
// while r awaits approval the Approve and Deny buttons of the card itself
// (the same actions and values, so a click here is a click on the card).
// Every change of r re-renders it with the card.
func RenderApprovalDM(r RequestView, now time.Time) Message {
	text := fmt.Sprintf("*%s* · requested by %s · %d of %d approvals\n*Reason*: %s", EscapeText(renderOneLine(renderHeadline(r))),
		RenderMention(r.Requester), renderApprovals(r.Decisions), r.RequiredApprovals, EscapeTruncate(renderOneLine(r.Reason), 1000))
	if rules := renderRules(r.Rules); rules != "" {
		text += "\n" + rules
	}
	bl := []slack.Block{
		slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockDMCard)),
		slack.NewContextBlock(blockCardStatus, renderMrkdwn(renderStatusLine(r, now), slackMaxContextText)),
	}
	if r.State == approvals.StateAwaiting && r.RequiredApprovals > 0 {
		approve := renderApproveButton(ActionApprove, r)
		deny := slack.NewButtonBlockElement(ActionDeny, renderValue(r.ID, slackMaxButtonValue), renderPlain("Deny", MaxButtonText)).WithStyle(slack.StyleDanger)
		bl = append(bl, slack.NewActionBlock(blockCardActions, approve, deny))
	}
	word := renderStateWord(r)
	return newMessage(fmt.Sprintf("%s requested by %s: %s", EscapeTruncate(renderOneLine(renderHeadline(r)), 300), RenderMention(r.Requester),
		strings.TrimSpace(word)), bl...)
}

// RenderEscalation is the thread reply that asks the escalation target
// (a user group, or the channel the copy went to) to decide r, undecided
// after waited.
func RenderEscalation(r RequestView, target string, waited time.Duration) Message {
	who := renderPrincipal(target)
	if !approvals.IsGroupID(target) {
		who = "<#" + target + ">"
	}
	return RenderReply(":rotating_light: Nobody decided " + RenderCode(r.ID, 40) + " within " + renderDuration(waited) + ": escalated to " + who + ".")
}
