package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// explain turns an error into what the person who caused it is told. It is
// the one place that maps known error kinds (MDE's and the approval
// rules') to short sentences; ok is false for anything else, which the
// caller reports as an internal error with a reference.
func explain(err error) (msg Message, ok bool) {
	var ae *approvals.Error
	if errors.As(err, &ae) {
		switch ae.Code {
		case approvals.CodeSelfDecision:
			return RenderRefusal(RefuseSelfApproval), true
		case approvals.CodeNotPermitted:
			switch {
			case ae.RequestID == "":
				return renderNotice(":no_entry_sign: You may not request this action here (check the allowed channels and requesters)."), true
			case strings.Contains(ae.Msg, "neither the requester"):
				return RenderRefusal(RefuseNotRequester), true
			}
			return RenderRefusal(RefuseNotApprover), true
		case approvals.CodeAlreadyDecided:
			return RenderRefusal(RefuseAlreadyDecided), true
		case approvals.CodeNotAwaiting:
			switch ae.State {
			case approvals.StateExpired:
				return RenderRefusal(RefuseExpired), true
			case approvals.StateWithdrawn:
				return RenderRefusal(RefuseWithdrawn), true
			}
			return RenderRefusal(RefuseAlreadyDecided), true
		case approvals.CodeExpired:
			return RenderRefusal(RefuseExpired), true
		case approvals.CodeFingerprint:
			return RenderRefusal(RefuseChanged), true
		case approvals.CodeNotFound:
			return renderNotice(":grey_question: No such request."), true
		case approvals.CodeReasonRequired:
			return renderNotice(":warning: A reason is required."), true
		case approvals.CodeConflict:
			return renderNotice(":warning: Another request for the same target is still open: " + renderCode(ae.Existing, 40) + ". Finish or withdraw it first."), true
		case approvals.CodeIllegal:
			return renderNotice(":warning: Not possible now: the request is " + escapeText(strings.ReplaceAll(string(ae.State), "_", " ")) + "."), true
		case approvals.CodeInvalid:
			return renderNotice(":warning: " + escapeTruncate(ae.Msg, 500)), true
		case approvals.CodeGroupLookup:
			return renderNotice(":warning: mdebot could not check the approver groups in Slack; try again shortly."), true
		}
		return Message{}, false
	}
	var de *defender.Error
	var be *defender.BudgetError
	switch {
	case errors.As(err, &be):
		return renderNotice(":hourglass: Defender's API budget is busy; try again in " + seconds(be.RetryAfter) + "."), true
	case errors.Is(err, defender.ErrOutcomeUnknown):
		return renderNotice(":warning: Defender did not say whether it accepted the action; mdebot will look for it before trying again. Check the machine's action center."), true
	case errors.Is(err, defender.ErrActionInProgress):
		return renderNotice(":hourglass: Defender is already running an action of this kind on the machine."), true
	case errors.Is(err, defender.ErrOSNotSupported):
		return renderNotice(":no_entry_sign: The machine's OS or Defender agent does not support this action."), true
	case errors.Is(err, defender.ErrForbidden):
		text := ":no_entry_sign: Defender refused: mdebot's app registration lacks a permission"
		if errors.As(err, &de) {
			if p := de.MissingPermissions(); len(p) > 0 {
				text += " (it needs one of " + escapeTruncate(strings.Join(p, ", "), 300) + ")"
			}
		}
		return renderNotice(text + "."), true
	case errors.Is(err, defender.ErrRateLimited):
		return renderNotice(":hourglass: Defender's API rate limit is reached; try again in a minute."), true
	case errors.Is(err, defender.ErrNotFound):
		return renderNotice(":grey_question: Defender does not know that machine, action or package (yet)."), true
	case errors.Is(err, defender.ErrUnauthorized):
		return renderNotice(":no_entry_sign: Defender refused mdebot's credentials; tell the operator."), true
	}
	return Message{}, false
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
func (b *Bot) errorMessage(ctx context.Context, err error, attrs ...any) Message {
	if m, ok := explain(err); ok {
		b.log.InfoContext(ctx, "refused", append(attrs, "error", err.Error())...)
		return m
	}
	ref := newRef()
	b.log.ErrorContext(ctx, "internal error", append(attrs, "ref", ref, "error", logSafe(err))...)
	return RenderInternalError(ref)
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
