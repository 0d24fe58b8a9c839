package bot

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

func TestEachUserMayMakeABurstOfLookupsThenOneEveryInterval(t *testing.T) {
	l := newUserLimits(20)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range 20 {
		if ok, _ := l.allow(responder, now); !ok {
			t.Fatalf("look-up %d of a burst of 20 refused", i+1)
		}
	}
	ok, retry := l.allow(responder, now)
	if ok || retry != 3*time.Second {
		t.Errorf("21st look-up at once: allowed %v, retry in %v; want refused, retry in 3s", ok, retry)
	}
	if ok, _ := l.allow(approver1, now); !ok {
		t.Error("another user's look-up was refused: the limit is per user")
	}
	if ok, _ := l.allow(responder, now.Add(3*time.Second)); !ok {
		t.Error("a look-up one interval later was refused")
	}
	if ok, _ := l.allow(responder, now.Add(3*time.Second)); ok {
		t.Error("a second look-up one interval later was allowed")
	}
	unlimited := newUserLimits(-1)
	for range 1000 {
		if ok, _ := unlimited.allow(responder, now); !ok {
			t.Fatal("a negative limit refused a look-up")
		}
	}
}

func TestUsersWhoseAllowanceIsFullAgainAreForgottenAndAtMostMaxUsersAreKept(t *testing.T) {
	l := newUserLimits(20)
	l.maxUsers = 1000
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := range 2000 {
		l.allow(fmt.Sprintf("U%05d", i), now)
	}
	if n := len(l.tat); n > 1000 {
		t.Errorf("%d users remembered, want at most 1000", n)
	}
	// A minute later every one of them is idle; new users sweep them out.
	later := now.Add(time.Minute)
	for i := range 10 {
		l.allow(fmt.Sprintf("W%05d", i), later)
	}
	if n := len(l.tat); n > 64 {
		t.Errorf("%d users remembered after the others went idle, want only the active ones", n)
	}
}

func TestOnePersonsBurstOfLookupsIsToldToSlowDownAndOthersAreStillAnswered(t *testing.T) {
	obs := &shedObserver{}
	h := newHarness(t, func(c *harnessConfig) { c.observer = obs })
	ctx := h.ctx()
	for range DefaultLookupsPerMinute + 5 {
		env, err := h.slack.SlashCommand(ctx, responder, socChannel, "/mde", "machine ws-0042")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.slack.WaitAck(ctx, env.ID); err != nil {
			t.Fatal(err)
		}
	}
	h.ephemeral(responder, "Slow down: you have made many look-ups in a short time. Try again in ")
	h.slash(approver1, socChannel, "machine ws-0042")
	h.ephemeral(approver1, ws42)
	// One look-up may be refilled while the burst runs; never five.
	if n := h.mde.CallCount("machines.list"); n > DefaultLookupsPerMinute+2 {
		t.Errorf("%d machine look-ups reached Defender, want at most %d", n, DefaultLookupsPerMinute+2)
	}
	found := false
	for _, s := range obs.got() {
		found = found || s == LaneWork+"/"+ShedUserLimit
	}
	if !found {
		t.Errorf("shed observed: %v, want work/user_limit", obs.got())
	}
}

func TestALookupThatWouldWaitLongForDefendersBudgetSaysTryAgainInsteadOfHoldingAWorker(t *testing.T) {
	obs := &shedObserver{}
	h := newHarness(t, func(c *harnessConfig) {
		c.observer = obs
		// One machine look-up in any minute.
		c.defOpts = []defender.Option{defender.WithRateLimit(defender.FamilyMachines, defender.Budget{PerMinute: 1})}
	})
	h.slash(responder, socChannel, "machine ws-0042")
	h.ephemeral(responder, ws42)
	h.slash(responder, socChannel, "machine ws-0042")
	m := h.ephemeral(responder, "Defender's API budget is busy; try again in ")
	if !strings.Contains(m.Text, " s.") {
		t.Errorf("busy answer %q does not say how many seconds to wait", m.Text)
	}
	if n := h.mde.CallCount("machines.list"); n != 1 {
		t.Errorf("%d machine look-ups reached Defender, want 1", n)
	}
	if got := obs.got(); len(got) != 1 || got[0] != LaneWork+"/"+ShedBudgetBusy {
		t.Errorf("shed observed: %v, want [work/budget_busy]", got)
	}
}

func TestAnApprovedSubmissionWaitsOutDefendersPauseInsteadOfFailingFastLikeALookup(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.lookupWait = 100 * time.Millisecond })
	h.slash(responder, socChannel, "isolate ws-0042 ransomware note on share")
	card := h.card("awaiting approval")
	// Defender asks for a pause far longer than a look-up would wait.
	h.mde.FailNext("actions.isolate", 1, http.StatusTooManyRequests,
		`{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded"}}`, http.Header{"Retry-After": {"1"}})
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	if n := h.mde.CallCount("actions.isolate"); n != 2 {
		t.Errorf("isolate POSTs = %d, want 2 (the one paused, then the one accepted)", n)
	}
	// A look-up in the same state is answered at once instead.
	h.mde.FailNext("machines.list", 1, http.StatusTooManyRequests,
		`{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded"}}`, http.Header{"Retry-After": {"1"}})
	h.slash(responder, socChannel, "machine ws-0042")
	h.ephemeral(responder, "Defender's API budget is busy; try again in 1 s.")
}

// gate holds the bot's GETs of machines at the fake MDE while it is shut,
// as a busy Defender budget holds the look-ups that wait on it.
type gate struct {
	mu      sync.Mutex
	shut    bool
	open    chan struct{}
	arrived chan struct{}
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), arrived: make(chan struct{}, 1024)}
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		g.shut = false
		close(g.open)
	}
}

func (g *gate) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		g.mu.Lock()
		shut := g.shut
		g.mu.Unlock()
		if shut && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/machines") {
			g.arrived <- struct{}{}
			select {
			case <-g.open:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
		return next.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// lookupUsers adds n users to the fake workspace and returns their ids.
func lookupUsers(s *slacktest.Server, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("U0LOOK%03d", i)
		s.AddUser(slacktest.User{ID: ids[i], Name: fmt.Sprintf("looker%d", i)})
	}
	return ids
}

func TestAnApproveIsNotHeldBehind120LookupsWaitingOnDefender(t *testing.T) {
	g := newGate()
	h := newHarness(t, func(c *harnessConfig) { c.mdeTransport = g.wrap })
	t.Cleanup(g.release)
	users := lookupUsers(h.slack, 120)
	h.slash(responder, socChannel, "isolate ws-0042 ransomware note on share")
	card := h.card("awaiting approval")

	g.close()
	ctx := h.ctx()
	for _, u := range users {
		if _, err := h.slack.SlashCommand(ctx, u, socChannel, "/mde", "machine ws-0042"); err != nil {
			t.Fatal(err)
		}
	}
	for range DefaultWorkers {
		select {
		case <-g.arrived: // every work worker now waits on a look-up
		case <-ctx.Done():
			t.Fatal("the look-ups never reached Defender")
		}
	}
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender") // while the 120 look-ups still wait
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1", n)
	}
	g.release()
	h.ephemeral(users[len(users)-1], ws42)
}

func TestAnEnvelopeThatCouldNotBeServedIsExplainedToItsSender(t *testing.T) {
	h := newHarness(t)
	b := h.detachedBot()
	ctx := h.ctx()

	b.shedNotice(ctx, slashEvent("e1", responder, "machine ws-0042"))
	h.ephemeral(responder, "mdebot is too busy to run `/mde machine ws-0042` now; nothing was done")

	click := clickEvent("e2", approver1, blocks.ActionApprove, "R-1:fp")
	cb := click.Data.(slack.InteractionCallback)
	cb.Channel.ID = socChannel
	click.Data = cb
	b.shedNotice(ctx, click)
	h.ephemeral(approver1, "mdebot is too busy to handle your click now; nothing was done")

	deny := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: approver2}}
	deny.View.CallbackID, deny.View.PrivateMetadata = blocks.CallbackDenyModal, "R-20261203-0001"
	b.shedNotice(ctx, clickEventWith(deny))
	h.dmTo(approver2, "too busy to record your denial of `R-20261203-0001` now; nothing was done")
}

// clickEventWith is an interactive envelope carrying cb.
func clickEventWith(cb slack.InteractionCallback) socketmode.Event {
	return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb}
}

func TestABusyMachineActionsBudgetDoesNotHoldANewRequestForItsOffboardedCheck(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		// One machineactions read in any minute: the first scan's
		// offboarded check spends it.
		c.defOpts = []defender.Option{defender.WithRateLimit(defender.FamilyMachineActions, defender.Budget{PerMinute: 1})}
	})
	h.slash(responder, socChannel, "scan ws-0042 quick first sweep")
	h.reply(h.card("ws-0042"), "Submitted to Defender")
	start := time.Now()
	h.slash(responder, socChannel, "scan ws-0077 quick second sweep")
	h.reply(h.card("ws-0077"), "Submitted to Defender")
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("the second scan was submitted after %v, want at once (its offboarded check gives up)", waited)
	}
	if n := h.mde.CallCount("machineactions.list"); n != 1 {
		t.Errorf("%d machineactions reads reached Defender, want 1", n)
	}
}
