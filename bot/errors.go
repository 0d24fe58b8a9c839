package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
)

// explain turns an error into what the person who caused it is told. It is
// the one place that maps known error kinds (MDE's and the approval
// rules') to short sentences; ok is false for anything else, which the
// caller reports as an internal error with a reference.
func explain(err error) (msg blocks.Message, ok bool) {
	var ae *approvals.Error
	if errors.As(err, &ae) {
		return explainRefusal(ae)
	}
	var de *defender.Error
	var be *defender.BudgetError
	var ue *UnresolvedError
	var ag *defender.AmbiguousGroupError
	switch {
	case errors.As(err, &ue):
		return blocks.RenderUnresolvedTargets(ue.view()), true
	case errors.As(err, &ag):
		group := command.Target{Kind: command.TargetGroup, Value: ag.Name}.String()
		return blocks.RenderUnresolvedTargets(blocks.UnresolvedView{Ambiguous: []blocks.AmbiguousTargetView{{Target: group, GroupIDs: ag.IDs}}}), true
	case errors.Is(err, errForeignAction):
		return blocks.RenderNotice(":no_entry_sign: This Defender action was not created by mdebot for this request, and mdebot never cancels someone else's action; cancel it in the Defender portal if it must stop."), true
	case errors.As(err, &be):
		return blocks.RenderNotice(":hourglass: Defender's API budget is busy; try again in " + seconds(be.RetryAfter) + "."), true
	case errors.Is(err, defender.ErrOutcomeUnknown):
		return blocks.RenderNotice(":warning: Defender did not say whether it accepted the action; mdebot will look for it before trying again. Check the machine's action center."), true
	case errors.Is(err, defender.ErrActionInProgress):
		return blocks.RenderNotice(":hourglass: Defender is already running an action of this kind on the machine."), true
	case errors.Is(err, defender.ErrNoBlockIndicator):
		return blocks.RenderNotice(":white_circle: Nothing to unblock: Defender has no block indicator for this hash that mdebot can see; with Ti.ReadWrite.All it would see those created by others. Nothing was changed."), true
	case errors.Is(err, defender.ErrOSNotSupported):
		return blocks.RenderNotice(":no_entry_sign: The machine's OS or Defender agent does not support this action."), true
	case errors.Is(err, defender.ErrForbidden):
		text := ":no_entry_sign: Defender refused: mdebot's app registration lacks a permission"
		if errors.As(err, &de) {
			if p := de.MissingPermissions(); len(p) > 0 {
				text += " (it needs one of " + blocks.EscapeTruncate(strings.Join(p, ", "), 300) + ")"
			}
		}
		return blocks.RenderNotice(text + "."), true
	case errors.Is(err, defender.ErrRateLimited):
		return blocks.RenderNotice(":hourglass: Defender's API rate limit is reached; try again in a minute."), true
	case errors.Is(err, defender.ErrNotFound):
		return blocks.RenderNotice(":grey_question: Defender does not know that machine, action or package (yet)."), true
	case errors.Is(err, defender.ErrUnauthorized):
		return blocks.RenderNotice(":no_entry_sign: Defender refused mdebot's credentials; tell the operator."), true
	case errors.Is(err, defender.ErrBadRequest) && errors.As(err, &de):
		// Any other 400: not a duplicate of a running action (the client
		// looked), so Defender's own words are the reason.
		if strings.TrimSpace(de.Message) == "" {
			return blocks.RenderNotice(":no_entry_sign: Defender refused the request without giving a reason (400 Bad Request)."), true
		}
		return blocks.RenderNotice(":no_entry_sign: Defender refused the request: " + blocks.EscapeTruncate(de.Message, 500)), true
	}
	return blocks.Message{}, false
}

// explainRefusal is what a person refused by the approval rules is told;
// the sentence is chosen by the error's code and permission rule, never by
// its text.
func explainRefusal(ae *approvals.Error) (blocks.Message, bool) {
	switch {
	case errors.Is(ae, approvals.ErrSelfDecision):
		return blocks.RenderRefusal(blocks.RefuseSelfApproval), true
	case errors.Is(ae, approvals.ErrChannel):
		if ae.Op == approvals.OpOpen {
			return blocks.RenderNotice(":no_entry_sign: Requests are not accepted in this channel; use one of the response channels (see `/mde help`)."), true
		}
		what := "This command"
		if ae.Op == approvals.OpCancel {
			what = "`/mde cancel`"
		}
		return blocks.RenderNotice(":no_entry_sign: " + what + " is not answered in this channel; use one of the response channels."), true
	case errors.Is(ae, approvals.ErrNotRequester):
		return blocks.RenderNotice(":no_entry_sign: You are not allowed to request response actions: you may not request them with `/mde` until an operator adds you to the requesters (slack.requesters)."), true
	case errors.Is(ae, approvals.ErrWorkspace):
		return blocks.RenderNotice(":no_entry_sign: mdebot serves members of its own Slack workspace only."), true
	case errors.Is(ae, approvals.ErrNotReader):
		return blocks.RenderNotice(":no_entry_sign: Only requesters, approvers and auditors can look up machines and requests."), true
	case errors.Is(ae, approvals.ErrNotAuditor):
		if ae.Op == approvals.OpExport {
			return blocks.RenderNotice(":no_entry_sign: Only the auditors (slack.auditors) can export the requests."), true
		}
		return blocks.RenderNotice(":no_entry_sign: Only auditors can read the request history."), true
	case errors.Is(ae, approvals.ErrNotOwner):
		if ae.Op == approvals.OpPackageLink {
			return blocks.RenderNotice(":no_entry_sign: Only the requester and the approvers can download this package."), true
		}
		return blocks.RenderRefusal(blocks.RefuseNotRequester), true
	case errors.Is(ae, approvals.ErrNotBreakGlass):
		return blocks.RenderNotice(":no_entry_sign: You may not use `--break-glass` (slack.break_glass); request the action without it, for an approver to decide."), true
	case errors.Is(ae, approvals.ErrBreakGlassKind):
		return blocks.RenderNotice(":no_entry_sign: Break-glass may not run this action (policy.break_glass_kinds); request it without `--break-glass`."), true
	case errors.Is(ae, approvals.ErrBreakGlassCap):
		return blocks.RenderNotice(":no_entry_sign: You have used break-glass as often as a day allows (policy.break_glass_per_day); request the action without `--break-glass`, for an approver to decide."), true
	case errors.Is(ae, approvals.ErrNotMachineApprover):
		return blocks.RenderNotice(":no_entry_sign: This machine's policy rules name who may approve this action, and you are not among them (see the card's *Approvals*)."), true
	case errors.Is(ae, approvals.ErrNotPermitted):
		return blocks.RenderRefusal(blocks.RefuseNotApprover), true
	case errors.Is(ae, approvals.ErrAlreadyDecided):
		if ae.Missing > 0 {
			return blocks.RenderAlreadyApproved(ae.Missing), true
		}
		return blocks.RenderRefusal(blocks.RefuseAlreadyDecided), true
	case errors.Is(ae, approvals.ErrNotAwaiting):
		switch ae.State {
		case approvals.StateExpired:
			return blocks.RenderRefusal(blocks.RefuseExpired), true
		case approvals.StateWithdrawn:
			return blocks.RenderRefusal(blocks.RefuseWithdrawn), true
		}
		return blocks.RenderRefusal(blocks.RefuseAlreadyDecided), true
	case errors.Is(ae, approvals.ErrExpired):
		return blocks.RenderRefusal(blocks.RefuseExpired), true
	case errors.Is(ae, approvals.ErrFingerprint):
		return blocks.RenderRefusal(blocks.RefuseChanged), true
	case errors.Is(ae, approvals.ErrNotFound):
		return blocks.RenderNotice(":grey_question: No such request."), true
	case errors.Is(ae, approvals.ErrReasonRequired):
		return blocks.RenderNotice(":warning: A reason is required."), true
	case errors.Is(ae, approvals.ErrConflict):
		return blocks.RenderNotice(":warning: Another request for the same target is still open: " + blocks.RenderCode(ae.Existing, 40) + ". Finish or withdraw it first."), true
	case errors.Is(ae, approvals.ErrIllegal):
		return blocks.RenderNotice(":warning: Not possible now: the request is " + blocks.EscapeText(strings.ReplaceAll(string(ae.State), "_", " ")) + "."), true
	case errors.Is(ae, approvals.ErrInvalid):
		return blocks.RenderNotice(":warning: " + blocks.EscapeTruncate(ae.Msg, 500)), true
	case errors.Is(ae, approvals.ErrGroupLookup):
		return blocks.RenderNotice(":warning: mdebot could not check the approver groups in Slack; try again shortly."), true
	}
	return blocks.Message{}, false
}

// newRef returns a short random reference that ties an internal error shown
// to a person to its details in the log.
func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "E-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// errorMessage is explain's message for err, or an internal-error notice
// whose reference is logged with err's detail.
func (b *Bot) errorMessage(ctx context.Context, err error, attrs ...any) blocks.Message {
	if m, ok := explain(err); ok {
		b.log.InfoContext(ctx, "refused", append(attrs, "error", err.Error())...)
		return m
	}
	ref := newRef()
	b.log.ErrorContext(ctx, "internal error", append(attrs, "ref", ref, "error", logSafe(err))...)
	return blocks.RenderInternalError(ref)
}

// logSafe is err's text for a log line with the URL of any *url.Error in
// it cut to its scheme and host: Slack's response_url and upload URLs
// carry their secret in the path, signed URLs in the query.
func logSafe(err error) string {
	msg := err.Error()
	for e := err; e != nil; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		if ue.URL != "" {
			short := "[redacted URL]"
			if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
				short = u.Scheme + "://" + u.Host + "/[redacted]"
			}
			msg = strings.ReplaceAll(msg, ue.URL, short)
		}
		e = ue.Err
	}
	return msg
}
