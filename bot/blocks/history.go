package blocks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/slack-go/slack"
)

// HistoryPageSize is how many rows RenderHistory shows; callers page by it.
// Rows beyond it are not shown (the message says how many).
const HistoryPageSize = 20

// RenderHistory renders one page of /mde history: one row per request, newest
// first as given, and a "More" button carrying cursor when cursor is not
// empty.
func RenderHistory(rows []HistoryRow, cursor string) Message {
	title := fmt.Sprintf("*History*: %s", RenderPlural(len(rows), "request"))
	if len(rows) == 0 {
		title = "*History*: no requests yet."
	}
	blocks := []slack.Block{slack.NewSectionBlock(renderMrkdwn(title, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockHistoryTitle))}
	for i, row := range rows {
		if i == HistoryPageSize {
			note := fmt.Sprintf("%d more rows not shown.", len(rows)-i)
			blocks = append(blocks, slack.NewContextBlock(blockHistoryPrefix+"cut", renderMrkdwn(note, slackMaxContextText)))
			break
		}
		blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(renderHistoryRow(row), MaxSectionText), nil, nil,
			slack.SectionBlockOptionBlockID(blockHistoryPrefix+strconv.Itoa(i))))
	}
	if cursor != "" {
		more := slack.NewButtonBlockElement(ActionHistoryMore, renderValue(cursor, slackMaxButtonValue), renderPlain("More", MaxButtonText))
		blocks = append(blocks, slack.NewActionBlock(blockHistoryMore, more))
	}
	return newMessage("mdebot history: "+RenderPlural(len(rows), "request"), blocks...)
}

// renderMaxHistoryDetail bounds Defender's failure text in a history row.
const renderMaxHistoryDetail = 200

// renderHistoryRow is one request in one short paragraph of mrkdwn.
func renderHistoryRow(row HistoryRow) string {
	target := row.MachineName
	if target == "" {
		target = row.FileHash
	}
	parts := []string{
		"*" + renderDate(row.When) + "*",
		EscapeText(renderKindTitle(row.Kind)) + " " + RenderCode(target, renderMaxName+2),
		"by " + RenderMention(row.Requester),
	}
	approvers := row.Approvers
	if len(approvers) > renderMaxDecisions {
		approvers = approvers[:renderMaxDecisions]
	}
	if len(approvers) > 0 {
		parts = append(parts, "approved by "+renderMentions(approvers))
	}
	if row.Denier != "" {
		parts = append(parts, "denied by "+RenderMention(row.Denier))
	}
	outcome := renderHistoryOutcome(row.State)
	if row.MDEDuration > 0 {
		outcome += ", Defender took " + renderDuration(row.MDEDuration)
	}
	if d := strings.TrimSpace(row.Detail); d != "" {
		outcome += ": " + EscapeTruncate(renderOneLine(d), renderMaxHistoryDetail)
	}
	parts = append(parts, outcome)
	if row.BreakGlass {
		glass := ":rotating_light: " + breakGlassMark + ", review " + EscapeText(string(row.Review))
		if row.ReviewOverdue {
			glass += " :warning: *overdue*"
		}
		parts = append(parts, glass)
	}
	if renderSafeURL(row.Permalink) {
		parts = append(parts, renderLink(row.Permalink, "thread"))
	}
	return strings.Join(parts, " · ")
}

// renderHistoryOutcome is a request's state as a history outcome: its
// word in the outcome vocabulary (approvals.Outcome), which --outcome takes.
func renderHistoryOutcome(s approvals.State) string {
	emoji := map[approvals.Outcome]string{
		approvals.OutcomePending: ":hourglass_flowing_sand:", approvals.OutcomeApproved: ":white_check_mark:",
		approvals.OutcomeRunning: ":gear:", approvals.OutcomeSucceeded: ":large_green_circle:",
		approvals.OutcomeFailed: ":red_circle:", approvals.OutcomeTimedOut: ":red_circle:",
		approvals.OutcomeCancelled: ":black_circle:", approvals.OutcomeDenied: ":no_entry:",
		approvals.OutcomeExpired: ":hourglass:", approvals.OutcomeWithdrawn: ":leftwards_arrow_with_hook:",
	}[s.Outcome()]
	if emoji == "" {
		return EscapeTruncate(string(s), 40)
	}
	return emoji + " " + EscapeText(string(s.Outcome()))
}
