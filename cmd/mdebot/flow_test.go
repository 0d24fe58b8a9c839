package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// quick makes the fake MDE finish actions fast.
var quick = defendertest.WithProgress(50*time.Millisecond, 100*time.Millisecond)

// manual keeps actions Pending until the test calls SetStatus.
var manual = defendertest.WithProgress(0, 0)

func TestAScanNeedsNoApprovalAndReachesSucceeded(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "scan ws-0042 quick alert 1234 follow-up")
	card := w.card(ctx, "requested by")
	w.reply(ctx, card, "Submitted to Defender")
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")

	a := w.action()
	if a.Type != "RunAntiVirusScan" || a.Scope != "Quick" || !strings.Contains(a.RequestorComment, "alert 1234") {
		t.Errorf("MDE action %+v, want a quick scan carrying the reason", a)
	}
	if n := w.mde.CallCount("actions.runAntiVirusScan"); n != 1 {
		t.Errorf("%d scan POSTs, want 1", n)
	}
	assertNoSecrets(t, w, c)
}

func TestAnIsolationNeedsASecondPersonWhoIsAnApprover(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 ransomware note found")
	card := w.card(ctx, "awaiting approval")

	w.click(ctx, alice, card, "mde_approve")
	w.ephemeral(ctx, alice, "You cannot approve your own request.")
	w.click(ctx, mallory, card, "mde_approve")
	w.ephemeral(ctx, mallory, "You are not an approver for this action.")
	if n := w.mde.CallCount("actions.isolate"); n != 0 {
		t.Fatalf("%d isolate POSTs before an approver approved", n)
	}

	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "Submitted to Defender")
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")
	if n := w.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("%d isolate POSTs, want exactly 1", n)
	}
	if a := w.action(); a.Type != "Isolate" || a.Scope != "Full" || a.MachineID != "1e5bc9d7e413ddd7902c2932e418702b84d0cc07" {
		t.Errorf("MDE action %+v, want a full isolation of ws-0042", a)
	}
}

func TestADenialNeedsAReasonAndNothingRuns(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 suspicious beacon")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_deny")
	v, err := w.slack.WaitView(ctx, func(v slacktest.View) bool {
		return v.UserID == bob && v.CallbackID == "mde_deny_modal" && !v.Closed
	})
	if err != nil {
		t.Fatalf("no deny modal: %v", err)
	}
	env, err := w.slack.SubmitView(ctx, bob, v.ID, map[string]map[string]string{
		"mde_deny_reason_input": {"mde_deny_reason": "beacon is the backup agent <!channel>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.slack.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	denied := w.cardState(ctx, card, ": denied")
	shown := strings.Join(append(blockStrings(t, denied.Blocks), denied.Text), "\n")
	if !strings.Contains(shown, "beacon is the backup agent") {
		t.Errorf("the denied card does not show the reason: %s", shown)
	}
	if strings.Contains(shown, "<!channel>") {
		t.Errorf("the denied card carries a live mass mention: %s", shown)
	}
	if _, err := w.slack.ClickButton(ctx, carol, card.Ref(), "mde_approve", ""); err == nil {
		t.Error("the denied card still has an Approve button")
	}
	if n := len(w.mde.Actions()); n != 0 {
		t.Errorf("MDE holds %d actions after a denial", n)
	}
}

func TestAnUnapprovedRequestExpires(t *testing.T) {
	w := newWorld(t, spec{ttl: "1s", mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 odd login")
	card := w.card(ctx, "awaiting approval")
	w.cardState(ctx, card, ": expired unapproved")
	if _, err := w.slack.ClickButton(ctx, bob, card.Ref(), "mde_approve", ""); err == nil {
		t.Error("the expired card still has an Approve button")
	}
	if n := len(w.mde.Actions()); n != 0 {
		t.Errorf("MDE holds %d actions after an expiry", n)
	}
}

func TestTwentyConcurrentApprovalsSubmitOnce(t *testing.T) {
	var approvers []string
	for i := range 20 {
		approvers = append(approvers, fmt.Sprintf("U0APPR%04d", i))
	}
	w := newWorld(t, spec{approvers: approvers, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 worm spreading")
	card := w.card(ctx, "awaiting approval")

	// Every approver clicks at once. A click the fake refuses with "no such
	// button" came after the card had been rewritten without its buttons:
	// no client could send it, so it is not counted.
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	delivered := 0
	for _, a := range approvers {
		wg.Go(func() {
			<-start
			env, err := w.slack.ClickButton(ctx, a, card.Ref(), "mde_approve", "")
			if err != nil {
				if !strings.Contains(err.Error(), "no such button") {
					t.Errorf("%s: %v", a, err)
				}
				return
			}
			if _, err := w.slack.WaitAck(ctx, env.ID); err != nil {
				t.Errorf("%s: %v", a, err)
				return
			}
			mu.Lock()
			delivered++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d of %d clicks delivered before the card lost its buttons", delivered, len(approvers))
	if delivered < 2 {
		t.Fatalf("only %d clicks reached mdebot: nothing raced", delivered)
	}

	w.reply(ctx, card, "Defender: Succeeded")
	if n := w.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("%d isolate POSTs after 20 concurrent approvals, want 1", n)
	}
	if n := w.replies(card, "Submitted to Defender"); n != 1 {
		t.Errorf("%d Submitted replies, want 1", n)
	}
}

func TestAnActionSubmittedBeforeASIGKILLIsFollowedAfterARestart(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{manual}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 lateral movement")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "Submitted to Defender")
	c.signal(syscall.SIGKILL)
	c.wait(ctx)

	// MDE finishes while mdebot is down.
	if err := w.mde.SetStatus(w.action().ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	c2 := w.start()
	w.serving(ctx, c2, 2)
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")
	if n := w.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("%d isolate POSTs across the restart, want 1", n)
	}
	if n := w.replies(card, "Submitted to Defender"); n != 1 {
		t.Errorf("%d Submitted replies, want 1", n)
	}
}

func TestARunningActionIsFollowedAfterAGracefulRestart(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{manual}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "scan ws-0042 full weekly sweep")
	card := w.card(ctx, "requested by")
	w.reply(ctx, card, "Submitted to Defender")
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if err := w.mde.SetStatus(w.action().ID, "Failed"); err != nil {
		t.Fatal(err)
	}
	c2 := w.start()
	w.serving(ctx, c2, 2)
	w.reply(ctx, card, "Defender: Failed")
	w.cardState(ctx, card, ": failed")
	if n := w.mde.CallCount("actions.runAntiVirusScan"); n != 1 {
		t.Errorf("%d scan POSTs across the restart, want 1", n)
	}
}

func TestAPendingRequestSurvivesARestartAndItsOldButtonWorks(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 c2 traffic")
	card := w.card(ctx, "awaiting approval")
	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}

	c2 := w.start()
	w.serving(ctx, c2, 2)
	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")
	if n := w.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("%d isolate POSTs, want 1", n)
	}
}

func TestAQuoteInAMachineNameNeverReachesAnODataFilter(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate o'brien-pc' or 1 eq 1 saw something")
	reply := w.waitEphemeralTo(ctx, alice)
	if !strings.Contains(reply.Text, "is not a valid target") {
		t.Errorf("reply %q, want the target refused", reply.Text)
	}
	for _, call := range w.mde.Calls() {
		if strings.HasPrefix(call.Route, "machines.") {
			t.Errorf("MDE was asked %s %s?%s", call.Method, call.Path, call.RawQuery)
		}
	}
	for _, m := range w.slack.AllMessages() {
		if isCard(m) {
			t.Errorf("a card was posted for a bad target: %q", m.Text)
		}
	}
	if n := len(w.mde.Actions()); n != 0 {
		t.Errorf("MDE holds %d actions", n)
	}
}

func TestAMassMentionInAReasonIsNeutralized(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 <!channel> <!here> look *now*")
	card := w.card(ctx, "awaiting approval")
	texts := append(blockStrings(t, card.Blocks), card.Text)
	for _, s := range texts {
		if strings.Contains(s, "<!channel>") || strings.Contains(s, "<!here>") {
			t.Errorf("the card carries a live mass mention: %q", s)
		}
	}
	if !strings.Contains(strings.Join(texts, "\n"), "&lt;!channel&gt;") {
		t.Errorf("the card does not show the reason escaped: %q", texts)
	}
}

// waitEphemeralTo waits for any message only user sees.
func (w *world) waitEphemeralTo(ctx context.Context, user string) slacktest.Message {
	w.t.Helper()
	m, err := w.slack.WaitMessage(ctx, func(m slacktest.Message) bool { return m.Ephemeral && m.VisibleTo == user })
	if err != nil {
		w.t.Fatalf("no reply to %s: %v\nmessages: %s", user, err, dump(w.slack.AllMessages()))
	}
	return m
}

func TestHistoryIsForAuditorsOnly(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}}) // slack.auditors defaults to the approvers
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "scan ws-0042 quick routine")
	card := w.card(ctx, "requested by")
	w.reply(ctx, card, "Defender: Succeeded")

	w.command(ctx, bob, "history")
	w.ephemeral(ctx, bob, "mdebot history: 1 request")

	w.command(ctx, mallory, "history")
	if got := w.waitEphemeralTo(ctx, mallory); strings.Contains(got.Text, "mdebot history:") {
		t.Errorf("mallory, not an auditor, read the history: %q", got.Text)
	}
}

func TestAnOffboardingNeedsTwoDifferentApprovers(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "offboard ws-0042 decommissioned")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_approve")
	w.cardShows(ctx, card, "1 of 2")
	w.click(ctx, bob, card, "mde_approve")
	w.ephemeral(ctx, bob, "You have already approved this; it needs one more approver.")
	if n := w.mde.CallCount("actions.offboard"); n != 0 {
		t.Fatalf("%d offboard POSTs after one approval of two", n)
	}
	w.click(ctx, carol, card, "mde_approve")
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardShows(ctx, card, "2 of 2")
	if n := w.mde.CallCount("actions.offboard"); n != 1 {
		t.Errorf("%d offboard POSTs, want 1", n)
	}
}
