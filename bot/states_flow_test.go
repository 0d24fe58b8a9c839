package bot

import (
	"strings"
	"testing"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// withStateMachines seeds the fake MDE with the default fleet plus an
// offboarded machine.
func withStateMachines(c *harnessConfig) {
	c.mdeOpts = append(c.mdeOpts, defendertest.WithMachines(append(defendertest.DefaultMachines(),
		defendertest.Machine{ComputerDNSName: "gone.contoso.local", Offboarded: true})...))
}

func TestMachineRepliesSayOffboardedAndOffline(t *testing.T) {
	h := newHarness(t, withStateMachines)
	h.slash(responder, socChannel, "machine gone")
	m := h.ephemeral(responder, "Offboarded from Defender")
	if !strings.Contains(shown(m), "will never run them") {
		t.Errorf("the reply does not say actions never run: %s", shown(m))
	}
	h.slash(responder, socChannel, "machine ws-0077")
	m = h.ephemeral(responder, "days ago — an action will wait until it reconnects")
	if !strings.Contains(shown(m), "Health: Inactive") {
		t.Errorf("the reply does not flag the health: %s", shown(m))
	}
}

func TestTheCardWarnsBeforeApprovalOfWhatWillStopTheAction(t *testing.T) {
	h := newHarness(t, withStateMachines)
	for _, tc := range []struct{ command, want string }{
		{"restrict mac-0007 suspicious login", "Defender will refuse this: Restrict app execution needs Windows 10 1709 or later"},
		{"isolate gone full beaconing", "Offboarded from Defender"},
		{"isolate ws-0077 full beaconing", "days ago — the action will wait until it reconnects"},
	} {
		h.slash(responder, socChannel, tc.command)
		card := h.wait("card for "+tc.command, func(m slacktest.Message) bool {
			return m.Channel == socChannel && m.ThreadTS == "" && strings.Contains(m.Text, "awaiting approval") &&
				strings.Contains(shown(m), strings.Fields(tc.command)[1])
		})
		if !strings.Contains(shown(card), tc.want) {
			t.Errorf("%s: the card does not say %q:\n%s", tc.command, tc.want, shown(card))
		}
	}
}

func TestARunningActionOnAnOffboardedMachineSaysItWillNeverRun(t *testing.T) {
	h := newHarness(t, withStateMachines)
	h.slash(responder, socChannel, "scan gone quick routine") // a scan needs no approval
	card := h.card("running in Defender")
	h.reply(card, "Submitted to Defender")
	if !strings.Contains(shown(card), "Defender still accepts actions for it, but the machine will never run them") {
		t.Errorf("the card does not say the action will never run:\n%s", shown(card))
	}
}
