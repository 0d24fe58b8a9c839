package bot

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// handleClick handles one button click. Buttons carry only ids (and the
// Approve button the fingerprint); everything else is re-read from the
// store and re-checked for the clicking user.
func (b *Bot) handleClick(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	user, channel := cb.User.ID, clickChannel(cb)
	switch {
	case isPickAction(a.ActionID):
		b.pick(ctx, a.Value, user, channel)
		return
	}
	switch a.ActionID {
	case actionApprove:
		id, fp := b.approveTarget(ctx, a.Value, user)
		b.approve(ctx, id, fp, user, channel)
	case actionDeny:
		b.openDeny(ctx, a.Value, user, channel, cb.TriggerID)
	case actionWithdraw:
		res, err := b.o.Approvals.Withdraw(ctx, a.Value, user)
		if err != nil {
			b.replyError(ctx, channel, user, err, "request", a.Value)
			return
		}
		b.log.InfoContext(ctx, "request withdrawn", "request", a.Value, "user", user)
		b.updateCard(ctx, res.Request)
	case actionCancel:
		b.cancelRequest(ctx, a.Value, user, channel, "")
	case actionPackageLink:
		if b.allowLookup(ctx, user, channel) {
			b.packageLink(ctx, a.Value, user, channel)
		}
	case actionHistoryMore:
		cursor, text, _ := strings.Cut(a.Value, " ")
		cmd, err := ParseCommand(text)
		if err != nil || cmd.Verb != VerbHistory {
			b.log.WarnContext(ctx, "malformed history cursor", "user", user)
			return
		}
		if b.allowLookup(ctx, user, channel) {
			b.history(ctx, user, channel, cmd, cursor)
		}
	default:
		b.log.DebugContext(ctx, "unknown action ignored", "action_id", a.ActionID)
	}
}

// approve counts user's approval and, for the one approval that completes
// the request, runs it.
func (b *Bot) approve(ctx context.Context, id, fingerprint, user, channel string) {
	res, err := b.o.Approvals.Approve(ctx, id, user, fingerprint)
	if err != nil {
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	b.log.InfoContext(ctx, "request approved", "request", id, "user", user, "executable", res.Executable)
	b.updateCard(ctx, res.Request)
	if res.Executable {
		b.execute(ctx, res.Request)
	}
}

// openDeny opens the deny modal, unless the rules already refuse user: the
// refusal is then made (and audited) by approvals.Deny itself.
func (b *Bot) openDeny(ctx context.Context, id, user, channel, triggerID string) {
	r, err := b.o.Approvals.Get(ctx, id)
	if err != nil {
		b.auditNotFound(ctx, "deny", id, user, err)
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	isApprover, err := b.o.Approvals.IsApprover(ctx, user)
	if err != nil {
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	if user == r.Requester || !isApprover || r.State != approvals.StateAwaiting || !b.now().Before(r.Expires) {
		// No reason: should the rules have changed since the checks above
		// (a user group resolved this time), the denial is still refused
		// and audited, never recorded without the approver's reason.
		_, err := b.o.Approvals.Deny(ctx, id, user, "")
		if err == nil {
			// Cannot happen: every case above is refused. Show the result anyway.
			b.updateCard(ctx, r)
			return
		}
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	if _, err := b.o.Slack.OpenViewContext(ctx, triggerID, RenderDenyModal(requestView(r, b.machineFor(ctx, r)))); err != nil {
		b.replyError(ctx, channel, user, err, "request", id)
	}
}

// handleDenySubmission denies the request of a submitted deny modal.
func (b *Bot) handleDenySubmission(ctx context.Context, cb slack.InteractionCallback) {
	id, user, reason := cb.View.PrivateMetadata, cb.User.ID, denyReason(cb)
	if reason == "" {
		return // the ack already told the user
	}
	res, err := b.o.Approvals.Deny(ctx, id, user, reason)
	if err != nil {
		channel := ""
		if r, gerr := b.o.Approvals.Get(ctx, id); gerr == nil {
			channel = r.Card.Channel
		}
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	b.log.InfoContext(ctx, "request denied", "request", id, "user", user)
	b.updateCard(ctx, res.Request)
}

// cancelRequest cancels request id for user: withdrawn while it awaits
// approval, cancelled before submission, or its MDE action cancelled.
func (b *Bot) cancelRequest(ctx context.Context, id, user, channel, reason string) {
	r, err := b.o.Approvals.Get(ctx, id)
	if err != nil {
		b.auditNotFound(ctx, "cancel", id, user, err)
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	if r.State == approvals.StateAwaiting {
		res, err := b.o.Approvals.Withdraw(ctx, id, user)
		if err != nil {
			b.replyError(ctx, channel, user, err, "request", id)
			return
		}
		b.updateCard(ctx, res.Request)
		return
	}
	res, err := b.o.Approvals.Cancel(ctx, id, user, reason)
	if err != nil {
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	r = res.Request
	b.log.InfoContext(ctx, "cancel requested", "request", id, "user", user, "state", r.State)
	if r.State != approvals.StateSubmitted || !r.Kind.TargetsMachine() {
		b.updateCard(ctx, r)
		return
	}
	comment := truncateText("mdebot "+r.ID+": cancelled by "+user+": "+reason, maxComment)
	if _, err := b.o.Defender.Actions.Cancel(ctx, r.ActionID, comment); err != nil {
		b.replyError(ctx, channel, user, err, "request", id, "action", r.ActionID)
		return
	}
	b.tracker.poke()
}

// packageLink shows a fresh download link of a collected package to user,
// ephemerally, if user is the requester or an approver.
func (b *Bot) packageLink(ctx context.Context, id, user, channel string) {
	r, err := b.o.Approvals.Get(ctx, id)
	if err != nil {
		b.auditNotFound(ctx, "package link", id, user, err)
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	allowed := user == r.Requester || slices.Contains(r.Approvals(), user)
	if !allowed {
		allowed, _ = b.o.Approvals.IsApprover(ctx, user)
	}
	if !allowed {
		_ = b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, RequestID: r.ID,
			Actor: user, Kind: r.Kind, Machine: r.Params.Machine, State: r.State, Code: approvals.CodeNotPermitted,
			Detail: "package link: neither the requester nor an approver"})
		b.reply(ctx, channel, user, renderNotice(":no_entry_sign: Only the requester and the approvers can download this package."))
		return
	}
	if r.Kind != approvals.KindCollect || r.State != approvals.StateSucceeded {
		b.reply(ctx, channel, user, RenderPackageReady(requestView(r, MachineView{})))
		return
	}
	uri, err := b.lookups.Actions.PackageURI(ctx, r.ActionID)
	if err != nil {
		b.replyError(ctx, channel, user, err, "request", id)
		return
	}
	_ = b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventPackageLink, RequestID: r.ID,
		Actor: user, Kind: r.Kind, Machine: r.Params.Machine, State: r.State})
	b.log.InfoContext(ctx, "package link shown", "request", id, "user", user)
	b.reply(ctx, channel, user, RenderDownloadLink(uri.Reveal()))
}

// pick re-runs the command of a "Use this machine" button as the clicking
// user, with the picked machine id as its target.
func (b *Bot) pick(ctx context.Context, value, user, channel string) {
	if id, err := defender.ParseMachineID(value); err == nil {
		b.reply(ctx, channel, user, renderNotice("Run the command again with the machine id "+renderCode(string(id), 50)+" as its target."))
		return
	}
	cmd, err := ParseCommand(value)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			b.reply(ctx, channel, user, RenderUsageError(ue.Message, ue.Usage()))
		}
		return
	}
	b.runCommand(ctx, user, channel, cmd)
}

// auditNotFound audits user's attempt of op on request id as refused when
// err says the request does not exist (a forged or mistyped id), as
// approvals does for the attempts that reach it.
func (b *Bot) auditNotFound(ctx context.Context, op, id, user string, err error) {
	if !errors.Is(err, approvals.ErrNotFound) {
		return
	}
	if aerr := b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, RequestID: id,
		Actor: user, Code: approvals.CodeNotFound, Detail: op + ": request not found"}); aerr != nil {
		b.log.ErrorContext(ctx, "auditing a refused attempt failed", "user", user, "error", aerr)
	}
}

// approveTarget is the request id and fingerprint an Approve click carries.
// A malformed value is still handed to approvals, with an empty
// fingerprint that never matches: the click is refused, audited and
// explained like any other refused click.
func (b *Bot) approveTarget(ctx context.Context, value, user string) (id, fingerprint string) {
	id, fingerprint, ok := parseApproveValue(value)
	if !ok {
		b.log.WarnContext(ctx, "malformed approve value", "user", user)
		return strings.TrimSuffix(value, approveSep), ""
	}
	return id, fingerprint
}
