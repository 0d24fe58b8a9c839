package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/mdebot/mdebot/approvals"
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
	header := renderOneLine(renderHeadline(r))
	if r.BreakGlass {
		header = breakGlassMark + " · " + header
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(renderPlain(header, MaxHeaderText), slack.HeaderBlockOptionBlockID(blockCardHeader)),
	}
	if r.BreakGlass {
		blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(renderBreakGlassLine(r), MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockCardBreakGlass)))
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, renderCardFields(r), nil, slack.SectionBlockOptionBlockID(blockCardFields)))
	if len(r.Targets) > 0 {
		blocks = append(blocks, renderTargetBlocks(r, now)...)
	}
	if notes := renderCardNotes(r, now); len(notes) > 0 {
		blocks = append(blocks, slack.NewContextBlock(blockCardNotes, renderMrkdwn(strings.Join(notes, "\n"), slackMaxContextText)))
	}
	reason := "*Reason*\n" + EscapeTruncate(r.Reason, renderMaxReason)
	if strings.TrimSpace(r.Reason) == "" {
		reason = "*Reason*\n_none given_"
	}
	blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(reason, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockCardReason)))
	if d := renderDecisions(r.Decisions); d != "" {
		blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(d, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockCardDecisions)))
	}
	blocks = append(blocks, slack.NewContextBlock(blockCardStatus, renderMrkdwn(renderStatusLine(r, now), slackMaxContextText)))
	if r.State == approvals.StateAwaiting && r.RequiredApprovals > 0 {
		approve := renderApproveButton(ActionApprove, r)
		deny := slack.NewButtonBlockElement(ActionDeny, renderValue(r.ID, slackMaxButtonValue), renderPlain("Deny", MaxButtonText)).WithStyle(slack.StyleDanger)
		withdraw := slack.NewButtonBlockElement(ActionWithdraw, renderValue(r.ID, slackMaxButtonValue), renderPlain("Withdraw", MaxButtonText))
		blocks = append(blocks, slack.NewActionBlock(blockCardActions, approve, deny, withdraw))
	}
	if len(r.Targets) > 0 && bulkCancellable(r) {
		blocks = append(blocks, renderCancelAll(r))
	}
	if b := renderReviewButtons(r); b != nil {
		blocks = append(blocks, b)
	}
	text := fmt.Sprintf("%s requested by %s: %s", EscapeTruncate(renderOneLine(renderHeadline(r)), 300), RenderMention(r.Requester), renderStateWord(r))
	if r.BreakGlass {
		text = breakGlassMark + ": " + text
	}
	return newMessage(text, blocks...)
}

// renderCardNotes warn of what will stop the action: before approval, a
// platform MDE refuses it on; until it ends, an offboarded or long-unseen
// machine or a sensor in poor health.
func renderCardNotes(r RequestView, now time.Time) []string {
	switch r.State {
	case approvals.StateAwaiting, approvals.StateApproved, approvals.StateSubmitted:
	default:
		return nil
	}
	var notes []string
	// Once Defender accepted the action, its answer beats our prediction.
	if n := renderPlatformNote(r); n != "" && r.State == approvals.StateAwaiting {
		notes = append(notes, n)
	}
	return append(notes, renderMachineNotes(r.Machine, now, "the action")...)
}

// renderPlatformNote says that Defender will refuse r for its machine's
// platform, OS version, agent or management (RequestView.PlatformNeed), or
// "" when it will not.
func renderPlatformNote(r RequestView) string {
	if r.PlatformNeed == "" {
		return ""
	}
	m := r.Machine
	runs := strings.TrimSpace(m.OS + " " + m.OSVersion)
	if r.PlatformAgent && m.AgentVersion != "" {
		runs += ", Defender client " + m.AgentVersion
	}
	return ":no_entry_sign: Defender will refuse this: " + EscapeText(renderKindParams(r.Kind, r.Params)) + " needs " + EscapeText(r.PlatformNeed) +
		"; this machine runs " + EscapeTruncate(runs, 200) + ". Approving it will fail."
}

// renderKindTitle names a request kind for people.
func renderKindTitle(k approvals.Kind) string {
	switch k {
	case approvals.KindScan:
		return "Antivirus scan"
	case approvals.KindCollect:
		return "Collect investigation package"
	case approvals.KindIsolate:
		return "Isolate"
	case approvals.KindUnisolate:
		return "Release from isolation"
	case approvals.KindRestrict:
		return "Restrict app execution"
	case approvals.KindUnrestrict:
		return "Remove app restriction"
	case approvals.KindQuarantine:
		return "Stop and quarantine file"
	case approvals.KindBlock:
		return "Block file"
	case approvals.KindUnblock:
		return "Unblock file"
	case approvals.KindOffboard:
		return "Offboard"
	}
	return TruncateText(string(k), 40)
}

// renderKindParams is the kind with its parameters, in plain text:
// "Isolate (Full)", "Antivirus scan (Quick)".
func renderKindParams(k approvals.Kind, p ParamsView) string {
	t := renderKindTitle(k)
	switch {
	case k == approvals.KindIsolate && p.IsolationType != "":
		t += " (" + TruncateText(string(p.IsolationType), 20) + ")"
	case k == approvals.KindScan && p.ScanType != "":
		t += " (" + TruncateText(string(p.ScanType), 20) + ")"
	}
	return t
}

// renderTarget is what a request acts on, in plain text: the machine name
// (or id), the file hash for tenant-wide indicators.
func renderTarget(m MachineView, hash string) string {
	switch {
	case m.Name != "":
		return TruncateText(m.Name, renderMaxName)
	case m.ID != "":
		return m.ID
	case hash != "":
		return TruncateText(hash, 64)
	}
	return "unknown machine"
}

// renderHeadline is the card's title in plain text: "Isolate (Full): ws-01".
func renderHeadline(r RequestView) string {
	return renderKindParams(r.Kind, r.Params) + ": " + renderSubject(r)
}

// renderSubject is what r acts on, in plain text: its machine or file
// (renderTarget), or "30 machines".
func renderSubject(r RequestView) string {
	if len(r.Targets) > 0 {
		return RenderPlural(len(r.Targets), "machine")
	}
	return renderTarget(r.Machine, r.Params.FileHash)
}

// renderApproveButton is the Approve button of r, with action id actionID:
// on the card and in the App Home alike, a disruptive action asks for
// confirmation first.
func renderApproveButton(actionID string, r RequestView) *slack.ButtonBlockElement {
	approve := slack.NewButtonBlockElement(actionID, renderValue(approveValue(r.ID, r.Fingerprint), slackMaxButtonValue), renderPlain("Approve", MaxButtonText)).WithStyle(slack.StylePrimary)
	if r.Kind.Disruptive() {
		approve = approve.WithConfirm(renderApproveConfirm(r))
	}
	return approve
}

// renderApproveConfirm is the confirmation dialog of a disruptive Approve.
func renderApproveConfirm(r RequestView) *slack.ConfirmationBlockObject {
	target := renderSubject(r)
	it := "it"
	if len(r.Targets) > 0 {
		it = "them"
	}
	var text string
	switch r.Kind {
	case approvals.KindIsolate:
		text = "Isolating " + target + " cuts " + it + " off the network, except for Defender, until someone releases " + it + "."
	case approvals.KindRestrict:
		text = "Restricting " + target + " stops every application not signed by Microsoft from running on " + it + "."
	case approvals.KindQuarantine:
		text = "Defender will stop the file's processes on " + target + " and quarantine the file."
	case approvals.KindBlock:
		text = "Every machine in the tenant will block and quarantine this file."
	case approvals.KindOffboard:
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
		f = append(f, "*Machine*\n"+RenderCode(m.Name, renderMaxName+2)+"\n"+RenderCode(m.ID, 50))
		os := strings.TrimSpace(m.OS + " " + m.OSVersion)
		f = append(f, "*OS · health*\n"+EscapeTruncate(renderOrDash(os), 200)+" · "+EscapeTruncate(renderOrDash(m.Health), 100))
		f = append(f, "*Last seen · risk*\n"+renderDate(m.LastSeen)+" · "+EscapeTruncate(renderOrDash(m.Risk), 100))
	}
	f = append(f, "*Action*\n"+EscapeText(renderKindParams(r.Kind, r.Params)))
	if r.Params.FileHash != "" {
		f = append(f, "*File*\n"+EscapeTruncate(renderOrDash(string(r.Params.HashType)), 20)+" "+RenderCode(r.Params.FileHash, 80))
	}
	f = append(f, "*Requested by*\n"+RenderMention(r.Requester)+" · "+renderDate(r.Created))
	rules := renderRules(r.Rules)
	if r.RequiredApprovals > 0 {
		// A kind the policy runs without approval has neither a count nor
		// an approval window to show, only the rule that says so.
		count := fmt.Sprintf("*Approvals*\n%d of %d", renderApprovals(r.Decisions), r.RequiredApprovals)
		if r.RequiredAtOpen > 0 && r.RequiredAtOpen < r.RequiredApprovals {
			// The larger of the count at opening and the policy's now applies.
			count += fmt.Sprintf(" (the policy now needs %d; %d when requested)", r.RequiredApprovals, r.RequiredAtOpen)
		}
		if rules != "" {
			count += "\n" + rules
		}
		if r.BulkOver > 0 {
			count += fmt.Sprintf("\n_one more for over %d machines_", r.BulkOver)
		}
		f = append(f, count)
		f = append(f, "*Expires*\n"+renderDate(r.Expires))
	} else if rules != "" {
		f = append(f, "*Approvals*\nnone needed\n"+rules)
	}
	if r.ActionID != "" {
		f = append(f, "*Defender action*\n"+RenderCode(r.ActionID, 80))
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

// renderRules says which policy rules set the count and whose approval
// counts: "Tier0-Servers: 2 approvals from @ir-leads", one rule a line.
func renderRules(rules []approvals.AppliedRule) string {
	lines := make([]string, 0, len(rules))
	for _, r := range rules {
		line := "_" + EscapeTruncate(renderOneLine(r.Name), 60) + "_: " + RenderPlural(r.Required, "approval")
		if len(r.Approvers) > 0 && r.Required > 0 {
			line += " from " + renderPrincipals(r.Approvers)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// renderPrincipals mentions users and user groups, comma-separated.
func renderPrincipals(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = renderPrincipal(id)
	}
	return strings.Join(out, ", ")
}

// renderPrincipal mentions a user (<@U…>) or a user group
// (<!subteam^S…>).
func renderPrincipal(id string) string {
	if approvals.IsGroupID(id) {
		return "<!subteam^" + id + ">"
	}
	return RenderMention(id)
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
		line := verb + RenderMention(d.UserID) + " at " + renderDate(d.At)
		if strings.TrimSpace(d.Reason) != "" {
			line += ": " + EscapeTruncate(renderOneLine(d.Reason), renderMaxDecisionReason)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// renderStatusLine is the card's one-line status, in mrkdwn.
func renderStatusLine(r RequestView, now time.Time) string {
	if len(r.Targets) > 0 && r.Counts != "" {
		switch r.State {
		case approvals.StateApproved, approvals.StateSubmitted, approvals.StateSucceeded,
			approvals.StateFailed, approvals.StateTimedOut, approvals.StateCancelled:
			return renderBulkStatus(r)
		}
	}
	switch r.State {
	case approvals.StateAwaiting:
		left := r.RequiredApprovals - renderApprovals(r.Decisions)
		if left < 1 {
			left = 1
		}
		s := "Awaiting " + RenderPlural(left, "approval")
		if !r.Expires.IsZero() {
			if r.Expires.After(now) {
				s += " · expires " + renderIn(r.Expires, now)
			} else {
				s += " · expiring now"
			}
		}
		return ":hourglass_flowing_sand: " + s
	case approvals.StateApproved:
		if r.ClosedBy != "" {
			return ":hourglass: Cancel requested by " + RenderMention(r.ClosedBy) +
				" while the action was being sent · mdebot is looking for it in Defender to cancel it"
		}
		return ":white_check_mark: Approved by " + renderMentions(renderApprovers(r.Decisions)) + renderLastApprovalAt(r.Decisions) + " · submitting to Defender"
	case approvals.StateSubmitted:
		st := string(r.MDEStatus)
		if st == "" {
			st = "Pending"
		}
		return ":gear: Defender: " + EscapeTruncate(st, 40)
	case approvals.StateSucceeded:
		return ":large_green_circle: Succeeded" + renderDurationPhrase(" in ", r.Duration)
	case approvals.StateFailed:
		return ":red_circle: Failed" + renderDurationPhrase(" after ", r.Duration) + renderDetail(r.StatusDetail)
	case approvals.StateTimedOut:
		return ":red_circle: Timed out in Defender" + renderDurationPhrase(" after ", r.Duration) + renderDetail(r.StatusDetail)
	case approvals.StateCancelled:
		s := ":black_circle: Cancelled in Defender"
		if r.ClosedBy != "" {
			s += " by " + RenderMention(r.ClosedBy)
		}
		return s + renderDetail(r.StatusDetail)
	case approvals.StateDenied:
		// Who denied it and why stand once, in the decisions above.
		return ":no_entry: Denied"
	case approvals.StateExpired:
		return ":hourglass: Expired unapproved"
	case approvals.StateWithdrawn:
		if r.ClosedBy != "" {
			return ":leftwards_arrow_with_hook: Withdrawn by " + RenderMention(r.ClosedBy)
		}
		return ":leftwards_arrow_with_hook: Withdrawn"
	}
	return EscapeTruncate(string(r.State), 40)
}

// renderStateWord is the state in a few words, for the fallback text.
func renderStateWord(r RequestView) string {
	switch r.State {
	case approvals.StateAwaiting:
		return "awaiting approval"
	case approvals.StateApproved:
		if r.ClosedBy != "" {
			return "approved, cancel requested while being sent"
		}
		return "approved, submitting to Defender"
	case approvals.StateSubmitted:
		return "running in Defender"
	case approvals.StateSucceeded:
		return "succeeded"
	case approvals.StateFailed:
		return "failed"
	case approvals.StateTimedOut:
		return "timed out in Defender"
	case approvals.StateCancelled:
		return "cancelled"
	case approvals.StateDenied:
		return "denied"
	case approvals.StateExpired:
		return "expired unapproved"
	case approvals.StateWithdrawn:
		return "withdrawn"
	}
	return EscapeTruncate(string(r.State), 40)
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
	return ": " + EscapeTruncate(s, renderMaxDetail)
}
