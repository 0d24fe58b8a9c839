package blocks

import (
	"strings"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
	"github.com/slack-go/slack"
)

// RenderSubmitted renders the thread reply posted when MDE accepts r's
// action: "Submitted to Defender: action <id>, status Pending".
func RenderSubmitted(r RequestView) Message {
	st := r.MDEStatus
	if st == "" {
		st = mde.StatusPending
	}
	text := ":outbox_tray: Submitted to Defender: action " + RenderCode(r.ActionID, 80) + ", status " + EscapeTruncate(string(st), 40)
	return RenderReply(text)
}

// RenderStatusReply renders the thread reply for one status transition of
// r's MDE action (r.MDEStatus): Pending, InProgress, then Succeeded, Failed
// (with MDE's error text), TimeOut or Cancelled, with how long it took.
func RenderStatusReply(r RequestView) Message {
	var text string
	switch r.MDEStatus {
	case mde.StatusPending:
		text = ":hourglass_flowing_sand: Defender: Pending"
	case mde.StatusInProgress:
		text = ":gear: Defender: InProgress"
	case mde.StatusSucceeded:
		text = ":large_green_circle: Defender: Succeeded" + renderDurationPhrase(" in ", r.Duration)
	case mde.StatusFailed:
		text = ":red_circle: Defender: Failed" + renderDetail(r.StatusDetail) + renderAfter(r.Duration)
	case mde.StatusTimeOut:
		text = ":red_circle: Defender: TimeOut, the machine did not run the action in time" + renderAfter(r.Duration)
	case mde.StatusCancelled:
		text = ":black_circle: Defender: Cancelled"
		if r.ClosedBy != "" {
			text += " by " + RenderMention(r.ClosedBy)
		}
		text += renderDetail(r.StatusDetail) + renderAfter(r.Duration)
	default:
		text = "Defender: " + EscapeTruncate(renderOrDash(string(r.MDEStatus)), 40)
	}
	return RenderReply(text)
}

// renderAfter is " (after 2m 10s)", or nothing when d is unknown.
func renderAfter(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return " (after " + renderDuration(d) + ")"
}

// RenderCancelReply renders the thread reply that offers to cancel r's MDE
// action. Once the action is final (or was never submitted) the same reply
// renders without its button, so editing the message retires it.
func RenderCancelReply(r RequestView) Message {
	if r.ActionID == "" || r.MDEStatus.Terminal() {
		// The status reply below says how it ended and who cancelled it;
		// the retired offer only says that it ended.
		text := "Defender action " + RenderCode(r.ActionID, 80) + " has ended"
		if r.MDEStatus != "" {
			text += ": " + EscapeTruncate(string(r.MDEStatus), 40)
		}
		return RenderReply(text + ".")
	}
	text := "Defender action " + RenderCode(r.ActionID, 80) + " is " + EscapeTruncate(renderOrDash(string(r.MDEStatus)), 40) + ". Cancel it if it should not run."
	target := renderTarget(r.Machine, r.Params.FileHash)
	confirm := slack.NewConfirmationBlockObject(
		renderPlain("Cancel the Defender action?", slackMaxConfirmTitle),
		renderPlain(renderOneLine("Defender will try to stop "+strings.ToLower(renderKindTitle(r.Kind))+" on "+target+". An action the machine already ran is not undone."), slackMaxConfirmText),
		renderPlain("Cancel action", slackMaxConfirmButton),
		renderPlain("Back", slackMaxConfirmButton),
	).WithStyle(slack.StyleDanger)
	button := slack.NewButtonBlockElement(ActionCancel, renderValue(r.ID, slackMaxButtonValue), renderPlain("Cancel", MaxButtonText)).WithStyle(slack.StyleDanger).WithConfirm(confirm)
	return newMessage(text,
		slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockReply)),
		slack.NewActionBlock(blockCancel, button),
	)
}

// RenderPackageReady renders the thread reply for a finished collection: a
// "Get download link" button that asks for a fresh, short-lived link, shown
// only to whoever clicks. Any other request renders as a plain note.
func RenderPackageReady(r RequestView) Message {
	if r.Kind != approvals.KindCollect || r.MDEStatus != mde.StatusSucceeded {
		return RenderReply("No investigation package to download for this request.")
	}
	text := ":package: The investigation package of " + RenderCode(renderTarget(r.Machine, ""), renderMaxName+2) + " is ready."
	button := slack.NewButtonBlockElement(ActionPackageLink, renderValue(r.ID, slackMaxButtonValue), renderPlain("Get download link", MaxButtonText))
	return newMessage(text,
		slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockReply)),
		slack.NewActionBlock(blockPackage, button),
	)
}

// RenderDownloadLink renders the ephemeral message carrying the package's
// SAS URL. The URL goes into the link untouched, and only if it is an
// https URL that cannot break out of <url|text>; otherwise the message says
// so and shows no link.
func RenderDownloadLink(sasURL string) Message {
	if !renderSafeURL(sasURL) {
		return RenderNotice(":warning: Defender returned a download link mdebot cannot show safely. Download the package from the Defender portal instead.")
	}
	text := ":package: " + renderLink(sasURL, "Download the investigation package") +
		"\n:warning: This link works for a short time only and gives access to the package to anyone who has it: do not share it or paste it anywhere else."
	return newMessage("Your investigation package download link (short-lived, do not share).",
		slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockNotice)),
	)
}

// ActionView is what a thread shows of an MDE machine action that mdebot
// did not create.
type ActionView struct {
	ID        string
	Type      mde.ActionType
	Status    mde.ActionStatus
	Requestor string // who created it, as MDE names them
}

// RenderForeignAction renders the thread reply of request r, not sent
// because Defender already runs someone else's action a of its type on the
// machine: mdebot shows it, and neither claims nor cancels it.
func RenderForeignAction(r RequestView, a ActionView) Message {
	requestor, status := a.Requestor, string(a.Status)
	if requestor == "" {
		requestor = "someone"
	}
	if status == "" {
		status = "status unknown"
	}
	text := ":warning: *Not sent*: Defender already has " + EscapeTruncate(string(a.Type), 60) + " on " +
		RenderCode(renderTarget(r.Machine, r.Params.FileHash), renderMaxName+2) + " by " + EscapeTruncate(requestor, 200) +
		" (" + EscapeTruncate(status, 40) + "), action " + RenderCode(a.ID, 80) + ".\n" +
		"mdebot did not take it over and will not cancel it; follow it with " + RenderCode("/mde status "+a.ID, 120) + "."
	return RenderReply(text)
}

// RenderReply is a one-section thread reply whose fallback is its text.
func RenderReply(mrkdwn string) Message {
	return newMessage(mrkdwn, slack.NewSectionBlock(renderMrkdwn(mrkdwn, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockReply)))
}
