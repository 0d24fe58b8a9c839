package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// alertBreakGlass tells every approver (by DM) and slack.alert_channel of
// break-glass request r at once, each once (marked first). The messages
// carry the review buttons.
func (b *Bot) alertBreakGlass(ctx context.Context, r *approvals.Request) {
	m := blocks.RenderBreakGlassAlert(requestView(r, blocks.MachineView{}), b.permalink(ctx, r))
	users, err := b.o.Approvals.ApproverUsers(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "resolving the approvers to alert of a break-glass action failed", "request", r.ID, "error", err)
	}
	for _, u := range users {
		if u == r.Requester || !b.markOnce(ctx, "breakglass/"+r.ID+"/"+u) {
			continue
		}
		if err := b.dm(ctx, u, m, false, nil); err != nil {
			b.log.WarnContext(ctx, "break-glass alert DM failed", "request", r.ID, "user", u, "error", err)
		}
	}
	if ch := b.o.AlertChannel; ch != "" && b.markOnce(ctx, "breakglass/"+r.ID+"/"+ch) {
		if _, err := b.post(ctx, ch, "", m, false, nil); err != nil {
			b.log.WarnContext(ctx, "break-glass alert in the alert channel failed", "request", r.ID, "channel", ch, "error", err)
		}
	}
	b.log.WarnContext(ctx, "break-glass action", "request", r.ID, "requester", r.Requester, "kind", r.Kind, "target", r.Target(), "approvers_alerted", len(users))
}

// markOnce marks key and reports whether this call marked it (a failure
// to mark is logged and counts as marked, so nothing is sent twice).
func (b *Bot) markOnce(ctx context.Context, key string) bool {
	first, err := b.o.Marks.Mark(ctx, key, b.now().UTC().Format(time.RFC3339))
	if err != nil {
		b.log.WarnContext(ctx, "recording a notification failed", "key", key, "error", err)
		return false
	}
	return first
}

// openReview opens the review modal of break-glass request id.
func (b *Bot) openReview(ctx context.Context, in interaction, id string, flag bool, triggerID string) {
	r, err := b.o.Approvals.Get(ctx, id)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	if _, err := b.o.Slack.OpenViewContext(ctx, triggerID, blocks.RenderReviewModal(requestView(r, blocks.MachineView{}), flag)); err != nil {
		b.replyError(ctx, in, err, "request", id)
	}
}

// handleReviewSubmission records the review of a submitted review modal.
func (b *Bot) handleReviewSubmission(ctx context.Context, cb slack.InteractionCallback) {
	flag, id, ok := blocks.ParseReviewMetadata(cb.View.PrivateMetadata)
	if !ok {
		b.log.WarnContext(ctx, "malformed review modal metadata", "user", cb.User.ID)
		return
	}
	b.review(ctx, interaction{user: cb.User.ID}, id, flag, reviewNote(cb))
}

// review records in.user's Acknowledge (or Flag) of break-glass request
// id, and updates its card and the approvers' App Homes.
func (b *Bot) review(ctx context.Context, in interaction, id string, flag bool, note string) {
	review := b.o.Approvals.Acknowledge
	if flag {
		review = b.o.Approvals.Flag
	}
	res, err := review(ctx, id, in.user, note)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	b.log.InfoContext(ctx, "break-glass reviewed", "request", id, "user", in.user, "review", res.Request.Review.State)
	b.updateCard(ctx, res.Request)
	b.republishApproverHomes(ctx)
}

// runReviews, every interval until ctx ends, flags overdue break-glass
// reviews (approvals.SweepReviews) and reminds the approvers: once half-way
// to the review's due time, once when it is overdue.
func (b *Bot) runReviews(ctx context.Context, interval time.Duration) {
	every(ctx, interval, b.sweepReviews)
}

func (b *Bot) sweepReviews(ctx context.Context) {
	overdue, err := b.o.Approvals.SweepReviews(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "flagging overdue break-glass reviews failed", "error", err)
	}
	for _, r := range overdue {
		b.log.WarnContext(ctx, "break-glass review overdue", "request", r.ID)
		b.updateCard(ctx, r)
	}
	if len(overdue) > 0 {
		b.republishApproverHomes(ctx)
	}
	pending, err := b.o.Approvals.PendingReviews(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "listing pending break-glass reviews failed", "error", err)
		return
	}
	now := b.now()
	for _, r := range pending {
		key := "review-reminder/" + r.ID
		switch {
		case r.Review.Overdue:
			key = "review-overdue/" + r.ID
		case now.Before(r.Created.Add(r.Review.Due.Sub(r.Created) / 2)):
			continue
		}
		if !b.markOnce(ctx, key) {
			continue
		}
		b.remindReview(ctx, r)
	}
}

// remindReview DMs every approver but the requester a reminder of r's
// pending review.
func (b *Bot) remindReview(ctx context.Context, r *approvals.Request) {
	users, err := b.o.Approvals.ApproverUsers(ctx)
	if err != nil {
		b.log.WarnContext(ctx, "resolving the approvers to remind of a review failed", "request", r.ID, "error", err)
	}
	m := blocks.RenderReviewReminder(requestView(r, blocks.MachineView{}))
	for _, u := range users {
		if u == r.Requester {
			continue
		}
		if err := b.dm(ctx, u, m, false, nil); err != nil {
			b.log.WarnContext(ctx, "review reminder DM failed", "request", r.ID, "user", u, "error", err)
		}
	}
	b.log.InfoContext(ctx, "approvers reminded of a break-glass review", "request", r.ID, "overdue", r.Review.Overdue)
}
