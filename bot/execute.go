package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
)

// maxComment bounds the comment sent to MDE; the request id comes first so
// it is never cut.
const maxComment = 1000

// commentPrefix is how every comment mdebot sends MDE about request id
// begins. An action is mdebot's own for a request only if its requestor
// comment starts with it: a substring anywhere else (another tool quoting
// the id, a person pasting it) proves nothing.
func commentPrefix(id string) string { return "mdebot " + id + ":" }

// ownsAction reports whether MDE action a was created by mdebot for r.
func ownsAction(r *approvals.Request, a defender.MachineAction) bool {
	return strings.HasPrefix(a.RequestorComment, commentPrefix(r.ID))
}

// mdeComment is the Comment an action is sent with: the request id (which
// the defender client and crash recovery use to recognise the action),
// who asked, who approved, and why.
func mdeComment(r *approvals.Request) string {
	approvers := r.Approvals()
	by := "no approval needed"
	if len(approvers) > 0 {
		by = "approved by " + strings.Join(approvers, ", ")
	}
	c := fmt.Sprintf("%s requested by %s, %s: %s", commentPrefix(r.ID), r.Requester, by, r.Reason)
	return blocks.TruncateText(c, maxComment)
}

// submit sends approved request r to MDE.
func (b *Bot) submit(ctx context.Context, r *approvals.Request) (defender.Submission, error) {
	return b.submitTo(ctx, r, r.Params.Machine)
}

// submitTo sends r's action for machine id to MDE: r's own machine, or one
// of a bulk request's.
func (b *Bot) submitTo(ctx context.Context, r *approvals.Request, id defender.MachineID) (defender.Submission, error) {
	a, c := b.o.Defender.Actions, mdeComment(r)
	switch r.Kind {
	case approvals.KindIsolate:
		return a.Isolate(ctx, id, r.Params.Isolation, c)
	case approvals.KindUnisolate:
		return a.Unisolate(ctx, id, c)
	case approvals.KindRestrict:
		return a.RestrictCodeExecution(ctx, id, c)
	case approvals.KindUnrestrict:
		return a.UnrestrictCodeExecution(ctx, id, c)
	case approvals.KindScan:
		return a.RunAntivirusScan(ctx, id, r.Params.Scan, c)
	case approvals.KindCollect:
		return a.CollectInvestigationPackage(ctx, id, c)
	case approvals.KindQuarantine:
		return a.StopAndQuarantineFile(ctx, id, r.Params.FileHash, c)
	case approvals.KindOffboard:
		return a.Offboard(ctx, id, c)
	}
	return defender.Submission{}, fmt.Errorf("bot: kind %s is not a machine action", r.Kind)
}

// execute runs approved request r: exactly one caller per request gets
// here (approvals' Result.Executable), or crash recovery after it checked
// that MDE has no action for r yet.
func (b *Bot) execute(ctx context.Context, r *approvals.Request) {
	log := b.log.With("request", r.ID, "kind", r.Kind)
	if b.o.DryRun {
		b.dryRun(ctx, r)
		return
	}
	if r.Bulk() {
		b.runBulkLater(r.ID)
		return
	}
	if !r.Kind.TargetsMachine() {
		b.executeIndicator(ctx, r)
		return
	}
	// Stored before the POST: from now on the action may exist in MDE
	// before its id is known, and a cancel must find it rather than close
	// the request over a running action.
	res, err := b.o.Approvals.MarkSubmitting(ctx, r.ID)
	if errors.Is(err, approvals.ErrIllegal) {
		log.InfoContext(ctx, "request no longer approved; not sent to MDE")
		return
	}
	if err != nil {
		log.ErrorContext(ctx, "recording the submission step failed; not sent, recovery retries", "error", err)
		b.recoverLater(r)
		return
	}
	r = res.Request
	if !b.stillLeads(ctx, r) {
		return
	}
	sub, err := b.submit(ctx, r)
	if err != nil {
		if errors.Is(err, defender.ErrOutcomeUnknown) || ctx.Err() != nil {
			// The action may exist: leave the request approved, so recovery
			// looks for it (by the request id in its comment) before any retry.
			log.ErrorContext(ctx, "MDE submission outcome unknown; left approved for recovery", "error", err)
			b.recoverLater(r)
			// Told in the thread with the note that records it.
			note := approvals.Note{Kind: approvals.NoteOutcomeUnknown, Text: b.errorMessage(ctx, err, "request", r.ID).Text}
			if _, nerr := b.o.Approvals.AddNote(context.WithoutCancel(ctx), r.ID, note); nerr != nil {
				log.ErrorContext(ctx, "recording the unknown outcome's note failed", "error", nerr)
			}
			b.out.poke()
			return
		}
		b.failSubmission(ctx, r, err)
		return
	}
	log.InfoContext(ctx, "submitted to MDE", "action", sub.Action.ID, "existing", sub.Existing, "status", sub.Action.Status)
	if sub.Existing && !ownsAction(r, sub.Action) {
		b.foreignAction(ctx, r, sub.Action)
		return
	}
	b.submitted(ctx, r, sub.Action)
}

// foreignAction ends approved request r without sending it: MDE already
// runs an action of its type on the machine that someone else created (in
// the portal, another tool). mdebot shows it and never claims or cancels
// it.
func (b *Bot) foreignAction(ctx context.Context, r *approvals.Request, a defender.MachineAction) {
	b.log.InfoContext(ctx, "MDE already has someone else's action; request not sent", "request", r.ID, "action", a.ID, "status", a.Status)
	detail := fmt.Sprintf("Not sent: Defender already has %s by %s (%s), action %s", a.Type, orUnknown(a.Requestor), orUnknown(string(a.Status)), a.ID)
	// The thread reply is owed by the note, with the change.
	note := approvals.Note{Kind: approvals.NoteForeignAction, Action: approvals.ActionRef{ID: a.ID, Type: a.Type, Status: a.Status, Requestor: a.Requestor}}
	res, err := b.o.Approvals.MarkFailed(ctx, r.ID, blocks.TruncateText(detail, 500), note)
	if err != nil {
		b.log.ErrorContext(ctx, "recording the request not sent failed", "request", r.ID, "error", err)
		return
	}
	b.updateCard(ctx, res.Request)
}

// orUnknown is s, or "unknown" when MDE left it empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// failSubmission records that MDE refused r and, with it, owes the
// thread why.
func (b *Bot) failSubmission(ctx context.Context, r *approvals.Request, err error) {
	msg := b.errorMessage(ctx, err, "request", r.ID)
	res, merr := b.o.Approvals.MarkFailed(ctx, r.ID, msg.Text, approvals.Note{Kind: approvals.NoteSubmitFailed, Text: msg.Text})
	if merr != nil {
		b.log.ErrorContext(ctx, "recording the failed submission failed", "request", r.ID, "error", merr)
		return
	}
	b.updateCard(ctx, res.Request)
}

// submitted records that r runs as MDE action a (MarkSubmitted, then its
// first status), tells the thread, and hands it to the tracker.
func (b *Bot) submitted(ctx context.Context, r *approvals.Request, a defender.MachineAction) {
	log := b.log.With("request", r.ID, "action", a.ID)
	res, err := b.o.Approvals.MarkSubmitted(ctx, r.ID, a.ID)
	if errors.Is(err, approvals.ErrIllegal) {
		// Cancelled while it was being submitted: cancel it in MDE too.
		log.InfoContext(ctx, "request cancelled during submission; cancelling the MDE action")
		if _, cerr := b.o.Defender.Actions.Cancel(ctx, a.ID, cancelComment(r.ID, r.ClosedBy, "cancelled before its submission completed")); cerr != nil {
			log.ErrorContext(ctx, "cancelling the MDE action failed", "error", cerr)
		}
		return
	}
	if err != nil {
		// MDE runs it but its id is not stored: recovery finds it by the
		// request id in its comment and records it.
		log.ErrorContext(ctx, "recording the submission failed; recovery looks the action up", "error", err)
		b.recoverLater(r)
		return
	}
	r = res.Request
	status := a.Status
	if status == "" {
		status = defender.StatusPending
	}
	if rec, err := b.o.Approvals.RecordStatus(ctx, r.ID, status, actionDetail(r.ID, a)); err != nil {
		log.ErrorContext(ctx, "recording the first status failed", "error", err)
	} else {
		r = rec.Request
	}
	// The Submitted reply and the Cancel offer were owed with
	// MarkSubmitted, in its transaction, and what a final status owes
	// with RecordStatus (see announce).
	b.updateCard(ctx, r)
	if status.Terminal() {
		return
	}
	if r.CancelRequested != "" {
		b.cancelFound(ctx, r, a)
	}
	b.tracker.add(r.ID, a.ID)
}

// cancelFound cancels in MDE the action a of request r, found after a
// cancel was requested while r was being sent, and records the outcome in
// a note, which owes the thread the reply (once per action).
func (b *Bot) cancelFound(ctx context.Context, r *approvals.Request, a defender.MachineAction) {
	log := b.log.With("request", r.ID, "action", a.ID)
	comment := cancelComment(r.ID, r.CancelRequested, "requested while it was being sent")
	note := approvals.Note{Kind: approvals.NoteCancelSent, Action: approvals.ActionRef{ID: a.ID, Type: a.Type}}
	_, err := b.o.Defender.Actions.Cancel(ctx, a.ID, comment)
	if err != nil {
		log.ErrorContext(ctx, "cancelling the found MDE action failed", "error", err)
		note.Kind, note.Text = approvals.NoteCancelRefused, b.errorMessage(ctx, err, "request", r.ID).Text
	} else {
		log.InfoContext(ctx, "found the MDE action of a request cancelled while being sent; cancel sent")
	}
	if _, nerr := b.o.Approvals.AddNote(context.WithoutCancel(ctx), r.ID, note); nerr != nil {
		log.ErrorContext(ctx, "recording the found action's cancel failed", "error", nerr)
	}
	b.out.poke()
	if err == nil {
		b.tracker.poke()
	}
}

// executeIndicator blocks or unblocks r's file hash: no machine action to
// track, so the request ends at once.
func (b *Bot) executeIndicator(ctx context.Context, r *approvals.Request) {
	if !b.stillLeads(ctx, r) {
		return
	}
	var actionID string
	var err error
	switch r.Kind {
	case approvals.KindBlock:
		var ind defender.Indicator
		ind, err = b.o.Defender.Indicators.BlockFile(ctx, defender.FileBlock{
			Hash:          r.Params.FileHash,
			Action:        defender.IndicatorBlock,
			Title:         blocks.TruncateText("mdebot "+r.ID+": block file", 100),
			Description:   mdeComment(r),
			GenerateAlert: true,
		})
		actionID = "indicator-" + ind.ID + "-" + r.ID
	case approvals.KindUnblock:
		var n int
		n, err = b.o.Defender.Indicators.UnblockFile(ctx, r.Params.FileHash)
		actionID = fmt.Sprintf("unblock-%d-%s", n, r.ID)
	default:
		err = fmt.Errorf("bot: kind %s is not an indicator", r.Kind)
	}
	if err != nil {
		b.failSubmission(ctx, r, err)
		return
	}
	res, err := b.o.Approvals.MarkSubmitted(ctx, r.ID, actionID)
	if err != nil {
		b.log.ErrorContext(ctx, "recording the indicator failed", "request", r.ID, "error", err)
		return
	}
	b.finishIndicator(ctx, res.Request)
}

// finishIndicator records a submitted indicator request as succeeded.
func (b *Bot) finishIndicator(ctx context.Context, r *approvals.Request) {
	rec, err := b.o.Approvals.RecordStatus(ctx, r.ID, defender.StatusSucceeded, "")
	if err != nil {
		b.log.ErrorContext(ctx, "recording the indicator status failed", "request", r.ID, "error", err)
		return
	}
	// "blocked tenant-wide" is owed with the status (see endReplies).
	r = rec.Request
	b.updateCard(ctx, r)
	b.log.InfoContext(ctx, "indicator done", "request", r.ID, "kind", r.Kind)
}

// cancelComment is the comment mdebot cancels request id's action with:
// "mdebot <id>: cancelled by <user>", then ": <reason>" when one was given.
func cancelComment(id, user, reason string) string {
	c := commentPrefix(id) + " cancelled by " + user
	if reason = strings.TrimSpace(reason); reason != "" {
		c += ": " + reason
	}
	return blocks.TruncateText(c, maxComment)
}

// actionDetail is MDE's text about a, an action of request id ("" when
// mdebot did not request it): the failure for a failed action, the
// cancellation comment for a cancelled one. A cancellation mdebot sent for
// id is shown as its reason alone: the card and thread already name who
// cancelled, by name.
func actionDetail(id string, a defender.MachineAction) string {
	switch a.Status {
	case defender.StatusFailed, defender.StatusTimeOut:
		var s string
		if err := json.Unmarshal(a.TroubleshootInfo, &s); err != nil {
			s = strings.TrimSpace(string(a.TroubleshootInfo)) // an object: show it as sent
		}
		return blocks.TruncateText(s, 500)
	case defender.StatusCancelled:
		c := a.CancellationComment
		if id != "" && strings.HasPrefix(c, commentPrefix(id)) {
			rest := strings.TrimSpace(strings.TrimPrefix(c, commentPrefix(id)))
			if strings.HasPrefix(rest, "cancelled by ") {
				_, reason, _ := strings.Cut(rest, ": ")
				return blocks.TruncateText(reason, 500)
			}
			return blocks.TruncateText(rest, 500)
		}
		return blocks.TruncateText(c, 500)
	}
	return ""
}

// stillLeads asks Options.StillLeads, right before r would be sent to MDE,
// whether this replica may still send it.
func (b *Bot) stillLeads(ctx context.Context, r *approvals.Request) bool {
	if b.o.StillLeads == nil {
		return true
	}
	if err := b.o.StillLeads(ctx); err != nil {
		b.log.ErrorContext(ctx, "not sent to MDE: this replica may no longer lead; the leader's recovery takes the request over", "request", r.ID, "error", err)
		return false
	}
	return true
}
