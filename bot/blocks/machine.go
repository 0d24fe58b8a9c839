package blocks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// renderMaxCandidates is how many machines the ambiguous-name picker lists.
const renderMaxCandidates = 10

// RenderMachine renders the reply to /mde machine: a machine's details.
func RenderMachine(m MachineView) Message {
	name := renderOrDash(renderOneLine(m.Name))
	os := strings.TrimSpace(m.OS + " " + m.OSVersion)
	fields := []string{
		"*Machine id*\n" + RenderCode(m.ID, 50),
		"*OS*\n" + EscapeTruncate(renderOrDash(os), 200),
		"*Health*\n" + EscapeTruncate(renderOrDash(m.Health), 100),
		"*Last seen*\n" + renderDate(m.LastSeen),
		"*Risk*\n" + EscapeTruncate(renderOrDash(m.Risk), 100),
		"*Exposure*\n" + EscapeTruncate(renderOrDash(m.Exposure), 100),
		"*IP address*\n" + RenderCode(m.IP, 60),
		"*Tags*\n" + renderTags(m.Tags),
	}
	objs := make([]*slack.TextBlockObject, len(fields))
	for i, f := range fields {
		objs[i] = renderMrkdwn(f, slackMaxFieldText)
	}
	return newMessage("Machine "+EscapeTruncate(name, renderMaxName)+": "+EscapeTruncate(renderOrDash(m.Health), 100),
		slack.NewHeaderBlock(renderPlain(name, MaxHeaderText), slack.HeaderBlockOptionBlockID(blockMachine)),
		slack.NewSectionBlock(nil, objs, nil, slack.SectionBlockOptionBlockID(blockMachineFields)),
	)
}

// renderTags lists tags as code, within a field's room.
func renderTags(tags []string) string {
	if len(tags) == 0 {
		return "—"
	}
	var b strings.Builder
	for i, t := range tags {
		c := RenderCode(t, 100)
		if b.Len()+len(c) > 1500 {
			fmt.Fprintf(&b, " and %d more", len(tags)-i)
			break
		}
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(c)
	}
	return b.String()
}

// RenderMachinePicker renders the reply to a command whose machine name
// matched several machines: each of the first ten candidates with a "Use
// this machine" button, then how many more there are. total is the number
// of matches, at least len(candidates). The button's value is
// value(machine id) — the bot passes the command to re-run with the
// machine id as its target — or the machine id alone when value is nil or
// its result does not fit in a button.
func RenderMachinePicker(query string, candidates []MachineView, total int, value func(id string) string) Message {
	if total < len(candidates) {
		total = len(candidates)
	}
	intro := fmt.Sprintf("%d machines match %s. Pick one:", total, RenderCode(query, 200))
	blocks := []slack.Block{slack.NewSectionBlock(renderMrkdwn(intro, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockPickIntro))}
	for i, m := range candidates {
		if i == renderMaxCandidates {
			break
		}
		os := strings.TrimSpace(m.OS + " " + m.OSVersion)
		line := "*" + EscapeTruncate(renderOrDash(renderOneLine(m.Name)), renderMaxName) + "*  " + RenderCode(m.ID, 50) +
			"\n" + EscapeTruncate(renderOrDash(os), 200) + " · " + EscapeTruncate(renderOrDash(m.Health), 100) + " · last seen " + renderDate(m.LastSeen)
		v := m.ID
		if value != nil {
			if full := value(m.ID); textLen(full) <= slackMaxButtonValue {
				v = full
			}
		}
		button := slack.NewButtonBlockElement(PickActionID(i), renderValue(v, slackMaxButtonValue), renderPlain("Use this machine", MaxButtonText))
		blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(line, MaxSectionText), nil, slack.NewAccessory(button),
			slack.SectionBlockOptionBlockID(blockPickPrefix+strconv.Itoa(i))))
	}
	if shown := min(len(candidates), renderMaxCandidates); total > shown {
		more := fmt.Sprintf("and %d more: use a longer name or the machine id.", total-shown)
		blocks = append(blocks, slack.NewContextBlock(blockPickMore, renderMrkdwn(more, slackMaxContextText)))
	}
	return newMessage(intro, blocks...)
}
