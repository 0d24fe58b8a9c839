package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// The replies rendered when they are posted, from the request as the
// change wrote it (payload.Reply): they show the machine, looked up then
// (an Announcer does no I/O).
const (
	replyForeignAction = "foreign_action" // not sent: someone else's action runs (payload.Note)
	replyPackageReady  = "package_ready"  // the collected investigation package's download button
)

// owedReplies are the thread replies (and DMs) a change of a request owes
// beyond its card, status reply and notices, written with the change by
// announce: the notes it recorded, and what its transition itself says
// (cancelled before it was sent, a cancel requested while being sent, an
// indicator applied, the Cancel offer retired, a package ready, an
// escalation). A change repeated (unchanged) is not announced, so each is
// owed once.
func (b *Bot) owedReplies(before, after *approvals.Request, now time.Time) []approvals.Delivery {
	var ds []approvals.Delivery
	lane := postLane(after.Channel)
	reply := func(m blocks.Message) {
		ds = append(ds, delivery(kindReply, lane, "", after.ID, payload{}.withMessage(m), now))
	}
	later := func(kind string, n *approvals.Note) {
		ds = append(ds, delivery(kindReply, lane, "", after.ID, payload{Reply: kind, Note: n, Snapshot: after.Clone()}, now))
	}
	for _, n := range approvals.NewNotes(before, after) {
		switch n.Kind {
		case approvals.NoteSubmitFailed, approvals.NoteOutcomeUnknown:
			reply(blocks.RenderNotice(n.Text))
		case approvals.NoteForeignAction:
			later(replyForeignAction, &n)
		case approvals.NoteDryRun:
			reply(blocks.RenderReply(":test_tube: *DRY RUN*: " + blocks.EscapeText(fmt.Sprintf("%s of %s", after.Kind, after.Target())) +
				" was approved but not sent to Defender (mdebot runs with --dry-run)."))
		case approvals.NoteCancelSent:
			reply(blocks.RenderReply(":black_circle: Found the Defender action " + blocks.RenderCode(n.Action.ID, 80) +
				" and asked Defender to cancel it, as " + blocks.RenderMention(after.CancelRequested) + " requested."))
		case approvals.NoteCancelRefused:
			who := after.CancelRequested
			if t := after.TargetByAction(n.Action.ID); t != nil && t.CancelRequested != "" {
				who = t.CancelRequested // one machine of a bulk request
			}
			reply(blocks.RenderReply(":warning: mdebot found the Defender action " + blocks.RenderCode(n.Action.ID, 80) +
				" that " + blocks.RenderMention(who) + " asked to cancel, but Defender refused to cancel it: " + n.Text))
		case approvals.NoteReminder:
			reply(blocks.RenderReminder(requestView(after, blocks.MachineView{}), reminded(b.o.Approvals.Policy(), after)))
		}
	}
	switch {
	case after.Bulk():
		// A bulk request's cancels are told by announceBulk.
	case before.State == approvals.StateApproved && after.State == approvals.StateCancelled && before.CancelRequested != "":
		// MarkNotSent: cancelled while being sent, and Defender had none.
		reply(blocks.RenderReply(":black_circle: Cancelled by " + blocks.RenderMention(after.CancelRequested) +
			": Defender has no action for this request, so nothing ran."))
	case after.State == approvals.StateApproved && before.CancelRequested == "" && after.CancelRequested != "":
		reply(blocks.RenderReply(":hourglass: Cancel requested by " + blocks.RenderMention(after.CancelRequested) +
			". The action was being sent to Defender, so it may already exist there: mdebot is looking for it and will cancel it, or close this request if Defender has none."))
	}
	return ds
}

// endReplies are the replies of a submitted request's final status, after
// its status reply: the Cancel offer retired (after the offer, in its
// lane), a block or unblock applied, a package ready.
func (b *Bot) endReplies(before, after *approvals.Request, now time.Time) []approvals.Delivery {
	if after.Bulk() {
		// A bulk request has no Cancel offer to retire (its card has
		// Cancel all pending), and its machines' ends are in its batches;
		// a bulk collection ends with each package's download button.
		if after.Kind == approvals.KindCollect && before.State == approvals.StateSubmitted && after.State.Final() {
			m := blocks.RenderBulkPackagesReady(requestView(after, blocks.MachineView{}))
			return []approvals.Delivery{delivery(kindReply, postLane(after.Channel), "", after.ID, payload{}.withMessage(m), now)}
		}
		return nil
	}
	if before.State != approvals.StateSubmitted || !after.State.Final() {
		return nil
	}
	lane := postLane(after.Channel)
	switch {
	case !after.Kind.TargetsMachine():
		if after.State != approvals.StateSucceeded {
			return nil
		}
		verb := "blocked"
		if after.Kind == approvals.KindUnblock {
			verb = "unblocked"
		}
		m := blocks.RenderReply(":large_green_circle: Defender: file " + blocks.RenderCode(after.Params.FileHash, 80) + " " + verb + " tenant-wide.")
		return []approvals.Delivery{delivery(kindReply, lane, "", after.ID, payload{}.withMessage(m), now)}
	case after.Kind == approvals.KindCollect && after.State == approvals.StateSucceeded:
		return []approvals.Delivery{delivery(kindRetire, lane, "", after.ID, payload{}, now),
			delivery(kindReply, lane, "", after.ID, payload{Reply: replyPackageReady, Snapshot: after.Clone()}, now)}
	}
	return []approvals.Delivery{delivery(kindRetire, lane, "", after.ID, payload{}, now)}
}

// escalationReplies are what an escalation owes (MarkEscalated): the
// thread says who was asked, and so does a DM to the requester.
func (b *Bot) escalationReplies(before, after *approvals.Request, now time.Time) []approvals.Delivery {
	if !before.Escalated.IsZero() || after.Escalated.IsZero() || b.o.Escalation == "" {
		return nil
	}
	m := blocks.RenderEscalation(requestView(after, blocks.MachineView{}), b.o.Escalation, b.o.Approvals.Policy().EscalateAfter)
	return []approvals.Delivery{
		delivery(kindReply, postLane(after.Channel), "", after.ID, payload{}.withMessage(m), now),
		delivery(kindDM, "dm/"+after.Requester, "", after.ID, payload{User: after.Requester}.withMessage(m), now),
	}
}

// laterReply renders reply p (payload.Reply) of its request as the change
// wrote it (p.Snapshot), with its machine looked up now; false for a
// reply this version does not know.
func (b *Bot) laterReply(ctx context.Context, p payload) (blocks.Message, bool) {
	r := p.Snapshot
	switch {
	case p.Reply == replyForeignAction && p.Note != nil:
		a := p.Note.Action
		return blocks.RenderForeignAction(requestView(r, b.machineFor(ctx, r)), blocks.ActionView{
			ID: a.ID, Type: a.Type, Status: a.Status, Requestor: a.Requestor}), true
	case p.Reply == replyPackageReady:
		return blocks.RenderPackageReady(requestView(r, b.machineFor(ctx, r))), true
	}
	return blocks.Message{}, false
}

// cardUnchanged reports whether the change from before to after touched
// only what the card does not show: where it and its copies were posted,
// the Cancel offer's ts, notes. Such a change owes no card update.
func cardUnchanged(before, after *approvals.Request) bool {
	if before.Card == after.Card && before.CancelOfferTS == after.CancelOfferTS &&
		len(before.Copies) == len(after.Copies) && len(before.Notes) == len(after.Notes) {
		return false // none of those changed, so something the card shows did
	}
	b := *before
	b.Card, b.Copies, b.CancelOfferTS, b.Notes = after.Card, after.Copies, after.CancelOfferTS, after.Notes
	x, err1 := json.Marshal(&b)
	y, err2 := json.Marshal(after)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
