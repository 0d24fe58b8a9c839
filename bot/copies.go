package bot

import (
	"context"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// runApprovalDMs sends the approval DMs of the queued requests until ctx
// ends, each to the request as stored when its turn comes (one decided
// meanwhile gets none).
func (b *Bot) runApprovalDMs(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.dmQueue.ready:
		}
		for _, id := range b.dmQueue.pop() {
			r, err := b.o.Approvals.Get(ctx, id)
			if err != nil {
				b.log.WarnContext(ctx, "reading a request to DM its approvers failed", "request", id, "error", err)
				continue
			}
			b.sendApprovalDMs(ctx, r)
		}
	}
}

// sendApprovalDMs sends r, awaiting approval, as a compact card with
// Approve and Deny to each eligible approver's DM (each once, marked
// first) and stores each copy, so that every later change edits it.
func (b *Bot) sendApprovalDMs(ctx context.Context, r *approvals.Request) {
	if r.State != approvals.StateAwaiting || r.Required == 0 {
		return
	}
	users, err := b.o.Approvals.Eligible(ctx, r)
	if err != nil {
		b.log.WarnContext(ctx, "resolving the approvers to DM failed", "request", r.ID, "error", err)
	}
	for _, u := range users {
		r = b.dmCopy(ctx, r, u)
	}
}

// dmCopy sends user a DM copy of r's card (once, unless they turned
// approval DMs off in the App Home) and stores where it is.
func (b *Bot) dmCopy(ctx context.Context, r *approvals.Request, user string) *approvals.Request {
	if b.approvalDMsOff(ctx, user) || !b.markOnce(ctx, "approval-dm/"+r.ID+"/"+user) {
		return r
	}
	channel, err := b.openDM(ctx, user, false)
	if err != nil {
		b.log.WarnContext(ctx, "approval DM failed", "request", r.ID, "user", user, "error", err)
		return r
	}
	return b.postCopy(ctx, r, channel)
}

// postCopy posts a copy of r's card in channel and stores it on r.
func (b *Bot) postCopy(ctx context.Context, r *approvals.Request, channel string) *approvals.Request {
	unlock := b.cards.lock(r.ID)
	defer unlock()
	if latest, err := b.o.Approvals.Get(ctx, r.ID); err == nil {
		r = latest
	}
	ts, err := b.post(ctx, channel, "", blocks.RenderApprovalDM(requestView(r, blocks.MachineView{}), b.now()), false, nil)
	if err != nil {
		b.log.WarnContext(ctx, "posting a copy of the card failed", "request", r.ID, "channel", channel, "error", err)
		return r
	}
	// Stored even if Run is stopping: Slack took the post, and a copy not
	// stored is never edited (nor posted again: it was marked).
	res, err := b.o.Approvals.AddCopy(context.WithoutCancel(ctx), r.ID, approvals.Card{Channel: channel, TS: ts})
	if err != nil {
		b.log.WarnContext(ctx, "storing a copy of the card failed", "request", r.ID, "error", err)
		return r
	}
	return res.Request
}

// runCopies edits, until ctx ends, the copies of the cards queued by
// updateCard, each with what the store holds when it gets to it: after
// the card, and never before an approved action was sent.
func (b *Bot) runCopies(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.copyQueue.ready:
		}
		for _, id := range b.copyQueue.pop() {
			b.updateCopies(ctx, id)
		}
	}
}

// updateCopies edits every copy of request id's card to its stored state.
func (b *Bot) updateCopies(ctx context.Context, id string) {
	unlock := b.cards.lock(id)
	defer unlock()
	r, err := b.o.Approvals.Get(ctx, id)
	if err != nil {
		b.log.WarnContext(ctx, "reading a request to update its copies failed", "request", id, "error", err)
		return
	}
	if len(r.Copies) == 0 {
		return
	}
	m := blocks.RenderApprovalDM(requestView(r, blocks.MachineView{}), b.now())
	for _, c := range r.Copies {
		if err := b.update(ctx, c.Channel, c.TS, m); err != nil {
			b.log.WarnContext(ctx, "updating a copy of the card failed", "request", r.ID, "channel", c.Channel, "error", err)
		}
	}
}

// runEscalations escalates, every interval until ctx ends, the requests
// nobody decided within policy.escalate_after.
func (b *Bot) runEscalations(ctx context.Context, interval time.Duration) {
	if b.o.Escalation == "" || b.o.Approvals.Policy().EscalateAfter <= 0 {
		return
	}
	every(ctx, interval, b.escalate)
}

// escalate asks Options.Escalation to decide each request due for it: a
// channel gets a copy of the card; a user group is mentioned under the
// card and each member gets the DM copy. The requester is told who was
// asked. Each request is escalated once (approvals.MarkEscalated).
func (b *Bot) escalate(ctx context.Context) {
	due, err := b.o.Approvals.DueEscalations(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "listing requests to escalate failed", "error", err)
		return
	}
	target := b.o.Escalation
	for _, r := range due {
		res, err := b.o.Approvals.MarkEscalated(ctx, r.ID, target)
		if err != nil || !res.Changed {
			if err != nil {
				b.log.WarnContext(ctx, "recording an escalation failed", "request", r.ID, "error", err)
			}
			continue
		}
		r = res.Request
		// The thread and the requester are told with the change (see
		// escalationReplies).
		b.log.InfoContext(ctx, "request escalated", "request", r.ID, "to", target)
		b.out.poke()
		if approvals.IsGroupID(target) {
			members, err := b.o.Approvals.Users(ctx, target)
			if err != nil {
				b.log.WarnContext(ctx, "resolving the escalation group failed", "request", r.ID, "group", target, "error", err)
			}
			for _, u := range members {
				if u != r.Requester {
					r = b.dmCopy(ctx, r, u)
				}
			}
		} else {
			r = b.postCopy(ctx, r, target)
		}
	}
}
