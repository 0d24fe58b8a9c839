package main

import (
	"strings"
	"testing"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// outbreakFleet is the fake's fleet with 30 online Windows workstations
// tagged outbreak-7, returned by short name.
func outbreakFleet(t *testing.T) ([]defendertest.Machine, []string) {
	t.Helper()
	all := defendertest.DefaultMachines()
	var names []string
	for i := range all {
		m := &all[i]
		if (m.OSPlatform == "Windows11" || m.OSPlatform == "Windows10") && m.HealthStatus == "Active" &&
			m.Outcome == (defendertest.Outcome{}) && len(names) < 30 {
			m.MachineTags = append(m.MachineTags, "outbreak-7")
			short, _, _ := strings.Cut(m.ComputerDNSName, ".")
			names = append(names, short)
		}
	}
	if len(names) < 30 {
		t.Fatalf("%d machines for the outbreak, want 30", len(names))
	}
	return all, names
}

// TestAnOutbreakOfThirtyMachinesIsOneRequestOneApproval runs the binary
// with Slack's and Defender's real limits on: /mde isolate of 30 machines
// by list, then a release of them by tag, each one card, one approval
// (two people: over 10 machines needs one more), 30 Defender actions.
func TestAnOutbreakOfThirtyMachinesIsOneRequestOneApproval(t *testing.T) {
	all, names := outbreakFleet(t)
	w := newWorld(t, spec{
		mde:   []defendertest.Option{quick, defendertest.WithMachines(all...)},
		slack: []slacktest.Option{slacktest.WithRateLimits(slacktest.SlackLimits())},
	})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate "+strings.Join(names, " ")+" selective ransomware spreading over SMB")
	card := w.card(ctx, "30 machines")
	w.cardShows(ctx, card, "one more for over 10 machines")
	w.click(ctx, bob, card, "mde_approve")
	w.cardShows(ctx, card, "1 of 2")
	w.click(ctx, carol, card, "mde_approve")
	w.cardShows(ctx, card, "30 Succeeded of 30")
	w.cardState(ctx, card, ": succeeded")
	w.reply(ctx, card, "Sent to Defender · 30 machines")
	if n := w.mde.CallCount("actions.isolate"); n != 30 {
		t.Errorf("%d isolate POSTs, want 30", n)
	}
	if n := w.replies(card, ""); n > 12 {
		t.Errorf("%d replies in the thread for 30 machines; want a few batches", n)
	}

	w.command(ctx, alice, "release tag:outbreak-7 -- contained")
	rel := w.card(ctx, "Release from isolation: 30 machines")
	w.click(ctx, bob, rel, "mde_approve")
	w.cardShows(ctx, rel, "1 of 2")
	w.click(ctx, carol, rel, "mde_approve")
	w.cardShows(ctx, rel, "30 Succeeded of 30")
	if n := w.mde.CallCount("actions.unisolate"); n != 30 {
		t.Errorf("%d release POSTs, want 30", n)
	}
	assertNoSecrets(t, w, c)
}
