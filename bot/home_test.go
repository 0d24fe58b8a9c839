package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

// openHome opens user's App Home and waits for a published view that
// match accepts.
func (h *harness) openHome(user string, match func(slacktest.View) bool) slacktest.View {
	h.t.Helper()
	env, err := h.slack.OpenAppHome(h.ctx(), user)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env.ID); err != nil {
		h.t.Fatal(err)
	}
	return h.home(user, match)
}

// home waits for user's App Home to match.
func (h *harness) home(user string, match func(slacktest.View) bool) slacktest.View {
	h.t.Helper()
	v, err := h.slack.WaitView(h.ctx(), func(v slacktest.View) bool { return v.Type == "home" && v.UserID == user && match(v) })
	if err != nil {
		h.t.Fatalf("waiting for the App Home of %s: %v\nviews: %v\nlog:\n%s", user, err, h.slack.Views(), lastLines(h.logs.String(), 15))
	}
	return v
}

// homeHas is a match for a home view whose JSON contains every want.
func homeHas(want ...string) func(slacktest.View) bool {
	return func(v slacktest.View) bool {
		for _, w := range want {
			if !strings.Contains(string(v.JSON), w) {
				return false
			}
		}
		return true
	}
}

// clickHome clicks actionID in user's home view and waits for the ack.
func (h *harness) clickHome(user string, v slacktest.View, blockID, actionID string) {
	h.t.Helper()
	env, err := h.slack.ClickViewButton(h.ctx(), user, v.ID, blockID, actionID, "")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env.ID); err != nil {
		h.t.Fatal(err)
	}
}

func TestAnApproverApprovesFromTheAppHomeAndTheCardFollows(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	home := h.openHome(approver1, homeHas("Awaiting your approval", "beaconing", blocks.ActionApprove))
	// The requester sees it among their own, not as theirs to approve.
	h.openHome(responder, func(v slacktest.View) bool {
		return strings.Contains(string(v.JSON), "Your open requests") && strings.Contains(string(v.JSON), "ws-0042") &&
			!strings.Contains(string(v.JSON), blocks.ActionApprove)
	})
	h.clickHome(approver1, home, blocks.BlockHomePrefix+"pending_0_actions", blocks.HomeActionID(blocks.ActionApprove, 0))
	h.card("succeeded")
	if got := h.card("succeeded"); got.TS != card.TS {
		t.Errorf("a new card was posted instead of the card being updated")
	}
	h.home(approver1, homeHas("Nothing awaits your approval."))
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1", n)
	}
	if stored, _ := h.db.Get(h.ctx(), r.ID); stored.Decisions[0].Actor != approver1 {
		t.Errorf("decisions = %+v", stored.Decisions)
	}
}

func TestAnApproverDeniesFromTheAppHomeThroughTheModal(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "unisolate ws-0042 all clear")
	h.card("awaiting approval")
	home := h.openHome(approver2, homeHas("all clear", blocks.ActionDeny))
	h.clickHome(approver2, home, "", blocks.HomeActionID(blocks.ActionDeny, 0))
	modal, err := h.slack.WaitView(h.ctx(), func(v slacktest.View) bool { return v.CallbackID == blocks.CallbackDenyModal })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.SubmitView(h.ctx(), approver2, modal.ID, map[string]map[string]string{blocks.BlockDenyReason: {blocks.ActionDenyReason: "not yet"}}); err != nil {
		t.Fatal(err)
	}
	h.card("denied")
	h.home(approver2, homeHas("Nothing awaits your approval."))
}

func TestARefusedClickInTheAppHomeIsExplainedThere(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.card("awaiting approval")
	home := h.openHome(approver1, homeHas(blocks.ActionApprove))
	if _, err := h.svc.Withdraw(h.ctx(), h.only().ID, responder); err != nil {
		t.Fatal(err)
	}
	h.clickHome(approver1, home, "", blocks.HomeActionID(blocks.ActionApprove, 0))
	h.home(approver1, homeHas("mde_home_notice"))
}

func TestTheAppHomeHistoryFiltersRepublish(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approver1} })
	h.openWithdrawn(2, func(i int) string { return fmt.Sprintf("isolation drill %d", i) })
	h.slash(responder, socChannel, "scan ws-0042 quick routine check")
	h.card("succeeded")
	home := h.openHome(approver1, homeHas("Recent history", "Antivirus scan", "Isolate"))
	env, err := h.slack.SelectViewOption(h.ctx(), approver1, home.ID, blocks.ActionHomeKind, "scan")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env.ID); err != nil {
		t.Fatal(err)
	}
	filtered := h.home(approver1, func(v slacktest.View) bool { return v.PrivateMetadata == "kind=scan" })
	if strings.Contains(historySection(t, filtered), "Isolate") || !strings.Contains(historySection(t, filtered), "Antivirus scan") {
		t.Errorf("the filtered history shows other kinds: %s", historySection(t, filtered))
	}
	env, err = h.slack.SelectViewOption(h.ctx(), approver1, home.ID, blocks.ActionHomeOutcome, "cancelled")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(h.ctx(), env.ID); err != nil {
		t.Fatal(err)
	}
	h.home(approver1, func(v slacktest.View) bool { return v.PrivateMetadata == "kind=scan&outcome=cancelled" })
}

// historySection is the text of the recent-history rows of a home view.
func historySection(t *testing.T, v slacktest.View) string {
	t.Helper()
	var view struct {
		Blocks []struct {
			BlockID string `json:"block_id"`
			Text    struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(v.JSON, &view); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, blk := range view.Blocks {
		if strings.HasPrefix(blk.BlockID, blocks.BlockHomePrefix+"history_") {
			b.WriteString(blk.Text.Text + "\n")
		}
	}
	return b.String()
}

func TestTheAppHomeStaysWithinSlacksBlockLimitWithManyRequests(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approver1} })
	ctx := h.ctx()
	for i := range 120 {
		requester := responder
		if i%2 == 1 {
			requester = approver1 // the viewer's own open requests
		}
		machine := defender.MachineID(fmt.Sprintf("%040x", i+1))
		if _, err := h.svc.Open(ctx, approvals.Draft{Kind: approvals.KindIsolate, Requester: requester, Channel: socChannel,
			Reason: "drill", Params: approvals.Params{Machine: machine, MachineName: fmt.Sprintf("ws-%04d", i), Isolation: defender.IsolationFull}}); err != nil {
			t.Fatal(err)
		}
	}
	v := h.openHome(approver1, homeHas("Awaiting your approval", "more not shown"))
	var view struct {
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(v.JSON, &view); err != nil {
		t.Fatal(err)
	}
	if n := len(view.Blocks); n > 100 {
		t.Errorf("%d blocks", n)
	}
	for _, want := range []string{"45 more not shown", "50 more not shown"} { // 60 to approve, 60 own
		if !strings.Contains(string(v.JSON), want) {
			t.Errorf("the home does not say %q", want)
		}
	}
}

func TestAnOpenAppHomeIsRepublishedWhenARequestAwaitsTheViewer(t *testing.T) {
	h := newHarness(t)
	h.openHome(approver1, homeHas("Nothing awaits your approval."))
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	h.home(approver1, homeHas("beaconing", blocks.ActionApprove))
	h.advance(11 * time.Minute) // it expires
	h.card("expired")
	h.home(approver1, func(v slacktest.View) bool { return !strings.Contains(string(v.JSON), blocks.ActionApprove) })
}

func TestTheAppHomeShowsRunningActionsOnlyToThoseWhoMayLookThemUp(t *testing.T) {
	h := newHarness(t, manualMDE, func(c *harnessConfig) { c.policy.Requesters = []string{responder} })
	h.slash(responder, socChannel, "scan ws-0042 quick odd job")
	h.card("Antivirus scan")
	h.openHome(approver1, homeHas("Running in Defender", "ws-0042"))
	v := h.openHome(outsider, homeHas("Your open requests"))
	if strings.Contains(string(v.JSON), "Running in Defender") || strings.Contains(string(v.JSON), "ws-0042") {
		t.Errorf("the App Home of someone who may not look up requests shows the running actions:\n%s", v.JSON)
	}
}

func TestAChangeQueuesTheAppHomesAndTheRepublisherPublishesEachOnce(t *testing.T) {
	h := newHarness(t)
	b := h.detachedBot()
	ctx := h.ctx()
	for _, u := range []string{approver1, approver2, responder} {
		b.homes.set(u, blocks.HomeFilter{}, b.now())
	}
	res, err := h.svc.Open(ctx, approvals.Draft{Kind: approvals.KindIsolate, Requester: responder, Channel: socChannel,
		Reason: "queue test", Params: approvals.Params{Machine: ws42, MachineName: "ws-0042", Isolation: defender.IsolationFull}})
	if err != nil {
		t.Fatal(err)
	}
	before := h.slack.CallCount("views.publish")
	b.republishHomes(ctx, res.Request)
	b.republishHomes(ctx, res.Request) // a second change before the republisher ran
	if n := h.slack.CallCount("views.publish") - before; n != 0 {
		t.Fatalf("republishHomes called views.publish %d times; the click path must not wait for Slack", n)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { b.runHomes(runCtx); close(done) }()
	for _, u := range []string{approver1, approver2, responder} {
		h.home(u, homeHas("Your open requests"))
	}
	stop()
	<-done
	if n := h.slack.CallCount("views.publish") - before; n != 3 {
		t.Errorf("views.publish called %d times for 3 viewers queued twice, want 3", n)
	}
}
