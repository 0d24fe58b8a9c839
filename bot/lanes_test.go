package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// slashEvent is a slash command envelope of user typing /mde text.
func slashEvent(id, user, text string) socketmode.Event {
	return socketmode.Event{
		Type:    socketmode.EventTypeSlashCommand,
		Data:    slack.SlashCommand{Command: "/mde", Text: text, UserID: user, ChannelID: socChannel},
		Request: &socketmode.Request{EnvelopeID: id, Type: "slash_commands"},
	}
}

// clickEvent is a block_actions envelope of user clicking actionID.
func clickEvent(id, user, actionID, value string) socketmode.Event {
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}}
	cb.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: actionID, Value: value}}
	return socketmode.Event{
		Type:    socketmode.EventTypeInteractive,
		Data:    cb,
		Request: &socketmode.Request{EnvelopeID: id, Type: "interactive"},
	}
}

func TestDecisionsHaveTheirOwnLaneAndEverythingElseSharesTheWorkLane(t *testing.T) {
	denySubmission := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission}
	denySubmission.View.CallbackID = blocks.CallbackDenyModal
	otherSubmission := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission}
	otherSubmission.View.CallbackID = "something_else"
	interactive := func(cb slack.InteractionCallback) socketmode.Event {
		return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb}
	}
	for _, tc := range []struct {
		name string
		evt  socketmode.Event
		want lane
	}{
		{"an Approve click", clickEvent("e", approver1, blocks.ActionApprove, "R-1:fp"), LaneDecision},
		{"a Deny click, which must open its modal within 3 s", clickEvent("e", approver1, blocks.ActionDeny, "R-1"), LaneDecision},
		{"a Withdraw click", clickEvent("e", responder, blocks.ActionWithdraw, "R-1"), LaneDecision},
		{"a Cancel click", clickEvent("e", responder, blocks.ActionCancel, "R-1"), LaneDecision},
		{"an App Home Approve click", clickEvent("e", approver1, blocks.HomeActionID(blocks.ActionApprove, 3), "R-1:fp"), LaneDecision},
		{"an App Home Deny click", clickEvent("e", approver1, blocks.HomeActionID(blocks.ActionDeny, 0), "R-1"), LaneDecision},
		{"a deny modal's submission", interactive(denySubmission), LaneDecision},
		{"/mde cancel", slashEvent("e", responder, "cancel R-1 wrong machine"), LaneDecision},
		{"/mde machine", slashEvent("e", responder, "machine ws-0042"), LaneWork},
		{"/mde status", slashEvent("e", responder, "status R-1"), LaneWork},
		{"/mde isolate", slashEvent("e", responder, "isolate ws-0042 ransomware"), LaneWork},
		{"an unparsable command", slashEvent("e", responder, "cancle R-1"), LaneWork},
		{"a history page click", clickEvent("e", approver1, blocks.ActionHistoryMore, "c history"), LaneWork},
		{"a package link click", clickEvent("e", responder, blocks.ActionPackageLink, "R-1"), LaneWork},
		{"a machine pick click", clickEvent("e", responder, blocks.PickActionID(1), "machine ws-0042"), LaneWork},
		{"another modal's submission", interactive(otherSubmission), LaneWork},
		{"an event", socketmode.Event{Type: socketmode.EventTypeEventsAPI}, LaneWork},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := laneOf(tc.evt); got != tc.want {
				t.Errorf("laneOf = %s, want %s", got, tc.want)
			}
		})
	}
}

// shedObserver records Observer.Shed.
type shedObserver struct {
	nopObserver
	mu   sync.Mutex
	shed []string
}

func (o *shedObserver) Shed(lane, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shed = append(o.shed, lane+"/"+reason)
}

func (o *shedObserver) got() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.shed...)
}

func TestAnApproveIsHandledWhileEveryWorkerOfTheWorkLaneWaitsOnALookup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var handled []string
		ls := &lanes{
			route: laneOf,
			handle: func(ctx context.Context, evt socketmode.Event) {
				if laneOf(evt) == LaneWork {
					<-release // a look-up waiting for Defender's budget
				}
				mu.Lock()
				handled = append(handled, evt.Request.EnvelopeID)
				mu.Unlock()
			},
			shed:    func(context.Context, socketmode.Event) { t.Error("nothing should be shed") },
			observe: &shedObserver{},
			log:     slog.New(slog.DiscardHandler),
		}
		stop := ls.start(t.Context(), map[lane]laneSpec{
			LaneDecision: {workers: decisionWorkers, queue: decisionQueue},
			LaneWork:     {workers: DefaultWorkers, queue: workQueue},
		})
		for i := range 120 {
			ls.submit(slashEvent(fmt.Sprintf("lookup-%d", i), responder, "machine ws-0042"))
		}
		ls.submit(clickEvent("approve", approver1, blocks.ActionApprove, "R-1:fp"))
		synctest.Wait()
		mu.Lock()
		got := append([]string(nil), handled...)
		mu.Unlock()
		if len(got) != 1 || got[0] != "approve" {
			t.Errorf("handled while 120 look-ups wait: %v, want just the approve", got)
		}
		close(release)
		stop()
		if len(handled) != 121 {
			t.Errorf("%d envelopes handled in all, want 121", len(handled))
		}
	})
}

func TestAnEnvelopeAFullLaneCannotTakeIsCountedAndItsSenderToldWithoutBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		obs := &shedObserver{}
		var mu sync.Mutex
		var told []string
		ls := &lanes{
			route:  laneOf,
			handle: func(context.Context, socketmode.Event) { <-release },
			shed: func(_ context.Context, evt socketmode.Event) {
				mu.Lock()
				defer mu.Unlock()
				told = append(told, evt.Request.EnvelopeID)
			},
			observe: obs,
			log:     slog.New(slog.DiscardHandler),
		}
		stop := ls.start(t.Context(), map[lane]laneSpec{
			LaneDecision: {workers: 1, queue: 1},
			LaneWork:     {workers: 1, queue: 1},
		})
		start := time.Now()
		ls.submit(slashEvent("lookup-1", responder, "machine ws-0042")) // taken by the worker
		synctest.Wait()
		ls.submit(slashEvent("lookup-2", responder, "machine ws-0042")) // queued
		ls.submit(slashEvent("lookup-3", responder, "machine ws-0042")) // shed
		ls.submit(clickEvent("approve", approver1, blocks.ActionApprove, "R-1:fp"))
		synctest.Wait()
		if d := time.Since(start); d != 0 {
			t.Errorf("submit blocked for %v", d)
		}
		if got := obs.got(); len(got) != 1 || got[0] != LaneWork+"/"+ShedQueueFull {
			t.Errorf("shed observed: %v, want [work/queue_full]", got)
		}
		mu.Lock()
		if len(told) != 1 || told[0] != "lookup-3" {
			t.Errorf("senders told: %v, want [lookup-3]", told)
		}
		mu.Unlock()
		close(release)
		stop()
	})
}
