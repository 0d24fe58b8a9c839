package bot

import (
	"context"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
)

// historyQuery turns /mde history's filter into a store query; machine is
// the resolved target's id, if any.
func (b *Bot) historyQuery(f command.HistoryFilter, machine defender.MachineID) approvals.HistoryQuery {
	q := approvals.HistoryQuery{Machine: machine, User: f.UserID, Since: f.From, Until: f.To, Limit: blocks.HistoryPageSize, BreakGlass: f.BreakGlass}
	if f.Since > 0 {
		q.Since = b.now().Add(-f.Since)
	}
	if f.Kind != "" {
		q.Kind, _ = approvals.ParseKind(string(f.Kind))
	}
	if f.Outcome != "" {
		q.Outcome = f.Outcome.State()
	}
	return q
}

// history answers /mde history ephemerally, one page from cursor.
func (b *Bot) history(ctx context.Context, in interaction, cmd command.Command, cursor string) {
	if err := b.o.Approvals.Authorize(ctx, in.user, in.channel, approvals.OpHistory); err != nil {
		b.replyError(ctx, in, err)
		return
	}
	if cmd.Filter.UserName != "" {
		id, ok := b.resolveUserName(ctx, in, cmd.Filter.UserName)
		if !ok {
			return
		}
		cmd.Filter.UserID, cmd.Filter.UserName = id, ""
	}
	var machine defender.MachineID
	if cmd.Target.Value != "" {
		m, ok := b.resolveOne(ctx, in, cmd)
		if !ok {
			return
		}
		machine = defender.MachineID(m.ID)
	}
	q := b.historyQuery(cmd.Filter, machine)
	q.Cursor = cursor
	page, err := b.o.History.History(ctx, q)
	if err != nil {
		b.replyError(ctx, in, err)
		return
	}
	rows := make([]blocks.HistoryRow, len(page.Requests))
	for i, r := range page.Requests {
		rows[i] = historyRow(r, b.permalink(ctx, r))
	}
	next := ""
	if page.Next != "" {
		next = page.Next + " " + cmd.String()
	}
	b.reply(ctx, in, blocks.RenderHistory(rows, next))
}

// maxNameMatches bounds the candidates listed for an ambiguous @name.
const maxNameMatches = 10

// resolveUserName finds the one Slack user a typed @name names (handle,
// display name or real name). When none or several do, it tells the
// person (listing the candidates) and returns false.
func (b *Bot) resolveUserName(ctx context.Context, in interaction, name string) (string, bool) {
	people, err := b.users.find(ctx, name, b.now(), maxNameMatches+1)
	if err != nil {
		b.replyError(ctx, in, err, "name", name)
		return "", false
	}
	switch len(people) {
	case 0:
		b.reply(ctx, in, blocks.RenderUsageError("no one in this workspace is named @"+name+" (by handle, display name or real name)", command.VerbHistory.Usage()))
		return "", false
	case 1:
		return people[0].id, true
	}
	ids := make([]string, 0, len(people))
	for _, p := range people[:min(len(people), maxNameMatches)] {
		ids = append(ids, p.id)
	}
	b.reply(ctx, in, blocks.RenderAmbiguousUser(name, ids, len(people) > maxNameMatches))
	return "", false
}
