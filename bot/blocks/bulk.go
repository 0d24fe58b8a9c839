package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

// Room for a bulk request's machines on its card and in its thread.
const (
	renderMaxTargetSections = 8    // machine-list sections on a card
	renderMaxTargetError    = 160  // MDE's error text on one machine's line
	renderMaxBatchLines     = 40   // machines named in one batch reply
	renderTargetSectionText = 2900 // a machine-list section's text, under MaxSectionText
)

// Block ids of the bulk renderings.
const (
	blockCardTargetsPrefix = "mde_card_targets_" // + section index
	blockCardTargetsMore   = "mde_card_targets_more"
	blockBatchPrefix       = "mde_batch_" // + section index
)

// TargetView is one machine of a bulk request: what the card lists.
type TargetView struct {
	ID       string // 40-hex MDE machine id
	Name     string
	OS       string
	Health   string
	LastSeen time.Time
	// Outcome is the machine's outcome in one word (approvals
	// Target.Outcome): an MDE status, NotSent, Sending or Queued.
	Outcome  string
	ActionID string
	Owner    approvals.Owner
	// OwnerRequest is the mdebot request a reused action belongs to;
	// Requestor who created a foreign one.
	OwnerRequest string
	Requestor    string
	Error        string
}

// TargetChange is one machine's change in a batch reply.
type TargetChange struct {
	Target TargetView
	// Sent is true when the change is the machine's action being sent (or
	// refused), false for a new MDE status.
	Sent bool
}

// renderTargetName is t's name, or its id.
func renderTargetName(t TargetView) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// renderTargetLine is one machine on the card: name, OS, health, last
// seen, its outcome and whose action it follows.
func renderTargetLine(t TargetView, now time.Time) string {
	line := "• " + RenderCode(renderTargetName(t), renderMaxName+2) + " · " + EscapeTruncate(renderOrDash(t.OS), 40) +
		" · " + EscapeTruncate(renderOrDash(t.Health), 40)
	if !t.LastSeen.IsZero() {
		if age := now.Sub(t.LastSeen); age > renderOfflineAfter {
			line += " · :zzz: last seen " + RenderPlural(int(age/(24*time.Hour)), "day") + " ago"
		} else {
			line += " · seen " + renderDate(t.LastSeen)
		}
	}
	if t.Health != "" && t.Health != "Active" {
		line += " :warning:"
	}
	line += " · *" + EscapeTruncate(t.Outcome, 40) + "*"
	switch t.Owner {
	case approvals.OwnerReused:
		line += " (follows " + EscapeTruncate(t.OwnerRequest, 20) + ")"
	case approvals.OwnerForeign:
		line += " (someone else's, by " + EscapeTruncate(renderOrDash(t.Requestor), 80) + ": followed, not claimed)"
	}
	if e := strings.TrimSpace(renderOneLine(t.Error)); e != "" {
		line += ": " + EscapeTruncate(e, renderMaxTargetError)
	}
	return line
}

// renderLineSections packs lines into sections of at most
// renderTargetSectionText characters, at most max of them; it returns the
// sections and how many lines did not fit.
func renderLineSections(lines []string, max int) ([]string, int) {
	var sections []string
	var cur strings.Builder
	for i, l := range lines {
		if cur.Len() > 0 && textLen(cur.String())+1+textLen(l) > renderTargetSectionText {
			sections = append(sections, cur.String())
			cur.Reset()
			if len(sections) == max {
				return sections, len(lines) - i
			}
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		sections = append(sections, cur.String())
	}
	return sections, 0
}

// renderTargetBlocks lists a bulk request's machines on its card, within
// Block Kit's limits: beyond what fits, a count and where to read them all.
func renderTargetBlocks(r RequestView, now time.Time) []slack.Block {
	lines := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		lines[i] = renderTargetLine(t, now)
	}
	sections, left := renderLineSections(lines, renderMaxTargetSections)
	var out []slack.Block
	for i, s := range sections {
		if i == 0 {
			s = fmt.Sprintf("*Machines (%d)*\n", len(r.Targets)) + s
		}
		out = append(out, slack.NewSectionBlock(renderMrkdwn(s, MaxSectionText), nil, nil,
			slack.SectionBlockOptionBlockID(fmt.Sprintf("%s%d", blockCardTargetsPrefix, i))))
	}
	if left > 0 {
		more := fmt.Sprintf("_and %d more machines: the thread and %s list every one._", left, RenderCode("/mde status "+r.ID, 60))
		out = append(out, slack.NewContextBlock(blockCardTargetsMore, renderMrkdwn(more, slackMaxContextText)))
	}
	return out
}

// TargetsLeftOff is how many of r's machines its card cannot list (0 when
// it lists them all).
func TargetsLeftOff(r RequestView, now time.Time) int {
	lines := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		lines[i] = renderTargetLine(t, now)
	}
	_, left := renderLineSections(lines, renderMaxTargetSections)
	return left
}

// renderBulkStatus is a bulk request's status line once approved: the
// action and its machines' outcomes.
func renderBulkStatus(r RequestView) string {
	s := EscapeText(renderKindParams(r.Kind, r.Params)) + " · " + EscapeTruncate(r.Counts, 400)
	switch r.State {
	case approvals.StateApproved:
		if r.ClosedBy != "" {
			return ":hourglass: Cancel requested by " + RenderMention(r.ClosedBy) + " · " + s
		}
		return ":white_check_mark: Approved by " + renderMentions(renderApprovers(r.Decisions)) + " · sending to Defender · " + s
	case approvals.StateSubmitted:
		if r.ClosedBy != "" {
			return ":hourglass: Cancel requested by " + RenderMention(r.ClosedBy) + " · " + s
		}
		return ":gear: " + s
	case approvals.StateSucceeded:
		return ":large_green_circle: " + s
	case approvals.StateCancelled:
		return ":black_circle: " + s
	}
	return ":red_circle: " + s
}

// renderCancelAll is the "Cancel all pending" button of a bulk request
// still running: it cancels every machine not yet sent and every action
// mdebot sent for it (never one it only follows).
func renderCancelAll(r RequestView) slack.Block {
	confirm := slack.NewConfirmationBlockObject(
		renderPlain("Cancel all pending?", slackMaxConfirmTitle),
		renderPlain(renderOneLine("Machines not yet sent are not sent, and Defender will try to stop "+strings.ToLower(renderKindTitle(r.Kind))+
			" on every machine where it still runs. Actions that already ran are not undone; actions mdebot only follows are left alone."), slackMaxConfirmText),
		renderPlain("Cancel all pending", slackMaxConfirmButton),
		renderPlain("Back", slackMaxConfirmButton),
	).WithStyle(slack.StyleDanger)
	button := slack.NewButtonBlockElement(ActionCancel, renderValue(r.ID, slackMaxButtonValue), renderPlain("Cancel all pending", MaxButtonText)).
		WithStyle(slack.StyleDanger).WithConfirm(confirm)
	return slack.NewActionBlock(blockCardActions, button)
}

// bulkCancellable reports whether r has anything "Cancel all pending"
// would stop.
func bulkCancellable(r RequestView) bool {
	if r.State != approvals.StateApproved && r.State != approvals.StateSubmitted {
		return false
	}
	for _, t := range r.Targets {
		if t.Owner != approvals.OwnerSelf {
			continue
		}
		switch t.Outcome {
		case "Queued", "Sending", string(mde.StatusPending), string(mde.StatusInProgress):
			return true
		}
	}
	return false
}

// RenderBulkBatch renders one thread reply for a batch of a bulk
// request's changes: the machines sent (or refused) together, or the MDE
// statuses seen in one poll. Failures are named with MDE's error; the
// rest are counted and, when few, named. It ends with the request's
// outcomes so far.
func RenderBulkBatch(r RequestView, changes []TargetChange) Message {
	counts := map[string]int{}
	var order []string
	var failed, others []string
	sent := false
	for _, c := range changes {
		t := c.Target
		sent = sent || c.Sent
		word := t.Outcome
		switch {
		case c.Sent && t.Owner == approvals.OwnerReused:
			word = "reused"
		case c.Sent && t.Owner == approvals.OwnerForeign:
			word = "someone else's"
		}
		if counts[word] == 0 {
			order = append(order, word)
		}
		counts[word]++
		name := RenderCode(renderTargetName(t), renderMaxName+2)
		switch {
		case t.Outcome == string(mde.StatusFailed) || t.Outcome == string(mde.StatusTimeOut) || (t.Outcome == "NotSent" && t.Error != ""):
			line := "• " + name + " " + EscapeTruncate(t.Outcome, 40)
			if e := strings.TrimSpace(renderOneLine(t.Error)); e != "" {
				line += ": " + EscapeTruncate(e, renderMaxTargetError)
			}
			failed = append(failed, line)
		case c.Sent && t.Owner == approvals.OwnerForeign:
			failed = append(failed, "• "+name+": Defender already runs this action by "+EscapeTruncate(renderOrDash(t.Requestor), 80)+
				" ("+RenderCode(t.ActionID, 40)+"): followed, not claimed or cancelled")
		default:
			others = append(others, name)
		}
	}
	parts := make([]string, len(order))
	for i, w := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[w], EscapeTruncate(w, 40))
	}
	head := ":gear: Defender · "
	if sent {
		head = ":outbox_tray: Sent to Defender · "
	}
	text := head + RenderPlural(len(changes), "machine") + ": " + strings.Join(parts, ", ")
	lines := failed
	if len(others) > 0 && len(others) <= renderMaxBatchLines {
		lines = append(lines, strings.Join(others, " "))
	}
	if len(lines) > renderMaxBatchLines {
		lines = append(lines[:renderMaxBatchLines], fmt.Sprintf("_and %d more; %s lists every machine._", len(lines)-renderMaxBatchLines, RenderCode("/mde status "+r.ID, 60)))
	}
	all := append([]string{text}, lines...)
	all = append(all, "_Now: "+EscapeTruncate(r.Counts, 400)+"_")
	sections, _ := renderLineSections(all, MaxBlocksPerMessage)
	bs := make([]slack.Block, len(sections))
	for i, s := range sections {
		bs[i] = slack.NewSectionBlock(renderMrkdwn(s, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(fmt.Sprintf("%s%d", blockBatchPrefix, i)))
	}
	return newMessage(text, bs...)
}

// RenderBulkStatus renders /mde status of a bulk request: every machine,
// its outcome and its Defender action.
func RenderBulkStatus(r RequestView, now time.Time) Message {
	lines := []string{"*" + EscapeText(renderKindParams(r.Kind, r.Params)) + "* · " + RenderCode(r.ID, 20) + " · " + renderStateWord(r) +
		"\n" + EscapeTruncate(r.Counts, 400)}
	for _, t := range r.Targets {
		l := renderTargetLine(t, now)
		if t.ActionID != "" {
			l += " · " + RenderCode(t.ActionID, 40)
		}
		lines = append(lines, l)
	}
	sections, left := renderLineSections(lines, MaxBlocksPerMessage-1)
	bs := make([]slack.Block, 0, len(sections)+1)
	for i, s := range sections {
		bs = append(bs, slack.NewSectionBlock(renderMrkdwn(s, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(fmt.Sprintf("%s%d", blockBatchPrefix, i))))
	}
	if left > 0 {
		bs = append(bs, slack.NewContextBlock(blockCardTargetsMore, renderMrkdwn(fmt.Sprintf("_and %d more machines_", left), slackMaxContextText)))
	}
	return newMessage(renderKindParams(r.Kind, r.Params)+" "+r.ID+": "+r.Counts, bs...)
}

// RenderBulkPackagesReady renders the thread reply of a finished bulk
// collection: a "Get download link" button per machine whose package
// Defender collected (each asks for a fresh, short-lived link, shown only
// to whoever clicks), or a note that none was.
func RenderBulkPackagesReady(r RequestView) Message {
	var buttons []slack.BlockElement
	for _, t := range r.Targets {
		if t.Owner != approvals.OwnerSelf || t.Outcome != string(mde.StatusSucceeded) || t.ActionID == "" {
			continue
		}
		buttons = append(buttons, slack.NewButtonBlockElement(HomeActionID(ActionPackageLink, len(buttons)),
			renderValue(r.ID+" "+t.ActionID, slackMaxButtonValue), renderPlain(renderTargetName(t), MaxButtonText)))
	}
	if len(buttons) == 0 {
		return RenderReply("No investigation package was collected: Defender collected none of the machines.")
	}
	text := fmt.Sprintf(":package: The investigation packages of %s are ready: each button gets its machine's download link.", RenderPlural(len(buttons), "machine"))
	bs := []slack.Block{slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockReply))}
	const perBlock = 25 // Slack's most elements in one actions block
	for i := 0; i < len(buttons) && len(bs) < MaxBlocksPerMessage; i += perBlock {
		bs = append(bs, slack.NewActionBlock(fmt.Sprintf("%s_%d", blockPackage, i/perBlock), buttons[i:min(i+perBlock, len(buttons))]...))
	}
	return newMessage(text, bs...)
}
