package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Room left for user text inside composed texts.
const (
	renderMaxReason         = 2500 // a request's reason on the card
	renderMaxDecisionReason = 250  // each decision's reason on the card
	renderMaxDecisions      = 10   // decisions listed on the card
	renderMaxName           = 100  // a machine name
	renderMaxDetail         = 1500 // MDE's error text
)

// RenderRequestCard renders the one message that stands for request r: what
// is asked on which machine, by whom and why, its decisions, a status line
// kept current, and — while it awaits approval — Approve, Deny and Withdraw
// buttons. Each change of state re-renders it and edits the message in
// place. now only computes relative phrases such as "expires in 30 min".
func RenderRequestCard(r RequestView, now time.Time) Message {
	blocks := []slack.Block{
		slack.NewHeaderBlock(renderPlain(renderOneLine(renderHeadline(r)), MaxHeaderText), slack.HeaderBlockOptionBlockID(blockCardHeader)),
		slack.NewSectionBlock(nil, renderCardFields(r), nil, slack.SectionBlockOptionBlockID(blockCardFields)),
	}
	reason := "*Reason*\n" + escapeTruncate(r.Reason, renderMaxReason)
	if strings.TrimSpace(r.Reason) == "" {
		reason = "*Reason*\n_none given_"
	}
	blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(reason, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockCardReason)))
	if d := renderDecisions(r.Decisions); d != "" {
		blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(d, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockCardDecisions)))
	}
	blocks = append(blocks, slack.NewContextBlock(blockCardStatus, renderMrkdwn(renderStatusLine(r, now), slackMaxContextText)))
	if r.State == StateAwaitingApproval && r.RequiredApprovals > 0 {
		approve := slack.NewButtonBlockElement(actionApprove, renderValue(approveValue(r.ID, r.Fingerprint), slackMaxButtonValue), renderPlain("Approve", MaxButtonText)).WithStyle(slack.StylePrimary)
		if renderDisruptive(r.Kind) {
			approve = approve.WithConfirm(renderApproveConfirm(r))
		}
		deny := slack.NewButtonBlockElement(actionDeny, renderValue(r.ID, slackMaxButtonValue), renderPlain("Deny", MaxButtonText)).WithStyle(slack.StyleDanger)
		withdraw := slack.NewButtonBlockElement(actionWithdraw, renderValue(r.ID, slackMaxButtonValue), renderPlain("Withdraw", MaxButtonText))
		blocks = append(blocks, slack.NewActionBlock(blockCardActions, approve, deny, withdraw))
	}
	text := fmt.Sprintf("%s requested by %s: %s", escapeTruncate(renderOneLine(renderHeadline(r)), 300), renderMention(r.Requester), renderStateWord(r))
	return newMessage(text, blocks...)
}

// renderKindTitle names a request kind for people.
func renderKindTitle(k RequestKind) string {
	switch k {
	case KindScan:
		return "Antivirus scan"
	case KindCollect:
		return "Collect investigation package"
	case KindIsolate:
		return "Isolate"
	case KindUnisolate:
		return "Release from isolation"
	case KindRestrict:
		return "Restrict app execution"
	case KindUnrestrict:
		return "Remove app restriction"
	case KindQuarantine:
		return "Stop and quarantine file"
	case KindBlock:
		return "Block file"
	case KindUnblock:
		return "Unblock file"
	case KindOffboard:
		return "Offboard"
	}
	return truncateText(string(k), 40)
}

// renderKindParams is the kind with its parameters, in plain text:
// "Isolate (Full)", "Antivirus scan (Quick)".
func renderKindParams(k RequestKind, p ParamsView) string {
	t := renderKindTitle(k)
	switch {
	case k == KindIsolate && p.IsolationType != "":
		t += " (" + truncateText(string(p.IsolationType), 20) + ")"
	case k == KindScan && p.ScanType != "":
		t += " (" + truncateText(string(p.ScanType), 20) + ")"
	}
	return t
}

// renderTarget is what a request acts on, in plain text: the machine name
// (or id), the file hash for tenant-wide indicators.
func renderTarget(m MachineView, hash string) string {
	switch {
	case m.Name != "":
		return truncateText(m.Name, renderMaxName)
	case m.ID != "":
		return m.ID
	case hash != "":
		return truncateText(hash, 64)
	}
	return "unknown machine"
}

// renderHeadline is the card's title in plain text: "Isolate (Full): ws-01".
func renderHeadline(r RequestView) string {
	return renderKindParams(r.Kind, r.Params) + ": " + renderTarget(r.Machine, r.Params.FileHash)
}

// renderDisruptive reports whether approving k cuts a machine or a file off,
// so the Approve button asks for confirmation.
func renderDisruptive(k RequestKind) bool {
	switch k {
	case KindIsolate, KindRestrict, KindQuarantine, KindBlock, KindOffboard:
		return true
	}
	return false
}

// renderApproveConfirm is the confirmation dialog of a disruptive Approve.
func renderApproveConfirm(r RequestView) *slack.ConfirmationBlockObject {
	target := renderTarget(r.Machine, r.Params.FileHash)
	var text string
	switch r.Kind {
	case KindIsolate:
		text = "Isolating " + target + " cuts it off the network, except for Defender, until someone releases it."
	case KindRestrict:
		text = "Restricting " + target + " stops every application not signed by Microsoft from running on it."
	case KindQuarantine:
		text = "Defender will stop the file's processes on " + target + " and quarantine the file."
	case KindBlock:
		text = "Every machine in the tenant will block and quarantine this file."
	case KindOffboard:
		text = "Offboarding removes " + target + " from Defender; mdebot cannot undo it."
	}
	title := "Approve " + strings.ToLower(renderKindTitle(r.Kind)) + "?"
	return slack.NewConfirmationBlockObject(
		renderPlain(title, slackMaxConfirmTitle),
		renderPlain(renderOneLine(text), slackMaxConfirmText),
		renderPlain("Approve", slackMaxConfirmButton),
		renderPlain("Back", slackMaxConfirmButton),
	)
}

// renderCardFields are the card's facts, at most ten fields.
func renderCardFields(r RequestView) []*slack.TextBlockObject {
	m := r.Machine
	var f []string
	if m.ID != "" || m.Name != "" {
		f = append(f, "*Machine*\n"+renderCode(m.Name, renderMaxName+2)+"\n"+renderCode(m.ID, 50))
		os := strings.TrimSpace(m.OS + " " + m.OSVersion)
		f = append(f, "*OS · health*\n"+escapeTruncate(renderOrDash(os), 200)+" · "+escapeTruncate(renderOrDash(m.Health), 100))
		f = append(f, "*Last seen · risk*\n"+renderDate(m.LastSeen)+" · "+escapeTruncate(renderOrDash(m.Risk), 100))
	}
	f = append(f, "*Action*\n"+escapeText(renderKindParams(r.Kind, r.Params)))
	if r.Params.FileHash != "" {
		f = append(f, "*File*\n"+escapeTruncate(renderOrDash(string(r.Params.HashType)), 20)+" "+renderCode(r.Params.FileHash, 80))
	}
	f = append(f, "*Requested by*\n"+renderMention(r.Requester)+" · "+renderDate(r.Created))
	count := fmt.Sprintf("*Approvals*\n%d of %d", renderApprovals(r.Decisions), r.RequiredApprovals)
	if r.RequiredAtOpen > 0 && r.RequiredAtOpen < r.RequiredApprovals {
		// The larger of the count at opening and the policy's now applies.
		count += fmt.Sprintf(" (the policy now needs %d; %d when requested)", r.RequiredApprovals, r.RequiredAtOpen)
	}
	f = append(f, count)
	f = append(f, "*Expires*\n"+renderDate(r.Expires))
	if r.ActionID != "" {
		f = append(f, "*Defender action*\n"+renderCode(r.ActionID, 80))
	}
	if len(f) > slackMaxFields {
		f = f[:slackMaxFields]
	}
	objs := make([]*slack.TextBlockObject, len(f))
	for i, s := range f {
		objs[i] = renderMrkdwn(s, slackMaxFieldText)
	}
	return objs
}

func renderOrDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// renderApprovals counts the approving decisions.
func renderApprovals(ds []DecisionView) int {
	n := 0
	for _, d := range ds {
		if d.Approved {
			n++
		}
	}
	return n
}

// renderDecisions lists who decided what and when, one line each.
func renderDecisions(ds []DecisionView) string {
	var lines []string
	for i, d := range ds {
		if i == renderMaxDecisions {
			lines = append(lines, fmt.Sprintf("_and %d more_", len(ds)-i))
			break
		}
		verb := ":white_check_mark: Approved by "
		if !d.Approved {
			verb = ":no_entry: Denied by "
		}
		line := verb + renderMention(d.UserID) + " at " + renderDate(d.At)
		if strings.TrimSpace(d.Reason) != "" {
			line += ": " + escapeTruncate(renderOneLine(d.Reason), renderMaxDecisionReason)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// renderStatusLine is the card's one-line status, in mrkdwn.
func renderStatusLine(r RequestView, now time.Time) string {
	switch r.State {
	case StateAwaitingApproval:
		left := r.RequiredApprovals - renderApprovals(r.Decisions)
		if left < 1 {
			left = 1
		}
		s := "Awaiting " + renderPlural(left, "approval")
		if !r.Expires.IsZero() {
			if r.Expires.After(now) {
				s += " · expires " + renderIn(r.Expires, now)
			} else {
				s += " · expiring now"
			}
		}
		return ":hourglass_flowing_sand: " + s
	case StateApproved:
		return ":white_check_mark: Approved by " + renderMentions(renderApprovers(r.Decisions)) + renderLastApprovalAt(r.Decisions) + " · submitting to Defender"
	case StateSubmitted:
		st := string(r.MDEStatus)
		if st == "" {
			st = "Pending"
		}
		return ":gear: Defender: " + escapeTruncate(st, 40)
	case StateSucceeded:
		return ":large_green_circle: Succeeded" + renderDurationPhrase(" in ", r.Duration)
	case StateFailed:
		return ":red_circle: Failed" + renderDurationPhrase(" after ", r.Duration) + renderDetail(r.StatusDetail)
	case StateTimedOut:
		return ":red_circle: Timed out in Defender" + renderDurationPhrase(" after ", r.Duration) + renderDetail(r.StatusDetail)
	case StateCancelled:
		s := ":black_circle: Cancelled in Defender"
		if r.ClosedBy != "" {
			s += " by " + renderMention(r.ClosedBy)
		}
		return s + renderDetail(r.StatusDetail)
	case StateDenied:
		for _, d := range r.Decisions {
			if !d.Approved {
				return ":no_entry: Denied by " + renderMention(d.UserID) + renderDetail(d.Reason)
			}
		}
		return ":no_entry: Denied"
	case StateExpired:
		return ":hourglass: Expired unapproved"
	case StateWithdrawn:
		if r.ClosedBy != "" {
			return ":leftwards_arrow_with_hook: Withdrawn by " + renderMention(r.ClosedBy)
		}
		return ":leftwards_arrow_with_hook: Withdrawn"
	}
	return escapeTruncate(string(r.State), 40)
}

// renderStateWord is the state in a few words, for the fallback text.
func renderStateWord(r RequestView) string {
	switch r.State {
	case StateAwaitingApproval:
		return "awaiting approval"
	case StateApproved:
		return "approved, submitting to Defender"
	case StateSubmitted:
		return "running in Defender"
	case StateSucceeded:
		return "succeeded"
	case StateFailed:
		return "failed"
	case StateTimedOut:
		return "timed out in Defender"
	case StateCancelled:
		return "cancelled"
	case StateDenied:
		return "denied"
	case StateExpired:
		return "expired unapproved"
	case StateWithdrawn:
		return "withdrawn"
	}
	return escapeTruncate(string(r.State), 40)
}

func renderApprovers(ds []DecisionView) []string {
	var ids []string
	for _, d := range ds {
		if d.Approved && len(ids) < renderMaxDecisions {
			ids = append(ids, d.UserID)
		}
	}
	return ids
}

func renderLastApprovalAt(ds []DecisionView) string {
	var at time.Time
	for _, d := range ds {
		if d.Approved && d.At.After(at) {
			at = d.At
		}
	}
	if at.IsZero() {
		return ""
	}
	return " at " + renderDate(at)
}

func renderDurationPhrase(prep string, d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return prep + renderDuration(d)
}

// renderDetail is ": " and escaped, truncated, one-line text, or nothing.
func renderDetail(s string) string {
	s = strings.TrimSpace(renderOneLine(s))
	if s == "" {
		return ""
	}
	return ": " + escapeTruncate(s, renderMaxDetail)
}
