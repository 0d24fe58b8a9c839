package blocks

import (
	"github.com/slack-go/slack"
)

// renderMaxDenyReason is the longest reason the deny modal accepts.
const renderMaxDenyReason = 3000

// RenderDenyModal renders the modal a Deny click opens: a summary of r and
// one required, multiline reason input. Its callback_id is
// CallbackDenyModal and its private_metadata is r's id; the reason comes
// back in the submission's state under BlockDenyReason / ActionDenyReason.
func RenderDenyModal(r RequestView) slack.ModalViewRequest {
	summary := "*" + EscapeTruncate(renderOneLine(renderHeadline(r)), 300) + "*\nrequested by " + RenderMention(r.Requester)
	input := slack.NewPlainTextInputBlockElement(renderPlain("Why is this request denied?", 150), ActionDenyReason).
		WithMultiline(true).
		WithMaxLength(renderMaxDenyReason)
	reason := slack.NewInputBlock(BlockDenyReason, renderPlain("Reason", slackMaxInputLabel),
		renderPlain("The requester and the channel see it on the card.", slackMaxInputLabel), input)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackDenyModal,
		Title:           renderPlain("Deny request", slackMaxModalTitle),
		Submit:          renderPlain("Deny", slackMaxModalTitle),
		Close:           renderPlain("Back", slackMaxModalTitle),
		PrivateMetadata: renderValue(r.ID, slackMaxPrivateMetadata),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(renderMrkdwn(summary, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockDenySummary)),
			reason,
		}},
	}
}
