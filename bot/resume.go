package bot

import (
	"context"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// resume picks up the live requests read at start, before Slack could
// deliver a click: submitted actions go back to the tracker, approved
// requests that never reached MarkSubmitted (a crash in between) are
// recovered without submitting twice, and awaiting requests whose card was
// never posted get one.
func (b *Bot) resume(ctx context.Context, live []*approvals.Request) {
	for _, r := range live {
		// Copies of the card (approval DMs, escalation) are edited from
		// memory queues: a change a stop left untold reaches them now.
		if len(r.Copies) > 0 {
			b.copyQueue.push(r.ID)
		}
		if r.BreakGlass {
			// A stop between opening it and its alerts: the approvers and
			// the alert channel not told yet are told now (each is marked,
			// so none is told twice).
			b.alertBreakGlass(ctx, r)
		}
		switch r.State {
		case approvals.StateSubmitted:
			if r.Bulk() {
				b.followBulk(ctx, r)
				continue
			}
			if !r.Kind.TargetsMachine() {
				b.finishIndicator(ctx, r) // the indicator call had completed
				continue
			}
			b.tracker.add(r.ID, r.ActionID)
			b.log.InfoContext(ctx, "tracking resumed", "request", r.ID, "action", r.ActionID)
		case approvals.StateApproved:
			b.recoverApproved(ctx, r)
		case approvals.StateAwaiting:
			if r.Card.TS == "" {
				_ = b.postMissingCard(ctx, r)
			}
			// Approvers not DMed yet (a stop before the DM worker got to
			// them) get theirs; each is marked, so none gets two.
			b.dmQueue.push(r.ID)
		}
	}
	if b.tracker.len() > 0 {
		b.tracker.poke()
	}
}

// recoverApproved finishes approved request r after a crash between
// approval and MarkSubmitted: if MDE already has our action (its comment
// carries the request id), it is recorded; only if none exists is r
// submitted.
func (b *Bot) recoverApproved(ctx context.Context, r *approvals.Request) {
	log := b.log.With("request", r.ID)
	if r.Bulk() {
		b.runBulkLater(r.ID)
		return
	}
	if r.Card.TS == "" {
		r = b.postMissingCard(ctx, r)
	}
	if !r.Kind.TargetsMachine() {
		log.InfoContext(ctx, "re-running an indicator request after a restart")
		b.execute(ctx, r) // blocking and unblocking a hash are idempotent
		return
	}
	actions, err := b.o.Defender.Actions.List(ctx, defender.ActionFilter{
		MachineID:    r.Params.Machine,
		Types:        []defender.ActionType{r.Kind.ActionType()},
		CreatedAfter: r.Created.Add(-time.Minute),
	}, defender.ListOptions{})
	if err != nil {
		log.ErrorContext(ctx, "looking for the MDE action of an approved request failed; retried later", "error", err)
		b.recoverLater(r)
		return
	}
	for _, a := range actions {
		if ownsAction(r, a) {
			log.InfoContext(ctx, "found the MDE action of an approved request", "action", a.ID)
			b.submitted(ctx, r, a)
			return
		}
	}
	if r.CancelRequested != "" {
		// Cancelled while it was being sent, and MDE has no action for it:
		// nothing runs, so the request ends cancelled, never sent.
		b.notSent(ctx, r)
		return
	}
	log.InfoContext(ctx, "approved request was never submitted; submitting it now")
	b.execute(ctx, r)
}

// notSent closes approved request r, cancelled while it was being sent,
// after MDE was found to hold no action for it.
func (b *Bot) notSent(ctx context.Context, r *approvals.Request) {
	res, err := b.o.Approvals.MarkNotSent(ctx, r.ID, "Defender has no action for this request; nothing was sent")
	if err != nil {
		b.log.ErrorContext(ctx, "closing a request found never sent failed", "request", r.ID, "error", err)
		return
	}
	// "nothing ran" is owed with the change (see owedReplies).
	b.log.InfoContext(ctx, "request cancelled while being sent was never sent to MDE", "request", r.ID)
	b.updateCard(ctx, res.Request)
}

// postMissingCard posts the card of a request whose card was never stored
// (a crash between opening it and storing the card) and returns the
// request with its card.
func (b *Bot) postMissingCard(ctx context.Context, r *approvals.Request) *approvals.Request {
	r, err := b.postCard(ctx, r, r.Channel, b.machineFor(ctx, r))
	if err != nil {
		b.log.ErrorContext(ctx, "posting a missing card failed; the outbox posts it late", "request", r.ID, "error", err)
		b.owePostCard(ctx, r)
	}
	return r
}
