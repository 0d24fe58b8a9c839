package bot

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
)

// handleCommand answers one /mde command typed by in.user in in.channel. Every
// answer but an accepted request's card is ephemeral.
func (b *Bot) handleCommand(ctx context.Context, in interaction, text string) {
	cmd, err := command.Parse(text)
	if err != nil {
		var ue *command.UsageError
		if errors.As(err, &ue) {
			in.note(ue.Verb, CommandInvalid)
			b.reply(ctx, in, blocks.RenderUsageError(ue.Message, ue.Usage()))
			return
		}
		b.replyError(ctx, in, err)
		return
	}
	in.note(cmd.Verb, "")
	b.runCommand(ctx, in, cmd)
}

// runCommand carries out a parsed command for the person.
func (b *Bot) runCommand(ctx context.Context, in interaction, cmd command.Command) {
	switch {
	case cmd.Verb == command.VerbHelp:
		b.reply(ctx, in, blocks.RenderHelp(command.HelpText()))
	case cmd.Verb == command.VerbMachine:
		if !b.allowLookup(ctx, in) || !b.mayLookUp(ctx, in, cmd.Verb) {
			return
		}
		m, ok := b.resolveOne(ctx, in, cmd)
		if ok {
			b.reply(ctx, in, blocks.RenderMachine(m, b.now()))
		}
	case cmd.Verb == command.VerbStatus:
		if !b.allowLookup(ctx, in) || !b.mayLookUp(ctx, in, cmd.Verb) {
			return
		}
		// A miss is not audited: the id may be an MDE action mdebot did
		// not request, which the person may read.
		r, err := b.o.Approvals.Find(ctx, "", approvals.OpLookUp, cmd.ID)
		if errors.Is(err, approvals.ErrNotFound) && !strings.HasPrefix(cmd.ID, "R-") {
			b.actionStatus(ctx, in, cmd.ID)
			return
		}
		if err != nil {
			b.replyError(ctx, in, err, "id", cmd.ID)
			return
		}
		if r.Bulk() {
			b.reply(ctx, in, blocks.RenderBulkStatus(requestView(r, blocks.MachineView{}), b.now()))
			return
		}
		b.reply(ctx, in, blocks.RenderRequestCard(requestView(r, b.machineFor(ctx, r)), b.now()))
	case cmd.Verb == command.VerbCancel:
		// Like a request, a cancel is typed in a response channel (the
		// Cancel button sits in the card's thread, which is one).
		if err := b.o.Approvals.Authorize(ctx, in.user, in.channel, approvals.OpCancel); err != nil {
			b.replyError(ctx, in, err, "verb", cmd.Verb)
			return
		}
		b.cancelRequest(ctx, in, cmd.ID, cmd.Reason)
	case cmd.Verb == command.VerbHistory:
		if b.allowLookup(ctx, in) {
			b.history(ctx, in, cmd, "")
		}
	case cmd.Verb == command.VerbExport:
		if b.allowLookup(ctx, in) {
			b.export(ctx, in, cmd)
		}
	case cmd.Verb.IsAction():
		b.request(ctx, in, cmd)
	default:
		b.reply(ctx, in, blocks.RenderUsageError("unknown command", command.VerbHelp.Usage()))
	}
}

// request opens a request for an action command, posts its card and, when
// it needs no approval, runs it.
func (b *Bot) request(ctx context.Context, in interaction, cmd command.Command) {
	kind, err := approvals.ParseKind(string(cmd.Verb))
	if err != nil {
		b.replyError(ctx, in, err)
		return
	}
	d := approvals.Draft{Kind: kind, Requester: in.user, Channel: in.channel, Reason: cmd.Reason, BreakGlass: cmd.BreakGlass}
	if in.trigger != "" {
		d.Key = "slack-command/" + in.trigger
	}
	// Refuse what the policy forbids before anything reaches MDE.
	if err := b.o.Approvals.CheckOpen(ctx, d); err != nil {
		b.replyError(ctx, in, err, "kind", kind)
		return
	}
	var machine blocks.MachineView
	switch {
	case kind.TargetsMachine() && namesASet(cmd):
		ms, ok := b.resolveSet(ctx, in, cmd)
		if !ok {
			return
		}
		d.Targets = bulkTargets(ms)
		if len(ms) == 1 {
			// A tag or group of one machine: a request on that machine.
			machine = machineView(ms[0])
		}
	case kind.TargetsMachine():
		m, ok := b.resolveOne(ctx, in, cmd)
		if !ok {
			return
		}
		machine = m
		d.Params.Machine = defender.MachineID(m.ID)
		d.Params.MachineName = m.Name
		d.Facts = machineFacts(m)
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
	b.open(ctx, in, d, machine)
}

// open opens the request d for the person, posts its card (machine is what
// it shows of a single machine) and, when it needs no approval, runs it.
func (b *Bot) open(ctx context.Context, in interaction, d approvals.Draft, machine blocks.MachineView) {
	res, err := b.o.Approvals.Open(ctx, d)
	if err != nil {
		b.replyError(ctx, in, err, "kind", d.Kind)
		return
	}
	r := res.Request
	in.note("", CommandAccepted)
	log := b.log.With("request", r.ID)
	if !res.Changed {
		// The same command delivered again (Slack's retry, or a replica
		// that died handling it): its request exists; its card, action
		// and DMs are the first handling's, or resume's.
		log.InfoContext(ctx, "command already handled; its request exists", "requester", in.user)
		return
	}
	log.InfoContext(ctx, "request opened", "kind", r.Kind, "requester", in.user, "target", r.Target(), "executable", res.Executable)
	r, err = b.postCard(ctx, r, in.channel, machine)
	if err != nil {
		log.ErrorContext(ctx, "card failed; the outbox posts it late", "error", err)
		b.owePostCard(ctx, r)
	} else if v := requestView(r, machine); blocks.TargetsLeftOff(v, b.now()) > 0 {
		// The card lists what fits; the thread gets the whole list.
		b.enqueue(ctx, delivery(kindReply, postLane(r.Channel), "", r.ID, payload{}.withMessage(blocks.RenderBulkStatus(v, b.now())), b.now()))
	}
	b.republishHomes(ctx, r)
	if res.Executable {
		b.execute(ctx, r)
	}
	// The approvers' DM copies are sent by their own worker (runApprovalDMs),
	// so the command's worker never waits on Slack for them.
	b.dmQueue.push(r.ID)
	if r.BreakGlass {
		// Loud, once the emergency action is on its way: every approver
		// and the alert channel hear of it at once.
		b.alertBreakGlass(ctx, r)
	}
}

// namesASet reports whether cmd names a set of machines: several targets,
// or a tag: or group:.
func namesASet(cmd command.Command) bool {
	return len(cmd.Targets) > 1 || cmd.Target.Kind == command.TargetTag || cmd.Target.Kind == command.TargetGroup
}

// resolveSet finds the machines cmd's targets name. When any is unknown or
// ambiguous (or names no machine, or more than a request may name), it
// tells the person every problem at once and returns false: nothing runs
// until the set is exact.
func (b *Bot) resolveSet(ctx context.Context, in interaction, cmd command.Command) ([]defender.Machine, bool) {
	if n, most := len(cmd.Targets), b.o.Approvals.Policy().MaxTargets(); n > most {
		b.reply(ctx, in, blocks.RenderNotice(fmt.Sprintf(":no_entry_sign: The command names %d targets; a request may act on at most %d machines (policy.max_machines). Split it.", n, most)))
		return nil, false
	}
	ms, err := b.resolveTargets(ctx, cmd.Targets)
	if err != nil {
		// An *UnresolvedError lists every target that did not resolve.
		b.replyError(ctx, in, err, "targets", len(cmd.Targets))
		return nil, false
	}
	return ms, true
}

// resolveOne finds the one machine cmd.Target names. When there is none, or
// several, it tells the person and returns false.
func (b *Bot) resolveOne(ctx context.Context, in interaction, cmd command.Command) (blocks.MachineView, bool) {
	ms, err := b.resolve(ctx, cmd.Target)
	if err != nil {
		b.replyError(ctx, in, err, "target", cmd.Target.Value)
		return blocks.MachineView{}, false
	}
	switch len(ms) {
	case 0:
		b.reply(ctx, in, blocks.RenderNotice(":grey_question: No machine in Defender matches "+blocks.RenderCode(cmd.Target.Value, 200)+"."))
		return blocks.MachineView{}, false
	case 1:
		m := machineView(ms[0])
		// No machine property says it was offboarded: its actions do. If
		// that read fails the card just does not say so; it is a look-up
		// (it gives up at once when the machineactions budget is busy), so
		// that in a burst of requests it never holds one for a minute.
		if a, off, err := b.lookups.Actions.Offboarded(ctx, ms[0]); err != nil {
			b.log.WarnContext(ctx, "looking up whether the machine was offboarded failed", "machine", ms[0].ID, "error", err)
		} else if off {
			m.Offboarded = a.LastUpdateDateTimeUTC
			if m.Offboarded.IsZero() {
				m.Offboarded = a.CreationDateTimeUTC
			}
		}
		b.machines.put(m, b.now())
		return m, true
	}
	views := make([]blocks.MachineView, len(ms))
	for i, m := range ms {
		views[i] = machineView(m)
	}
	b.reply(ctx, in, blocks.RenderMachinePicker(cmd.Target.Value, views, len(views), func(id string) string {
		c := cmd
		c.Target = command.Target{Kind: command.TargetMachineID, Value: id}
		return c.String()
	}))
	return blocks.MachineView{}, false
}

// resolve returns the machines t names: by id, by DNS name, by IP (the
// last reported address, then the addresses seen in the last 15 minutes),
// by device tag, or by device group.
func (b *Bot) resolve(ctx context.Context, t command.Target) ([]defender.Machine, error) {
	switch t.Kind {
	case command.TargetTag:
		return b.lookups.Machines.FindByTag(ctx, t.Value)
	case command.TargetGroup:
		return b.lookups.Machines.FindByGroup(ctx, t.Value)
	case command.TargetMachineID:
		m, err := b.lookups.Machines.Get(ctx, defender.MachineID(t.Value))
		if errors.Is(err, defender.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []defender.Machine{m}, nil
	case command.TargetIP:
		ip, err := netip.ParseAddr(t.Value)
		if err != nil {
			return nil, nil
		}
		ms, err := b.lookups.Machines.FindByLastIP(ctx, ip)
		if err != nil || len(ms) > 0 {
			return ms, err
		}
		return b.lookups.Machines.FindByIP(ctx, ip, b.now())
	}
	return b.lookups.Machines.FindByName(ctx, t.Value)
}

// actionStatus shows an MDE action mdebot did not request (started in the
// portal, say), read from MDE.
func (b *Bot) actionStatus(ctx context.Context, in interaction, id string) {
	a, err := b.lookups.Actions.Get(ctx, strings.ToLower(id))
	if err != nil {
		b.replyError(ctx, in, err, "action", id)
		return
	}
	text := "Defender action " + blocks.RenderCode(a.ID, 80) + " (" + blocks.EscapeTruncate(string(a.Type), 60) + ") on " +
		blocks.RenderCode(a.ComputerDNSName, 200) + ": " + blocks.EscapeTruncate(string(a.Status), 40) +
		", requested by " + blocks.EscapeTruncate(a.Requestor, 200) + ". It was not requested through mdebot."
	if d := actionDetail("", a); d != "" {
		text += "\n" + blocks.EscapeTruncate(d, 500)
	}
	b.reply(ctx, in, blocks.RenderNotice(text))
}
