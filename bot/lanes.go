package bot

import (
	"context"
	"log/slog"
	"sync"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// lane is a queue of acked envelopes with workers of its own. Decisions
// have their own lane so that no burst of look-ups (each of which may wait
// for Defender) can delay an approval, a denial or a cancel.
type lane string

// The lanes, as Observer.Shed names them.
const (
	// LaneDecision serves what decides a request: Approve, Deny (the
	// button, which must open its modal within Slack's 3 s, and the
	// modal's submission), Withdraw, Cancel and /mde cancel.
	LaneDecision = "decision"
	// LaneWork serves everything else: commands, look-ups, history pages,
	// App Home views.
	LaneWork = "work"
)

// Lane sizes. The work lane's workers are Options.Workers.
const (
	decisionWorkers = 4
	decisionQueue   = 1024
	workQueue       = 4096
	// shedQueue bounds the notices owed to people whose envelope a full
	// lane could not take; one worker sends them.
	shedQueue = 256
)

// laneOf is the lane that serves evt.
func laneOf(evt socketmode.Event) lane {
	switch evt.Type {
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return LaneWork
		}
		switch cb.Type {
		case slack.InteractionTypeViewSubmission:
			if cb.View.CallbackID == blocks.CallbackDenyModal || cb.View.CallbackID == blocks.CallbackReviewModal {
				return LaneDecision
			}
		case slack.InteractionTypeBlockActions:
			for _, a := range cb.ActionCallback.BlockActions {
				switch blocks.HomeAction(a.ActionID) {
				case blocks.ActionApprove, blocks.ActionDeny, blocks.ActionWithdraw, blocks.ActionCancel:
					return LaneDecision
				}
			}
		}
	case socketmode.EventTypeSlashCommand:
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			if c, err := command.Parse(cmd.Text); err == nil && c.Verb == command.VerbCancel {
				return LaneDecision
			}
		}
	}
	return LaneWork
}

// laneSpec sizes one lane.
type laneSpec struct {
	workers, queue int
}

// lanes runs the workers of each lane and hands every acked envelope to
// its lane without ever blocking the socket loop. An envelope whose lane
// is full is not served, but never silently: it is counted
// (Observer.Shed), logged, and its sender is told by shed, on a worker of
// its own.
type lanes struct {
	route   func(socketmode.Event) lane
	handle  func(ctx context.Context, evt socketmode.Event)
	shed    func(ctx context.Context, evt socketmode.Event)
	observe Observer
	log     *slog.Logger

	queues map[lane]chan socketmode.Event
	shedQ  chan socketmode.Event
}

// start starts the workers of each lane in specs, which live until stop
// is called; stop waits for the envelopes queued to be handled.
func (ls *lanes) start(ctx context.Context, specs map[lane]laneSpec) (stop func()) {
	var wg sync.WaitGroup
	ls.queues = map[lane]chan socketmode.Event{}
	for l, spec := range specs {
		q := make(chan socketmode.Event, spec.queue)
		ls.queues[l] = q
		for range max(spec.workers, 1) {
			wg.Go(func() {
				for evt := range q {
					ls.handle(ctx, evt)
				}
			})
		}
	}
	ls.shedQ = make(chan socketmode.Event, shedQueue)
	wg.Go(func() {
		for evt := range ls.shedQ {
			ls.shed(ctx, evt)
		}
	})
	return func() {
		for _, q := range ls.queues {
			close(q)
		}
		close(ls.shedQ)
		wg.Wait()
	}
}

// submit queues evt on its lane. It never blocks.
func (ls *lanes) submit(evt socketmode.Event) {
	l := ls.route(evt)
	select {
	case ls.queues[l] <- evt:
		return
	default:
	}
	// Never block the loop: later envelopes must still be acked in time.
	ls.observe.Shed(string(l), ShedQueueFull)
	envelope := ""
	if evt.Request != nil {
		envelope = evt.Request.EnvelopeID
	}
	select {
	case ls.shedQ <- evt:
		ls.log.Error("work queue full; envelope acked but not served, its sender is told",
			"lane", l, "envelope_id", envelope, "type", evt.Type)
	default:
		ls.log.Error("work queue full; envelope acked but not served, and too many notices are pending to tell its sender",
			"lane", l, "envelope_id", envelope, "type", evt.Type)
	}
}
