package bot

import (
	"github.com/slack-go/slack"
)

// renderMaxDenyReason is the longest reason the deny modal accepts.
const renderMaxDenyReason = 3000

// RenderDenyModal renders the modal a Deny click opens: a summary of r and
// one required, multiline reason input. Its callback_id is
// callbackDenyModal and its private_metadata is r's id; the reason comes
// back in the submission's state under blockDenyReason / actionDenyReason.
func RenderDenyModal(r RequestView) slack.ModalViewRequest {
	summary := "*" + escapeTruncate(renderOneLine(renderHeadline(r)), 300) + "*\nrequested by " + renderMention(r.Requester)
	input := slack.NewPlainTextInputBlockElement(renderPlain("Why is this request denied?", 150), actionDenyReason).
		WithMultiline(true).
		WithMaxLength(renderMaxDenyReason)
	reason := slack.NewInputBlock(blockDenyReason, renderPlain("Reason", slackMaxInputLabel),
		renderPlain("The requester and the channel see it on the card.", slackMaxInputLabel), input)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackDenyModal,
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
