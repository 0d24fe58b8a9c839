package blocks

import (
	"fmt"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestMachineReplyShowsTheDetails(t *testing.T) {
	checkGoldenMessage(t, RenderMachine(cardMachine(), cardNow))
}

func TestMachineReplySaysWhatStopsAnAction(t *testing.T) {
	for name, edit := range map[string]func(m *MachineView){
		"Offboarded": func(m *MachineView) {
			m.Offboarded, m.LastSeen, m.Health = cardNow.Add(-50*time.Hour), cardNow.Add(-60*time.Hour), "Inactive"
		},
		"OfflineForDays": func(m *MachineView) { m.LastSeen = cardNow.Add(-2*24*time.Hour - time.Hour) },
		"NoSensorData":   func(m *MachineView) { m.Health = "NoSensorDataImpairedCommunication" },
	} {
		t.Run(name, func(t *testing.T) {
			m := cardMachine()
			edit(&m)
			checkGoldenMessage(t, RenderMachine(m, cardNow))
		})
	}
}

func pickCandidates(n int) []MachineView {
	ms := make([]MachineView, n)
	for i := range ms {
		ms[i] = cardMachine()
		ms[i].Name = fmt.Sprintf("ws-fin-%02d.contoso.local", i+1)
		ms[i].ID = fmt.Sprintf("%040x", i+1)
		ms[i].LastSeen = cardNow.Add(-time.Duration(i) * time.Hour)
	}
	return ms
}

func TestPickerOffersEachCandidate(t *testing.T) {
	m := RenderMachinePicker("ws-fin", pickCandidates(3), 3, nil)
	checkGoldenMessage(t, m)
	if n := countButtons(m, actionPickMachine); n != 3 {
		t.Errorf("%d buttons, want 3", n)
	}
}

func TestPickerListsTenCandidatesAndCountsTheRest(t *testing.T) {
	m := RenderMachinePicker("ws", pickCandidates(12), 37, nil)
	checkGoldenMessage(t, m)
	if n := countButtons(m, actionPickMachine); n != 10 {
		t.Errorf("%d buttons, want 10", n)
	}
}

func TestMachineRepliesStayWithinLimitsWhateverTheInput(t *testing.T) {
	checkLimits(t, RenderMachine(cardHostileMachine(0), cardNow), nil, nil)
	ms := make([]MachineView, 60)
	for i := range ms {
		ms[i] = cardHostileMachine(i)
	}
	checkLimits(t, RenderMachinePicker(cardHostile, ms, 5, func(id string) string { return "isolate " + id + " " + cardHostile }), nil, nil)
}

// countButtons counts the buttons with actionID in m, in section
// accessories and actions blocks.
func countButtons(m Message, actionID string) int {
	n := 0
	for _, b := range m.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Accessory != nil && s.Accessory.ButtonElement != nil &&
			(s.Accessory.ButtonElement.ActionID == actionID || actionID == actionPickMachine && IsPickAction(s.Accessory.ButtonElement.ActionID)) {
			n++
		}
	}
	for _, btn := range cardButtons(m) {
		if btn.ActionID == actionID {
			n++
		}
	}
	return n
}
