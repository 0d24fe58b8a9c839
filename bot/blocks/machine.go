package blocks

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// renderMaxCandidates is how many machines the ambiguous-name picker lists.
const renderMaxCandidates = 10

// RenderMachine renders the reply to /mde machine: a machine's details,
// then what a responder must know before acting on it (offboarded, not
// seen for days, an unhealthy sensor). now only computes "N days ago".
func RenderMachine(m MachineView, now time.Time) Message {
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
	blocks := []slack.Block{
		slack.NewHeaderBlock(renderPlain(name, MaxHeaderText), slack.HeaderBlockOptionBlockID(blockMachine)),
		slack.NewSectionBlock(nil, objs, nil, slack.SectionBlockOptionBlockID(blockMachineFields)),
	}
	if notes := renderMachineNotes(m, now, "an action"); len(notes) > 0 {
		blocks = append(blocks, slack.NewContextBlock(blockMachineNotes, renderMrkdwn(strings.Join(notes, "\n"), slackMaxContextText)))
	}
	return newMessage("Machine "+EscapeTruncate(name, renderMaxName)+": "+EscapeTruncate(renderOrDash(m.Health), 100), blocks...)
}

// renderOfflineAfter is how long unseen makes a machine worth flagging:
// MDE's lastSeen is the last full report, sent about once a day.
const renderOfflineAfter = 24 * time.Hour

// renderMachineNotes are the states of m that change what an action will
// do, in plain words: offboarded, not seen for days, a sensor in poor
// health. action names the action in the sentences ("the action" on a
// card, "an action" for /mde machine).
func renderMachineNotes(m MachineView, now time.Time, action string) []string {
	var notes []string
	if !m.Offboarded.IsZero() {
		notes = append(notes, ":no_entry: Offboarded from Defender on "+renderDate(m.Offboarded)+
			": Defender still accepts actions for it, but the machine will never run them.")
	} else if !m.LastSeen.IsZero() && now.Sub(m.LastSeen) > renderOfflineAfter {
		days := int(now.Sub(m.LastSeen) / (24 * time.Hour))
		notes = append(notes, ":zzz: Last seen "+RenderPlural(days, "day")+" ago — "+action+
			" will wait until it reconnects (Defender keeps it pending for up to 3 days).")
	}
	switch m.Health {
	case "Inactive":
		notes = append(notes, ":warning: Health: Inactive — the sensor has stopped reporting.")
	case "NoSensorData", "NoSensorDataImpairedCommunication":
		notes = append(notes, ":warning: Health: no sensor data — Defender gets nothing from the sensor, so "+action+" may never run.")
	case "ImpairedCommunication":
		notes = append(notes, ":warning: Health: impaired communication — "+action+" may be slow to reach the machine.")
	}
	return notes
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
