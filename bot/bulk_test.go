package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// bulkFleet is the fake's fleet with one workstation whose actions fail,
// and the names of the 30 online Windows workstations a bulk request
// names (the fake gives them their ids: see fleetMachines).
func bulkFleet(t *testing.T) ([]defendertest.Machine, []string) {
	t.Helper()
	all := defendertest.DefaultMachines()
	var ws []string
	for i := range all {
		m := &all[i]
		if m.OSPlatform != "Windows11" && m.OSPlatform != "Windows10" || m.HealthStatus != "Active" || m.Outcome != (defendertest.Outcome{}) {
			continue
		}
		if len(ws) == 5 {
			m.Outcome = defendertest.Outcome{Status: "Failed", Error: "Isolation could not be applied: the device did not respond"}
		}
		ws = append(ws, m.ComputerDNSName)
		if len(ws) == 30 {
			break
		}
	}
	if len(ws) < 30 {
		t.Fatalf("the fake fleet has %d online Windows workstations; the test needs 30", len(ws))
	}
	return all, ws
}

// fleetMachines are the fake's machines named names, in that order.
func (h *harness) fleetMachines(names []string) []defendertest.Machine {
	h.t.Helper()
	byName := map[string]defendertest.Machine{}
	for _, m := range h.mde.Machines() {
		byName[m.ComputerDNSName] = m
	}
	out := make([]defendertest.Machine, len(names))
	for i, n := range names {
		m, ok := byName[n]
		if !ok || m.ID == "" {
			h.t.Fatalf("the fake has no machine %s", n)
		}
		out[i] = m
	}
	return out
}

// openBulk opens a bulk request for ms as the responder, through the
// running bot, as /mde does once the names are resolved.
func (h *harness) openBulk(kind approvals.Kind, ms []defendertest.Machine, reason string) {
	h.t.Helper()
	var dms []defender.Machine
	for _, m := range ms {
		dm, err := h.def.Machines.Get(h.ctx(), defender.MachineID(m.ID))
		if err != nil {
			h.t.Fatal(err)
		}
		dms = append(dms, dm)
	}
	d := approvals.Draft{Kind: kind, Requester: responder, Channel: socChannel, Reason: reason, Targets: bulkTargets(dms)}
	switch kind {
	case approvals.KindIsolate:
		d.Params.Isolation = defender.IsolationFull
	case approvals.KindScan:
		d.Params.Scan = defender.ScanQuick
	}
	h.mu.Lock()
	b := h.bot
	h.mu.Unlock()
	b.open(h.ctx(), interaction{user: responder, channel: socChannel}, d, blocks.MachineView{})
}

func TestBulkIsolateOfThirtyMachinesOneApprovalThirtyActions(t *testing.T) {
	all, names := bulkFleet(t)
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = append(c.mdeOpts, defendertest.WithMachines(all...), defendertest.WithProgress(2*time.Second, 2*time.Second))
		// A poll every half second, as the real one (15 s) batches what
		// changed in between.
		c.poll = 500 * time.Millisecond
	})
	ws := h.fleetMachines(names)
	ctx := h.ctx()
	// Machine 0 already isolating by mdebot (its own request, approved);
	// machine 1 isolating by someone in the portal.
	h.slash(responder, socChannel, "isolate "+ws[0].ID+" full earlier alert")
	single := h.card("requested by")
	h.click(approver1, single, blocks.ActionApprove)
	h.reply(single, "Defender")
	portal, err := h.def.Actions.Isolate(ctx, defender.MachineID(ws[1].ID), defender.IsolationFull, "isolated from the portal by the SOC")
	if err != nil {
		t.Fatal(err)
	}

	h.openBulk(approvals.KindIsolate, ws, "ransomware outbreak, INC-7")
	card := h.card("30 machines")
	if !strings.Contains(shown(card), "one more for over 10 machines") || !strings.Contains(shown(card), "0 of 2") {
		t.Fatalf("card does not ask for 2 approvals (one more over 10 machines):\n%s", shown(card))
	}
	if !strings.Contains(shown(card), "follows R-") {
		t.Errorf("card does not show the machine already isolating by mdebot as reused:\n%s", shown(card))
	}
	// The requester cannot approve; two approvers do, once each.
	h.click(responder, card, blocks.ActionApprove)
	h.ephemeral(responder, "cannot approve")
	h.click(approver1, card, blocks.ActionApprove)
	h.click(approver2, h.wait("the card with one approval", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 of 2")
	}), blocks.ActionApprove)

	final := h.wait("the card's final aggregate", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "29 Succeeded") && strings.Contains(shown(m), "1 Failed")
	})
	if !strings.Contains(shown(final), "of 30") {
		t.Errorf("final card:\n%s", shown(final))
	}
	failed := h.reply(card, "1 Failed")
	if !strings.Contains(shown(failed), ws[5].ComputerDNSName) || !strings.Contains(shown(failed), "did not respond") {
		t.Errorf("the failed machine is not named with MDE's error:\n%s", shown(failed))
	}
	h.reply(card, "someone else")

	// One action per machine: none doubled, the portal's never claimed.
	perMachine := map[string]int{}
	for _, a := range h.mde.Actions() {
		if a.Type == "Isolate" {
			perMachine[a.MachineID]++
		}
	}
	for _, m := range ws {
		if perMachine[m.ID] != 1 {
			t.Errorf("machine %s has %d isolate actions, want 1", m.ComputerDNSName, perMachine[m.ID])
		}
	}
	var bulk *approvals.Request
	page, err := h.db.History(ctx, approvals.HistoryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Requests {
		if r.Bulk() {
			bulk = r
		}
	}
	if bulk == nil || bulk.State != approvals.StateFailed || bulk.Error != "1 of 30 machines did not succeed" {
		t.Fatalf("bulk request %+v", bulk)
	}
	if tg := bulk.TargetFor(defender.MachineID(ws[1].ID)); tg.Owner != approvals.OwnerForeign || !strings.EqualFold(tg.ActionID, portal.Action.ID) {
		t.Errorf("the portal's action: %+v; want it followed as someone else's", *tg)
	}
	for _, a := range h.mde.Actions() {
		if strings.EqualFold(a.ID, portal.Action.ID) && a.Status == "Cancelled" {
			t.Error("mdebot cancelled someone else's action")
		}
	}
	// Not one reply per machine: the thread tells batches.
	replies := 0
	for _, m := range h.slack.Messages(socChannel) {
		if m.ThreadTS == card.TS {
			replies++
		}
	}
	// 30 machines make 90 changes (sent, InProgress, Succeeded): told in a
	// reply per poll that saw some, not one each.
	if replies < 2 || replies > 12 {
		t.Errorf("%d thread replies for 30 machines; want a few batches", replies)
	}
}

func TestBulkCancelAllPendingStopsOwnActionsOnly(t *testing.T) {
	all, names := bulkFleet(t)
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = append(c.mdeOpts, defendertest.WithMachines(all...), defendertest.WithProgress(time.Hour, time.Hour))
		c.policy.Approvals = map[approvals.Kind]int{approvals.KindScan: 0}
	})
	ws := h.fleetMachines(names)
	ctx := h.ctx()
	portal, err := h.def.Actions.RunAntivirusScan(ctx, defender.MachineID(ws[2].ID), defender.ScanQuick, "portal scan")
	if err != nil {
		t.Fatal(err)
	}
	h.openBulk(approvals.KindScan, ws[:4], "sweep")
	card := h.wait("the bulk card sent", func(m slacktest.Message) bool {
		return m.ThreadTS == "" && strings.Contains(shown(m), "4 machines") && strings.Contains(shown(m), "Cancel all pending")
	})
	h.click(approver1, card, blocks.ActionCancel)
	h.wait("the card cancelled", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "3 Cancelled")
	})
	h.reply(card, "asked to cancel every machine")
	for _, a := range h.mde.Actions() {
		if strings.EqualFold(a.ID, portal.Action.ID) && a.Status == "Cancelled" {
			t.Error("Cancel all pending cancelled someone else's scan")
		}
	}
}

// manualFleet is manualMDE over bulkFleet's machines.
func manualFleet(all []defendertest.Machine) func(*harnessConfig) {
	return func(c *harnessConfig) {
		c.mdeOpts = []defendertest.Option{defendertest.WithMachines(all...), defendertest.WithProgress(0, 0), defendertest.WithRateLimits(0, 0)}
	}
}

// isolatesPerMachine counts the fake's isolate actions by machine id.
func (h *harness) isolatesPerMachine() map[string]int {
	n := map[string]int{}
	for _, a := range h.mde.Actions() {
		if a.Type == "Isolate" {
			n[a.MachineID]++
		}
	}
	return n
}

func TestBulkLostRepliesAreRecoveredNeverDoubled(t *testing.T) {
	all, names := bulkFleet(t)
	h := newHarness(t, manualFleet(all))
	ws := h.fleetMachines(names[:6])
	h.openBulk(approvals.KindIsolate, ws, "outbreak")
	card := h.card("6 machines")
	var id string
	h.until("the bulk request stored", func() bool {
		page, err := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 1})
		if err == nil && len(page.Requests) == 1 {
			id = page.Requests[0].ID
		}
		return id != ""
	})
	// Machine 0's action reached Defender before (its reply lost); two
	// more POSTs will lose their replies.
	mine, err := h.def.Actions.Isolate(h.ctx(), defender.MachineID(ws[0].ID), defender.IsolationFull, commentPrefix(id)+" reached Defender")
	if err != nil {
		t.Fatal(err)
	}
	h.mde.FailNext("actions.isolate", 2, http.StatusBadGateway, "", nil)
	h.click(approver1, card, blocks.ActionApprove)
	got := waitRequest(t, h, id, func(r *approvals.Request) bool { return r.State == approvals.StateSubmitted })
	for _, m := range ws {
		if n := h.isolatesPerMachine()[m.ID]; n != 1 {
			t.Errorf("%s has %d isolate actions, want 1", m.ComputerDNSName, n)
		}
	}
	if tg := got.TargetFor(defender.MachineID(ws[0].ID)); tg.ActionID != mine.Action.ID || tg.Owner != approvals.OwnerSelf {
		t.Errorf("machine 0 follows %q (%s), want its own action %q that reached Defender", tg.ActionID, tg.Owner, mine.Action.ID)
	}
}

func TestBulkActionIDsThatCouldNotBeStoredAreRecoveredNotPostedTwice(t *testing.T) {
	all, names := bulkFleet(t)
	h := newHarness(t, manualFleet(all), func(c *harnessConfig) {
		c.wrapStore = func(s approvals.Store) approvals.Store { return &failFirstSubmitted{Store: s} }
	})
	ws := h.fleetMachines(names[:8])
	h.openBulk(approvals.KindIsolate, ws, "outbreak")
	card := h.card("8 machines")
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Sent to Defender · 8 machines")
	if n := h.mde.CallCount("actions.isolate"); n != 8 {
		t.Errorf("isolate POSTs = %d, want 8: recovery must find the actions, not post them again", n)
	}
	for _, m := range ws {
		if n := h.isolatesPerMachine()[m.ID]; n != 1 {
			t.Errorf("%s has %d isolate actions, want 1", m.ComputerDNSName, n)
		}
	}
}

func TestBulkCancelOfOneMachineByItsActionID(t *testing.T) {
	all, names := bulkFleet(t)
	h := newHarness(t, manualFleet(all))
	ws := h.fleetMachines(names[:3])
	h.openBulk(approvals.KindIsolate, ws, "outbreak")
	card := h.card("3 machines")
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Sent to Defender")
	var target string
	for _, a := range h.mde.Actions() {
		if a.MachineID == ws[1].ID {
			target = a.ID
		}
	}
	h.slash(outsider, socChannel, "cancel "+target+" not yours")
	h.ephemeral(outsider, "")
	h.slash(responder, socChannel, "cancel "+target+" wrong host")
	h.until("the machine's action cancelled in Defender", func() bool {
		for _, a := range h.mde.Actions() {
			if a.ID == target {
				return a.Status == "Cancelled"
			}
		}
		return false
	})
	for _, a := range h.mde.Actions() {
		if a.ID != target && a.Status == "Cancelled" {
			t.Errorf("the cancel of one machine cancelled %s's action too", a.MachineID)
		}
	}
	h.wait("the card counting the cancelled machine", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 Cancelled")
	})
	h.reply(card, "asked to cancel the action on")
}

func TestBulkCrashAfterMarkingAndARestartSendEachMachineOnce(t *testing.T) {
	all, names := bulkFleet(t)
	h := newHarness(t, manualFleet(all))
	ws := h.fleetMachines(names[:5])
	h.openBulk(approvals.KindIsolate, ws, "outbreak")
	card := h.card("5 machines")
	h.stop()
	// A crash after the machines were marked as being sent: two of the
	// POSTs had reached Defender, their replies lost with the process.
	ctx := h.ctx()
	page, err := h.db.History(ctx, approvals.HistoryQuery{Limit: 1})
	if err != nil || len(page.Requests) != 1 {
		t.Fatalf("history: %v", err)
	}
	r := page.Requests[0]
	res, err := h.svc.Approve(ctx, r.ID, approver1, r.Fingerprint())
	if err != nil || !res.Executable {
		t.Fatalf("approve: %v %v", res.Executable, err)
	}
	var ids []defender.MachineID
	for _, m := range ws {
		ids = append(ids, defender.MachineID(m.ID))
	}
	if _, err := h.svc.MarkTargetsSubmitting(ctx, r.ID, ids); err != nil {
		t.Fatal(err)
	}
	for _, m := range ws[:2] {
		if _, err := h.def.Actions.Isolate(ctx, defender.MachineID(m.ID), defender.IsolationFull, commentPrefix(r.ID)+" before the crash"); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	got := waitRequest(t, h, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateSubmitted })
	for _, m := range ws {
		if n := h.isolatesPerMachine()[m.ID]; n != 1 {
			t.Errorf("%s has %d isolate actions, want 1", m.ComputerDNSName, n)
		}
	}
	// Tracking resumes after a second restart too: Defender finishes them
	// while mdebot is down.
	h.stop()
	for _, tg := range got.Targets {
		if err := h.mde.SetStatus(tg.ActionID, "Succeeded"); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	h.wait("the card's final aggregate", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "5 Succeeded of 5")
	})
}

// taggedFleet is the fake's fleet with every online Windows workstation of
// bulkFleet tagged tag (and one failing, as bulkFleet).
func taggedFleet(t *testing.T, tag string) ([]defendertest.Machine, []string) {
	all, names := bulkFleet(t)
	for i := range all {
		for _, n := range names {
			if all[i].ComputerDNSName == n {
				all[i].MachineTags = append(all[i].MachineTags, tag)
			}
		}
	}
	return all, names
}

func TestSlashIsolateOfThirtyMachinesByListAndByTag(t *testing.T) {
	all, names := taggedFleet(t, "outbreak-7")
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = append(c.mdeOpts, defendertest.WithMachines(all...))
	})
	short := make([]string, len(names))
	for i, n := range names {
		short[i], _, _ = strings.Cut(n, ".")
	}
	// By list: the names end at the isolation type.
	h.slash(responder, socChannel, "isolate "+strings.Join(short, " ")+" selective suspected ransomware")
	card := h.card("30 machines")
	if !strings.Contains(shown(card), "Isolate (Selective)") || !strings.Contains(shown(card), "suspected ransomware") {
		t.Fatalf("list card:\n%s", shown(card))
	}
	h.click(approver1, card, blocks.ActionApprove)
	h.click(approver2, h.wait("one approval", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "1 of 2")
	}), blocks.ActionApprove)
	h.wait("the card's aggregate", func(m slacktest.Message) bool {
		return m.TS == card.TS && strings.Contains(shown(m), "29 Succeeded") && strings.Contains(shown(m), "1 Failed")
	})
	if n := h.mde.CallCount("actions.isolate"); n != 30 {
		t.Errorf("isolate POSTs = %d, want 30", n)
	}

	// By tag: a release of the same 30, in one command.
	h.slash(responder, socChannel, "release tag:outbreak-7 -- contained, releasing")
	rel := h.card("Release from isolation: 30 machines")
	h.click(approver1, rel, blocks.ActionApprove)
	h.click(approver2, h.wait("one approval", func(m slacktest.Message) bool {
		return m.TS == rel.TS && strings.Contains(shown(m), "1 of 2")
	}), blocks.ActionApprove)
	h.wait("the release's aggregate", func(m slacktest.Message) bool {
		return m.TS == rel.TS && strings.Contains(shown(m), "Succeeded") && strings.Contains(shown(m), "of 30")
	})
	// History: each bulk request is one row, with its machines' outcomes.
	h.slash(approver1, socChannel, "history --kind isolate")
	row := h.ephemeral(approver1, "30 machines")
	if !strings.Contains(shown(row), "29 Succeeded · 1 Failed of 30") {
		t.Errorf("history row of the bulk isolate:\n%s", shown(row))
	}
}

func TestSlashRefusesTheWholeSetWhenOneNameIsUnknown(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0003, ws-0006, ws-9999 full -- lateral movement")
	h.ephemeral(responder, "ws-9999")
	page, err := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 10})
	if err != nil || len(page.Requests) != 0 {
		t.Errorf("%d requests opened (%v); want none until every name resolves", len(page.Requests), err)
	}
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Errorf("isolate POSTs = %d, want 0", n)
	}
}

func TestSlashRefusesMoreMachinesThanThePolicyAllows(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.policy.MaxMachines = 2 })
	h.slash(responder, socChannel, "scan ws-0003 ws-0006 ws-0009 quick sweep")
	h.ephemeral(responder, "policy.max_machines")
	h.slash(responder, socChannel, "scan tag:finance quick sweep")
	h.ephemeral(responder, "(policy.max_machines: 2)")
}

func TestABulkCardThatCannotListEveryMachinePostsTheWholeListInItsThread(t *testing.T) {
	var ms []defendertest.Machine
	var names []string
	for i := range 200 {
		names = append(names, fmt.Sprintf("kiosk-%03d.contoso.local", i))
		ms = append(ms, defendertest.Machine{ComputerDNSName: names[i]})
	}
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = []defendertest.Option{defendertest.WithMachines(ms...), defendertest.WithProgress(0, 0), defendertest.WithRateLimits(0, 0)}
		c.policy.MaxMachines = 200
	})
	h.openBulk(approvals.KindIsolate, h.fleetMachines(names), "kiosk worm")
	card := h.card("200 machines")
	if !strings.Contains(shown(card), "more machines: the thread") {
		t.Fatalf("the card does not say it lists only some machines:\n%.2000s", shown(card))
	}
	list := h.reply(card, "Isolate (Full) "+"R-")
	if !strings.Contains(shown(list), "kiosk-199.contoso.local") || !strings.Contains(shown(list), "kiosk-000.contoso.local") {
		t.Errorf("the thread's list lacks machines:\n%.3000s", shown(list))
	}
}

func TestABulkReplicaThatNoLongerLeadsSendsNothingToMDE(t *testing.T) {
	all, names := bulkFleet(t)
	var deposed atomic.Bool
	h := newHarness(t, manualFleet(all), func(c *harnessConfig) {
		c.stillLeads = func(context.Context) error {
			if deposed.Load() {
				return errors.New("etcdstore: this replica no longer leads")
			}
			return nil
		}
	})
	h.openBulk(approvals.KindIsolate, h.fleetMachines(names[:4]), "outbreak")
	card := h.card("4 machines")
	deposed.Store(true) // the term ends between the approval and the POSTs
	h.click(approver1, card, blocks.ActionApprove)
	h.until("the refused submissions' log lines", func() bool {
		return strings.Count(h.logs.String(), "not sent to MDE: this replica may no longer lead") >= 4
	})
	if n := h.mde.CallCount("actions.isolate"); n != 0 {
		t.Errorf("isolate POSTs by a replica whose term ended = %d, want 0", n)
	}
	page, err := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 1})
	if err != nil || len(page.Requests) != 1 {
		t.Fatal(err)
	}
	if r := page.Requests[0]; r.State != approvals.StateApproved || len(unsureTargets(r)) != 4 {
		t.Errorf("request %s with %d machines marked as being sent; want approved, all 4 left to the next leader's recovery", r.State, len(unsureTargets(r)))
	}
}

func TestACommandDeliveredTwiceOpensOneRequestAndRunsOneAction(t *testing.T) {
	h := newHarness(t)
	h.mu.Lock()
	b := h.bot
	h.mu.Unlock()
	// The same /mde command twice (Slack's retry, or a replica that died
	// handling it): the same trigger_id.
	cmd := slack.SlashCommand{TeamID: "T0FAKETEAM", UserID: responder, ChannelID: socChannel, Command: "/mde",
		Text: "scan ws-0003 ws-0006 quick -- sweep", TriggerID: "1337.42.abcdef"}
	for range 2 {
		b.handle(h.ctx(), socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: cmd})
	}
	h.card("2 machines")
	page, err := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 10})
	if err != nil || len(page.Requests) != 1 {
		t.Fatalf("%d requests (%v), want 1", len(page.Requests), err)
	}
	waitRequest(t, h, page.Requests[0].ID, func(r *approvals.Request) bool { return r.State == approvals.StateSubmitted || r.State.Final() })
	if n := h.mde.CallCount("actions.runAntiVirusScan"); n != 2 {
		t.Errorf("scan POSTs = %d, want 2 (one per machine, once)", n)
	}
	if !strings.Contains(h.logs.String(), "command already handled") {
		t.Error("the second delivery was not recognised as the same command")
	}
}

func TestABulkCollectionOffersEachPackageOnlyToTheRequesterAndApprovers(t *testing.T) {
	h := newHarness(t)
	const sas = "https://fake-blob.example/pkg.zip?sv=2024&sig=SECRETSIGNATURE456"
	h.slash(responder, socChannel, "collect ws-0003 ws-0006 ws-0009 -- timeline for case 77")
	card := h.card("3 machines")
	ready := h.reply(card, "investigation packages of 3 machines are ready")
	var page approvals.HistoryPage
	h.until("the bulk collection stored", func() bool {
		p, err := h.db.History(h.ctx(), approvals.HistoryQuery{Limit: 1})
		page = p
		return err == nil && len(p.Requests) == 1
	})
	r := page.Requests[0]
	second := r.Targets[1]
	h.mde.SetPackageURI(second.ActionID, sas)

	h.click(outsider, ready, blocks.HomeActionID(blocks.ActionPackageLink, 1))
	h.ephemeral(outsider, "Only the requester and the approvers")
	h.click(responder, ready, blocks.HomeActionID(blocks.ActionPackageLink, 1))
	link := h.ephemeral(responder, "Download the investigation package")
	if !strings.Contains(shown(link), "<"+sas+"|") {
		t.Errorf("link message lacks the second machine's SAS URL: %s", shown(link))
	}
	for _, m := range h.slack.AllMessages() {
		if strings.Contains(shown(m), "SECRETSIGNATURE") && (!m.Ephemeral || m.VisibleTo != responder) {
			t.Errorf("the SAS URL reached %q (ephemeral %v) in %s", m.VisibleTo, m.Ephemeral, m.Channel)
		}
	}
	if strings.Contains(h.logs.String(), "SECRETSIGNATURE") {
		t.Error("the SAS URL reached the log")
	}
	audited := false
	for _, rec := range h.audit(r.ID) {
		if rec.Type == approvals.EventPackageLink && rec.Actor == responder && rec.Machine == second.Machine {
			audited = true
		}
	}
	if !audited {
		t.Error("the link shown for the second machine is not audited with its machine")
	}
}
