package bot

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// handleCommand answers one /mde command typed by user in channel. Every
// answer but an accepted request's card is ephemeral.
func (b *Bot) handleCommand(ctx context.Context, user, channel, text string) {
	cmd, err := ParseCommand(text)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			noteCommand(ctx, ue.Verb, CommandInvalid)
			b.reply(ctx, channel, user, RenderUsageError(ue.Message, ue.Usage()))
			return
		}
		b.replyError(ctx, channel, user, err)
		return
	}
	noteCommand(ctx, cmd.Verb, "")
	b.runCommand(ctx, user, channel, cmd)
}

// runCommand carries out a parsed command for user in channel.
func (b *Bot) runCommand(ctx context.Context, user, channel string, cmd Command) {
	switch {
	case cmd.Verb == VerbHelp:
		b.reply(ctx, channel, user, renderNotice(escapeText(HelpText())))
	case cmd.Verb == VerbMachine:
		if !b.mayLookUp(ctx, user, channel, cmd.Verb) {
			return
		}
		m, ok := b.resolveOne(ctx, user, channel, cmd)
		if ok {
			b.reply(ctx, channel, user, RenderMachine(m))
		}
	case cmd.Verb == VerbStatus:
		if !b.mayLookUp(ctx, user, channel, cmd.Verb) {
			return
		}
		r, err := b.findRequest(ctx, cmd.ID)
		if errors.Is(err, approvals.ErrNotFound) && !strings.HasPrefix(cmd.ID, "R-") {
			b.actionStatus(ctx, user, channel, cmd.ID)
			return
		}
		if err != nil {
			b.replyError(ctx, channel, user, err, "id", cmd.ID)
			return
		}
		b.reply(ctx, channel, user, RenderRequestCard(requestView(r, b.machineFor(ctx, r)), b.now()))
	case cmd.Verb == VerbCancel:
		if !b.inResponseChannel(ctx, user, channel, cmd.Verb) {
			return
		}
		r, err := b.findRequest(ctx, cmd.ID)
		if err != nil {
			b.auditNotFound(ctx, "cancel", cmd.ID, user, err)
			b.replyError(ctx, channel, user, err, "id", cmd.ID)
			return
		}
		b.cancelRequest(ctx, r.ID, user, channel, cmd.Reason)
	case cmd.Verb == VerbHistory:
		b.history(ctx, user, channel, cmd, "")
	case cmd.Verb == VerbExport:
		b.export(ctx, user, channel, cmd)
	case cmd.Verb.IsAction():
		b.request(ctx, user, channel, cmd)
	default:
		b.reply(ctx, channel, user, RenderUsageError("unknown command", VerbHelp.Usage()))
	}
}

// findRequest finds a request by its id (R-…) or its MDE action id.
func (b *Bot) findRequest(ctx context.Context, id string) (*approvals.Request, error) {
	r, err := b.o.Store.Get(ctx, id)
	if errors.Is(err, approvals.ErrNotFound) {
		if r2, err2 := b.o.Store.ByActionID(ctx, strings.ToLower(id)); err2 == nil {
			return r2, nil
		}
	}
	return r, err
}

// request opens a request for an action command, posts its card and, when
// it needs no approval, runs it.
func (b *Bot) request(ctx context.Context, user, channel string, cmd Command) {
	kind, err := approvals.ParseKind(string(cmd.Verb))
	if err != nil {
		b.replyError(ctx, channel, user, err)
		return
	}
	// Refuse what the policy forbids before anything reaches MDE.
	// Each refusal is audited as approvals.Open would audit it.
	refuse := func(detail, msg string) {
		if err := b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, Actor: user,
			Kind: kind, Code: approvals.CodeNotPermitted, Detail: "open: " + detail}); err != nil {
			b.log.ErrorContext(ctx, "auditing a refused request failed", "user", user, "error", err)
		}
		b.reply(ctx, channel, user, RenderUsageError(msg, cmd.Verb.Usage()))
	}
	pol := b.o.Approvals.Policy()
	if len(pol.Channels) > 0 && !slices.Contains(pol.Channels, channel) {
		refuse("requests are not accepted in channel "+channel, "requests are not accepted in this channel")
		return
	}
	if ok, err := b.o.Approvals.IsRequester(ctx, user); err != nil {
		b.replyError(ctx, channel, user, err)
		return
	} else if !ok {
		refuse(user+" may not request response actions", "you are not allowed to request response actions")
		return
	}
	d := approvals.Draft{Kind: kind, Requester: user, Channel: channel, Reason: cmd.Reason}
	var machine MachineView
	if kind.TargetsMachine() {
		m, ok := b.resolveOne(ctx, user, channel, cmd)
		if !ok {
			return
		}
		machine = m
		d.Params.Machine = defender.MachineID(m.ID)
		d.Params.MachineName = m.Name
	}
	switch kind {
	case approvals.KindIsolate:
		d.Params.Isolation = cmd.IsolationType
	case approvals.KindScan:
		d.Params.Scan = cmd.ScanType
	case approvals.KindQuarantine, approvals.KindBlock, approvals.KindUnblock:
		d.Params.FileHash = cmd.Hash
		d.Params.HashType = cmd.HashType
	}
	res, err := b.o.Approvals.Open(ctx, d)
	if err != nil {
		b.replyError(ctx, channel, user, err, "kind", kind)
		return
	}
	r := res.Request
	noteCommand(ctx, "", CommandAccepted)
	log := b.log.With("request", r.ID)
	log.InfoContext(ctx, "request opened", "kind", r.Kind, "requester", user, "target", r.Target(), "executable", res.Executable)
	r, err = b.postCard(ctx, r, channel, machine)
	if err != nil {
		log.ErrorContext(ctx, "card failed", "error", err)
	}
	b.republishHomes(ctx, r)
	if res.Executable {
		b.execute(ctx, r)
	}
}

// resolveOne finds the one machine cmd.Target names. When there is none, or
// several, it tells user and returns false.
func (b *Bot) resolveOne(ctx context.Context, user, channel string, cmd Command) (MachineView, bool) {
	ms, err := b.resolve(ctx, cmd.Target)
	if err != nil {
		b.replyError(ctx, channel, user, err, "target", cmd.Target.Value)
		return MachineView{}, false
	}
	switch len(ms) {
	case 0:
		b.reply(ctx, channel, user, renderNotice(":grey_question: No machine in Defender matches "+renderCode(cmd.Target.Value, 200)+"."))
		return MachineView{}, false
	case 1:
		m := machineView(ms[0])
		b.machines.put(m)
		return m, true
	}
	views := make([]MachineView, len(ms))
	for i, m := range ms {
		views[i] = machineView(m)
	}
	b.reply(ctx, channel, user, RenderMachinePicker(cmd.Target.Value, views, len(views), func(id string) string {
		c := cmd
		c.Target = Target{Kind: TargetMachineID, Value: id}
		return c.String()
	}))
	return MachineView{}, false
}

// resolve returns the machines t names: by id, by DNS name, or by IP (the
// last reported address, then the addresses seen in the last 15 minutes).
func (b *Bot) resolve(ctx context.Context, t Target) ([]defender.Machine, error) {
	switch t.Kind {
	case TargetMachineID:
		m, err := b.o.Defender.Machines.Get(ctx, defender.MachineID(t.Value))
		if errors.Is(err, defender.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []defender.Machine{m}, nil
	case TargetIP:
		ip, err := netip.ParseAddr(t.Value)
		if err != nil {
			return nil, nil
		}
		ms, err := b.o.Defender.Machines.FindByLastIP(ctx, ip)
		if err != nil || len(ms) > 0 {
			return ms, err
		}
		return b.o.Defender.Machines.FindByIP(ctx, ip, b.now())
	}
	return b.o.Defender.Machines.FindByName(ctx, t.Value)
}

// actionStatus shows an MDE action mdebot did not request (started in the
// portal, say), read from MDE.
func (b *Bot) actionStatus(ctx context.Context, user, channel, id string) {
	a, err := b.o.Defender.Actions.Get(ctx, strings.ToLower(id))
	if err != nil {
		b.replyError(ctx, channel, user, err, "action", id)
		return
	}
	text := "Defender action " + renderCode(a.ID, 80) + " (" + escapeTruncate(string(a.Type), 60) + ") on " +
		renderCode(a.ComputerDNSName, 200) + ": " + escapeTruncate(string(a.Status), 40) +
		", requested by " + escapeTruncate(a.Requestor, 200) + ". It was not requested through mdebot."
	if d := actionDetail(a); d != "" {
		text += "\n" + escapeTruncate(d, 500)
	}
	b.reply(ctx, channel, user, renderNotice(text))
}
