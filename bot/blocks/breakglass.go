package blocks

import (
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
)

// ReviewView is the after-review of a break-glass request.
type ReviewView struct {
	State   approvals.ReviewState
	Due     time.Time
	Overdue bool
	By      string // Slack user id of the reviewer
	Note    string
	At      time.Time
}

// renderMaxReviewNote is the longest note the review modal accepts, and
// the room a note gets on the card.
const renderMaxReviewNote = 1000

// breakGlassMark heads every break-glass card and message.
const breakGlassMark = "BREAK-GLASS"

// renderBreakGlassLine is the card's break-glass line: who ran it alone,
// and where its after-review stands.
func renderBreakGlassLine(r RequestView) string {
	s := ":rotating_light: *" + breakGlassMark + "*: run by " + RenderMention(r.Requester) + " without a second person. "
	rv := r.Review
	if rv == nil {
		return s
	}
	late := ""
	if rv.Overdue {
		late = " (late)"
	}
	switch rv.State {
	case approvals.ReviewAcknowledged:
		s += ":white_check_mark: Review: acknowledged by " + RenderMention(rv.By) + late + ": " + EscapeTruncate(renderOneLine(rv.Note), renderMaxReviewNote)
	case approvals.ReviewFlagged:
		s += ":triangular_flag_on_post: Review: *flagged* by " + RenderMention(rv.By) + late
		if strings.TrimSpace(rv.Note) != "" {
			s += ": " + EscapeTruncate(renderOneLine(rv.Note), renderMaxReviewNote)
		}
	default:
		if rv.Overdue {
			s += ":warning: *Review overdue*: it was due " + renderDate(rv.Due) + "; an approver must Acknowledge or Flag it."
		} else {
			s += "An approver must review it (Acknowledge with a note, or Flag) by " + renderDate(rv.Due) + "."
		}
	}
	return s
}

// renderReviewButtons are the Acknowledge and Flag buttons of a
// break-glass request awaiting its review, or nil.
func renderReviewButtons(r RequestView) slack.Block {
	if r.Review == nil || r.Review.State != approvals.ReviewPending {
		return nil
	}
	ack := slack.NewButtonBlockElement(ActionAcknowledge, renderValue(r.ID, slackMaxButtonValue), renderPlain("Acknowledge", MaxButtonText)).WithStyle(slack.StylePrimary)
	flag := slack.NewButtonBlockElement(ActionFlag, renderValue(r.ID, slackMaxButtonValue), renderPlain("Flag", MaxButtonText)).WithStyle(slack.StyleDanger)
	return slack.NewActionBlock(blockReviewActions, ack, flag)
}

// RenderBreakGlassAlert is the message that tells approvers (by DM, and in
// slack.alert_channel) of a break-glass action at once, with the review
// buttons. link is the card's permalink, or "".
func RenderBreakGlassAlert(r RequestView, link string) Message {
	text := ":rotating_light: *" + breakGlassMark + "*: " + RenderMention(r.Requester) + " ran " + EscapeText(renderHeadline(r)) +
		" (" + RenderCode(r.ID, 40) + ") without a second person.\n*Reason*: " + EscapeTruncate(renderOneLine(r.Reason), renderMaxReason)
	if r.Review != nil {
		text += "\nAn approver must review it by " + renderDate(r.Review.Due) + ": *Acknowledge* with a note, or *Flag* it."
	}
	if link != "" {
		text += "\n<" + link + "|Open the card>"
	}
	bl := []slack.Block{slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockNotice))}
	if b := renderReviewButtons(r); b != nil {
		bl = append(bl, b)
	}
	return newMessage(breakGlassMark+": "+TruncateText(renderOneLine(renderHeadline(r)), 300)+" ran without a second person", bl...)
}

// RenderReviewReminder reminds approvers that r's break-glass review is
// still pending (overdue when r.Review.Overdue), with the review buttons.
func RenderReviewReminder(r RequestView) Message {
	what := "is still awaiting its review, due " + renderDate(r.Review.Due)
	if r.Review.Overdue {
		what = "is *overdue* for its review (due " + renderDate(r.Review.Due) + ")"
	}
	text := ":alarm_clock: " + breakGlassMark + " " + RenderCode(r.ID, 40) + " (" + EscapeText(renderHeadline(r)) + " by " +
		RenderMention(r.Requester) + ") " + what + ": Acknowledge it with a note, or Flag it."
	bl := []slack.Block{slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockNotice))}
	if b := renderReviewButtons(r); b != nil {
		bl = append(bl, b)
	}
	return newMessage(breakGlassMark+" review reminder for "+TruncateText(r.ID, 40), bl...)
}

// RenderReviewModal renders the modal an Acknowledge or Flag click opens:
// a summary of r and a note (required to acknowledge). Its callback_id is
// CallbackReviewModal and its private_metadata ReviewMetadata(flag, r.ID).
func RenderReviewModal(r RequestView, flag bool) slack.ModalViewRequest {
	summary := "*" + breakGlassMark + "* " + EscapeTruncate(renderOneLine(renderHeadline(r)), 300) + "\nrun by " + RenderMention(r.Requester) +
		"\n*Reason*: " + EscapeTruncate(renderOneLine(r.Reason), 1000)
	title, submit, label, hint := "Acknowledge", "Acknowledge", "Note", "Why was running it alone justified? It is kept in the audit log."
	if flag {
		title, submit, label, hint = "Flag break-glass", "Flag", "Note (optional)", "What is wrong with it? It is kept in the audit log."
	}
	input := slack.NewPlainTextInputBlockElement(renderPlain(hint, 150), ActionReviewNote).WithMultiline(true).WithMaxLength(renderMaxReviewNote)
	note := slack.NewInputBlock(BlockReviewNote, renderPlain(label, slackMaxInputLabel), nil, input)
	note.Optional = flag
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackReviewModal,
		Title:           renderPlain(title, slackMaxModalTitle),
		Submit:          renderPlain(submit, slackMaxModalTitle),
		Close:           renderPlain("Back", slackMaxModalTitle),
		PrivateMetadata: renderValue(ReviewMetadata(flag, r.ID), slackMaxPrivateMetadata),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(renderMrkdwn(summary, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockReviewSummary)),
			note,
		}},
	}
}

// ReviewMetadata is the review modal's private_metadata: "flag R-…" or
// "acknowledge R-…".
func ReviewMetadata(flag bool, id string) string {
	if flag {
		return "flag " + id
	}
	return "acknowledge " + id
}

// ParseReviewMetadata reads ReviewMetadata back.
func ParseReviewMetadata(s string) (flag bool, id string, ok bool) {
	verb, id, ok := strings.Cut(s, " ")
	switch {
	case !ok || id == "":
		return false, "", false
	case verb == "flag":
		return true, id, true
	case verb == "acknowledge":
		return false, id, true
	}
	return false, "", false
}
