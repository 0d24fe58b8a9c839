package blocks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// UnresolvedView is what RenderUnresolvedTargets shows: the targets of a
// command that do not name exactly the machines meant, each as the
// command prints it (tag:"Finance Team", ws-0042).
type UnresolvedView struct {
	Unknown     []string // names, IPs and ids no machine matches
	Ambiguous   []AmbiguousTargetView
	EmptyTags   []string // tag: targets no machine carries
	EmptyGroups []string // group: targets without machines
}

// AmbiguousTargetView is a target that names more than was meant: a name
// or IP several machines match (Machines), or a group name several device
// groups bear (GroupIDs).
type AmbiguousTargetView struct {
	Target   string
	Machines []MachineView
	GroupIDs []int64
}

// Limits of RenderUnresolvedTargets: what fits in one message, whatever
// the number of targets.
const (
	renderMaxAmbiguous       = 10 // ambiguous targets shown with their machines
	renderMaxAmbiguousShown  = 5  // machines shown per ambiguous target
	renderMaxUnresolvedEntry = 120
)

// RenderUnresolvedTargets renders the ephemeral refusal of a command some
// of whose targets are unknown, ambiguous or empty: every problem at once,
// and that nothing was requested. Long lists are cut with a count so that
// the message stays within Slack's limits however many targets there are.
func RenderUnresolvedTargets(v UnresolvedView) Message {
	n := len(v.Unknown) + len(v.Ambiguous) + len(v.EmptyTags) + len(v.EmptyGroups)
	intro := ":no_entry_sign: Nothing was requested: " + plural(n, "target does", "targets do") +
		" not name exactly the machines meant. Fix the command and send it again."
	bs := []slack.Block{slack.NewSectionBlock(renderMrkdwn(intro, MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockUnresolved))}
	list := func(id, title string, items []string) {
		if len(items) > 0 {
			bs = append(bs, slack.NewSectionBlock(renderMrkdwn(renderCodeList(title, items, MaxSectionText), MaxSectionText), nil, nil,
				slack.SectionBlockOptionBlockID(blockUnresolvedList+id)))
		}
	}
	list("unknown", fmt.Sprintf("*No machine in Defender matches* (%d):", len(v.Unknown)), v.Unknown)
	list("tags", fmt.Sprintf("*No machine carries the tag* (%d):", len(v.EmptyTags)), v.EmptyTags)
	list("groups", fmt.Sprintf("*No machine is in the device group* (%d):", len(v.EmptyGroups)), v.EmptyGroups)
	for i, a := range v.Ambiguous {
		if i == renderMaxAmbiguous {
			rest := make([]string, 0, len(v.Ambiguous)-i)
			for _, a := range v.Ambiguous[i:] {
				rest = append(rest, a.Target)
			}
			more := renderCodeList(fmt.Sprintf("and %d more ambiguous:", len(rest)), rest, slackMaxContextText)
			bs = append(bs, slack.NewContextBlock(blockUnresolvedMore, renderMrkdwn(more, slackMaxContextText)))
			break
		}
		bs = append(bs, slack.NewSectionBlock(renderMrkdwn(renderAmbiguous(a), MaxSectionText), nil, nil,
			slack.SectionBlockOptionBlockID(blockUnresolvedAmb+strconv.Itoa(i))))
	}
	return newMessage(intro, bs...)
}

// renderAmbiguous shows one ambiguous target and what it matches.
func renderAmbiguous(a AmbiguousTargetView) string {
	target := RenderCode(a.Target, renderMaxUnresolvedEntry)
	if len(a.Machines) == 0 {
		ids := make([]string, len(a.GroupIDs))
		for i, id := range a.GroupIDs {
			ids[i] = RenderCode("group:"+strconv.FormatInt(id, 10), 40)
		}
		return target + " *names " + strconv.Itoa(len(a.GroupIDs)) + " device groups*: name one by its id, " + strings.Join(ids, " or ") + "."
	}
	lines := []string{target + " *matches " + strconv.Itoa(len(a.Machines)) + " machines*: name one by its full DNS name or machine id."}
	for i, m := range a.Machines {
		if i == renderMaxAmbiguousShown {
			lines = append(lines, fmt.Sprintf("• and %d more", len(a.Machines)-i))
			break
		}
		os := strings.TrimSpace(m.OS + " " + m.OSVersion)
		lines = append(lines, "• "+RenderCode(m.Name, renderMaxName+2)+" "+RenderCode(m.ID, 50)+" · "+
			EscapeTruncate(renderOrDash(os), 100)+" · "+EscapeTruncate(renderOrDash(m.Health), 60)+" · last seen "+renderDate(m.LastSeen))
	}
	return strings.Join(lines, "\n")
}

// renderCodeList is title then items as code, separated by commas, cut
// with a count of the rest where the next would pass max characters.
func renderCodeList(title string, items []string, max int) string {
	var b strings.Builder
	b.WriteString(title)
	for i, it := range items {
		code := RenderCode(it, renderMaxUnresolvedEntry)
		more := fmt.Sprintf(" and %d more", len(items)-i)
		if textLen(b.String())+2+textLen(code)+textLen(more) > max && i > 0 {
			b.WriteString(more)
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" " + code)
	}
	return b.String()
}

// plural is "1 target does" or "3 targets do".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
