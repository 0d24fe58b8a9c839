package blocks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// blocksText is m's blocks as JSON, to look for what they say.
func blocksText(t *testing.T, m Message) string {
	t.Helper()
	b, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnresolvedTargetsListEveryProblem(t *testing.T) {
	ws100 := func(domain, id, os string) MachineView {
		return MachineView{ID: strings.Repeat(id, 40), Name: "ws-0100." + domain + ".local", OS: os, OSVersion: "23H2",
			Health: "Active", LastSeen: cardNow.Add(-time.Hour)}
	}
	m := RenderUnresolvedTargets(UnresolvedView{
		Unknown:     []string{"ws-9999", "10.9.9.9"},
		Ambiguous:   []AmbiguousTargetView{{Target: "ws-0100", Machines: []MachineView{ws100("contoso", "a", "Windows11"), ws100("fabrikam", "b", "Windows10")}}, {Target: "group:Lab", GroupIDs: []int64{7, 9}}},
		EmptyTags:   []string{`tag:"Finance Team"`},
		EmptyGroups: []string{"group:404"},
	})
	checkGoldenMessage(t, m)
	text := blocksText(t, m)
	for _, want := range []string{"ws-9999", "10.9.9.9", "ws-0100.fabrikam.local", "group:7", "Finance Team", "group:404"} {
		if !strings.Contains(text, want) {
			t.Errorf("the message does not name %s", want)
		}
	}
	if !strings.HasPrefix(m.Text, ":no_entry_sign: Nothing was requested: 6 targets do not") {
		t.Errorf("text = %q", m.Text)
	}
}

func TestUnresolvedTargetsStayWithinSlacksLimitsForManyHostileNames(t *testing.T) {
	var v UnresolvedView
	for i := range 80 {
		v.Unknown = append(v.Unknown, fmt.Sprintf("<!channel>*ws*_%03d_&amp;`%s", i, strings.Repeat("x", 200)))
		v.EmptyTags = append(v.EmptyTags, fmt.Sprintf(`tag:"<@U123> %d %s"`, i, cardHostile[:150]))
		v.EmptyGroups = append(v.EmptyGroups, fmt.Sprintf("group:%d", i))
	}
	for i := range 30 {
		var ms []MachineView
		for j := range 20 {
			ms = append(ms, cardHostileMachine(j))
		}
		v.Ambiguous = append(v.Ambiguous, AmbiguousTargetView{Target: fmt.Sprintf("ws-%02d", i) + cardHostile[:100], Machines: ms})
	}
	m := RenderUnresolvedTargets(v)
	checkGoldenMessage(t, m)
	text := blocksText(t, m)
	for _, want := range []string{"and 20 more ambiguous", "(80):", "• and 15 more", "group:79`"} {
		if !strings.Contains(text, want) {
			t.Errorf("the message does not say %q", want)
		}
	}
	if !strings.Contains(text, "` and 5") && !strings.Contains(text, " more\"") {
		t.Error("the names that do not fit are not counted")
	}
}
