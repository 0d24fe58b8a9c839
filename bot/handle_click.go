package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
)

// handleClick handles one button click, on a card, in a thread or in the
// App Home (in.home set). Buttons carry only ids (and the Approve button
// the fingerprint); everything else is re-read and re-checked for the
// clicking user by package approvals.
func (b *Bot) handleClick(ctx context.Context, in interaction, triggerID string, a *slack.BlockAction) {
	if blocks.IsPickAction(a.ActionID) {
		b.pick(ctx, in, a.Value)
		return
	}
	switch blocks.HomeAction(a.ActionID) {
	case blocks.ActionApprove:
		id, fp := b.approveTarget(ctx, a.Value, in.user)
		b.approve(ctx, in, id, fp)
	case blocks.ActionDeny:
		b.openDeny(ctx, in, a.Value, triggerID)
	case blocks.ActionWithdraw:
		res, err := b.o.Approvals.Withdraw(ctx, a.Value, in.user)
		if err != nil {
			b.replyError(ctx, in, err, "request", a.Value)
			return
		}
		b.log.InfoContext(ctx, "request withdrawn", "request", a.Value, "user", in.user)
		b.updateCard(ctx, res.Request)
	case blocks.ActionCancel:
		b.cancelRequest(ctx, in, a.Value, "")
	case blocks.ActionAcknowledge, blocks.ActionFlag:
		b.openReview(ctx, in, a.Value, blocks.HomeAction(a.ActionID) == blocks.ActionFlag, triggerID)
	case blocks.ActionPackageLink:
		if b.allowLookup(ctx, in) {
			b.packageLink(ctx, in, a.Value)
		}
	case blocks.ActionHistoryMore:
		cursor, text, _ := strings.Cut(a.Value, " ")
		cmd, err := command.Parse(text)
		if err != nil || cmd.Verb != command.VerbHistory {
			b.log.WarnContext(ctx, "malformed history cursor", "user", in.user)
			return
		}
		if b.allowLookup(ctx, in) {
			b.history(ctx, in, cmd, cursor)
		}
	case blocks.ActionHomeKind:
		if in.home != nil {
			in.home.SetKind(a.SelectedOption.Value)
			b.publishHome(ctx, in.user, *in.home, "")
		}
	case blocks.ActionHomeDMs:
		b.setApprovalDMs(ctx, in.user, a.Value == "on")
		if in.home != nil {
			b.publishHome(ctx, in.user, *in.home, "")
		}
	case blocks.ActionHomeOutcome:
		if in.home != nil {
			in.home.SetOutcome(a.SelectedOption.Value)
			b.publishHome(ctx, in.user, *in.home, "")
		}
	default:
		b.log.DebugContext(ctx, "unknown action ignored", "action_id", a.ActionID)
	}
}

// approve counts the clicking approver's approval of request id, from its
// card or from the App Home, and, for the one approval that completes the
// request, runs it. Only how the answer is shown differs between the two.
func (b *Bot) approve(ctx context.Context, in interaction, id, fingerprint string) {
	res, err := b.o.Approvals.Approve(ctx, id, in.user, fingerprint)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	b.log.InfoContext(ctx, "request approved", "request", id, "user", in.user, "executable", res.Executable, "from_home", in.home != nil)
	if in.home != nil {
		// The approver's view is republished with the others, after the
		// card: nothing between the click and the MDE POST waits for it.
		b.homes.set(in.user, *in.home, b.now())
		b.homeQueue.push(in.user)
	}
	b.updateCard(ctx, res.Request)
	if res.Executable {
		b.execute(ctx, res.Request)
	}
}

// openDeny opens the deny modal, unless the rules already refuse the
// clicking user (approvals.CheckDeny refuses and audits it).
func (b *Bot) openDeny(ctx context.Context, in interaction, id, triggerID string) {
	r, err := b.o.Approvals.CheckDeny(ctx, id, in.user)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	modal := blocks.RenderDenyModal(requestView(r, b.machineFor(ctx, r)))
	// Through send, as an urgent answer: a 429 waits out its Retry-After
	// (the trigger_id lasts 3 s, after which Slack says expired_trigger_id).
	if err := b.send(ctx, "views.open", "", true, 1, nil, func(ctx context.Context) error {
		_, err := b.o.Slack.OpenViewContext(ctx, triggerID, modal)
		return err
	}); err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	if in.home != nil {
		b.publishHome(ctx, in.user, *in.home, "")
	}
}

// handleDenySubmission denies the request of a submitted deny modal.
func (b *Bot) handleDenySubmission(ctx context.Context, cb slack.InteractionCallback) {
	id, reason := cb.View.PrivateMetadata, denyReason(cb)
	in := interaction{user: cb.User.ID}
	if reason == "" {
		return // the ack already told the user
	}
	res, err := b.o.Approvals.Deny(ctx, id, in.user, reason)
	if err != nil {
		if r, gerr := b.o.Approvals.Get(ctx, id); gerr == nil {
			in.channel = r.Card.Channel
		}
		b.replyError(ctx, in, err, "request", id)
		return
	}
	b.log.InfoContext(ctx, "request denied", "request", id, "user", in.user)
	b.updateCard(ctx, res.Request)
}

// cancelRequest cancels request id (a request id or its MDE action id) for
// the person: withdrawn while it awaits approval, cancelled before
// submission, or its MDE action cancelled.
func (b *Bot) cancelRequest(ctx context.Context, in interaction, id, reason string) {
	r, err := b.o.Approvals.Find(ctx, in.user, approvals.OpCancel, id)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	if r.State == approvals.StateAwaiting {
		res, err := b.o.Approvals.Withdraw(ctx, r.ID, in.user)
		if err != nil {
			b.replyError(ctx, in, err, "request", r.ID)
			return
		}
		b.updateCard(ctx, res.Request)
		return
	}
	if r.Bulk() {
		b.cancelBulk(ctx, in, r, id, reason)
		return
	}
	res, err := b.o.Approvals.Cancel(ctx, r.ID, in.user, reason)
	if err != nil {
		b.replyError(ctx, in, err, "request", r.ID)
		return
	}
	r = res.Request
	b.log.InfoContext(ctx, "cancel requested", "request", r.ID, "user", in.user, "state", r.State)
	if r.State == approvals.StateApproved && r.CancelRequested != "" {
		// Being sent, or its outcome unknown: recovery looks the action up
		// and cancels it, or closes the request if MDE has none (the
		// thread is told with the change, see owedReplies).
		b.updateCard(ctx, r)
		b.recoveries.hurry(r.ID, b.now())
		b.tracker.poke()
		return
	}
	if r.State != approvals.StateSubmitted || !r.Kind.TargetsMachine() {
		b.updateCard(ctx, r)
		return
	}
	comment := cancelComment(r.ID, in.user, reason)
	if err := b.cancelOwn(ctx, r, comment); err != nil {
		b.replyError(ctx, in, err, "request", r.ID, "action", r.ActionID)
		return
	}
	b.tracker.poke()
}

// errForeignAction refuses to cancel an MDE action that mdebot did not
// create for the request (its comment does not start with the request's
// prefix): a request recorded so before that rule existed.
var errForeignAction = errors.New("bot: the Defender action was not created by mdebot for this request")

// cancelOwn cancels r's MDE action with comment, after checking that the
// action is mdebot's own for r: mdebot never cancels someone else's.
func (b *Bot) cancelOwn(ctx context.Context, r *approvals.Request, comment string) error {
	a, err := b.o.Defender.Actions.Get(ctx, r.ActionID)
	if err != nil {
		return err
	}
	if !ownsAction(r, a) {
		b.log.WarnContext(ctx, "refused to cancel an MDE action mdebot did not create", "request", r.ID, "action", a.ID)
		return errForeignAction
	}
	_, err = b.o.Defender.Actions.Cancel(ctx, r.ActionID, comment)
	return err
}

// packageLink shows a fresh download link of a collected package to the
// person, ephemerally, if approvals allows them to see it.
func (b *Bot) packageLink(ctx context.Context, in interaction, value string) {
	id, actionID, _ := strings.Cut(value, " ")
	r, err := b.o.Approvals.AuthorizePackageLink(ctx, id, in.user)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	if r.Bulk() {
		b.targetPackageLink(ctx, in, r, actionID)
		return
	}
	if r.Kind != approvals.KindCollect || r.State != approvals.StateSucceeded {
		b.reply(ctx, in, blocks.RenderPackageReady(requestView(r, blocks.MachineView{})))
		return
	}
	uri, err := b.lookups.Actions.PackageURI(ctx, r.ActionID)
	if err != nil {
		b.replyError(ctx, in, err, "request", id)
		return
	}
	if err := b.o.Approvals.RecordPackageLink(ctx, r, in.user); err != nil {
		// The link is shown only once its showing is audited.
		b.replyError(ctx, in, err, "request", id)
		return
	}
	b.log.InfoContext(ctx, "package link shown", "request", id, "user", in.user)
	b.reply(ctx, in, blocks.RenderDownloadLink(uri.Reveal()))
}

// pick re-runs the command of a "Use this machine" button as the clicking
// user, with the picked machine id as its target.
func (b *Bot) pick(ctx context.Context, in interaction, value string) {
	if id, err := defender.ParseMachineID(value); err == nil {
		b.reply(ctx, in, blocks.RenderNotice("Run the command again with the machine id "+blocks.RenderCode(string(id), 50)+" as its target."))
		return
	}
	cmd, err := command.Parse(value)
	if err != nil {
		var ue *command.UsageError
		if errors.As(err, &ue) {
			b.reply(ctx, in, blocks.RenderUsageError(ue.Message, ue.Usage()))
		}
		return
	}
	b.runCommand(ctx, in, cmd)
}

// approveTarget is the request id and fingerprint an Approve click carries.
// A malformed value is still handed to approvals, with an empty
// fingerprint that never matches: the click is refused, audited and
// explained like any other refused click.
func (b *Bot) approveTarget(ctx context.Context, value, user string) (id, fingerprint string) {
	id, fingerprint, ok := blocks.ParseApproveValue(value)
	if !ok {
		b.log.WarnContext(ctx, "malformed approve value", "user", user)
		return strings.TrimSuffix(value, blocks.ApproveSep), ""
	}
	return id, fingerprint
}
