package bot

import (
	"context"
	"slices"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// historyQuery turns /mde history's filter into a store query; machine is
// the resolved target's id, if any.
func (b *Bot) historyQuery(f HistoryFilter, machine defender.MachineID) approvals.HistoryQuery {
	q := approvals.HistoryQuery{Machine: machine, User: f.UserID, Since: f.From, Until: f.To, Limit: HistoryPageSize}
	if f.Since > 0 {
		q.Since = b.now().Add(-f.Since)
	}
	if f.Kind != "" {
		q.Kind, _ = approvals.ParseKind(string(f.Kind))
	}
	q.Outcome = outcomeState(f.Outcome)
	return q
}

// outcomeState is the request state an --outcome names.
func outcomeState(o Outcome) approvals.State {
	switch o {
	case OutcomePending:
		return approvals.StateAwaiting
	case OutcomeApproved:
		return approvals.StateApproved
	case OutcomeRejected:
		return approvals.StateDenied
	case OutcomeExpired:
		return approvals.StateExpired
	case OutcomeCancelled:
		return approvals.StateCancelled
	case OutcomeRunning:
		return approvals.StateSubmitted
	case OutcomeSucceeded:
		return approvals.StateSucceeded
	case OutcomeFailed:
		return approvals.StateFailed
	case OutcomeTimedOut:
		return approvals.StateTimedOut
	}
	return ""
}

// history answers /mde history ephemerally, one page from cursor.
func (b *Bot) history(ctx context.Context, user, channel string, cmd Command, cursor string) {
	if ok, err := b.isAuditor(ctx, user); err != nil {
		b.replyError(ctx, channel, user, err)
		return
	} else if !ok {
		if err := b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, Actor: user,
			Code: approvals.CodeNotPermitted, Detail: "history: not an auditor"}); err != nil {
			b.log.ErrorContext(ctx, "auditing a refused history read failed", "user", user, "error", err)
		}
		b.log.InfoContext(ctx, "history refused", "user", user)
		b.reply(ctx, channel, user, renderNotice(":no_entry_sign: Only auditors can read the request history."))
		return
	}
	if cmd.Filter.UserName != "" {
		b.reply(ctx, channel, user, RenderUsageError("mention the user (@ and pick them) instead of typing the name", VerbHistory.Usage()))
		return
	}
	var machine defender.MachineID
	if cmd.Target.Value != "" {
		m, ok := b.resolveOne(ctx, user, channel, cmd)
		if !ok {
			return
		}
		machine = defender.MachineID(m.ID)
	}
	q := b.historyQuery(cmd.Filter, machine)
	q.Cursor = cursor
	page, err := b.o.History.History(ctx, q)
	if err != nil {
		b.replyError(ctx, channel, user, err)
		return
	}
	rows := make([]HistoryRow, len(page.Requests))
	for i, r := range page.Requests {
		rows[i] = historyRow(r, b.permalink(ctx, r))
	}
	next := ""
	if page.Next != "" {
		next = page.Next + " " + cmd.String()
	}
	b.reply(ctx, channel, user, RenderHistory(rows, next))
}

// isAuditor reports whether user may read history: listed in
// Options.Auditors (directly or through a user group), or, when none are
// configured, an approver.
func (b *Bot) isAuditor(ctx context.Context, user string) (bool, error) {
	if len(b.o.Auditors) == 0 {
		return b.o.Approvals.IsApprover(ctx, user)
	}
	for _, a := range b.o.Auditors {
		if a == user {
			return true, nil
		}
	}
	for _, a := range b.o.Auditors {
		if !approvals.IsGroupID(a) {
			continue
		}
		members, err := b.o.Groups.Members(ctx, a)
		if err != nil {
			return false, err
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}
