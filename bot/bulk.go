package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/mde"
)

// bulkSenders bounds the POSTs one bulk request has in flight: the MDE
// budget (100 calls a minute per action API) paces them, this only keeps
// a 500-machine request from holding 500 connections.
const bulkSenders = 16

// runBulkLater queues bulk request id to be carried forward (runBulk) in
// the background: a POST per machine, paced by Defender's budget, may take
// minutes for hundreds of machines, and must hold no handler's worker.
func (b *Bot) runBulkLater(id string) { b.bulkQueue.push(id) }

// runBulks runs the queued bulk requests until ctx ends: each in its own
// goroutine, never two runs of one request at once (a second run could
// take a machine the first is sending for one whose reply was lost, and
// send it twice); a request queued while it runs runs once more after.
func (b *Bot) runBulks(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.bulkQueue.ready:
		}
		for _, id := range b.bulkQueue.pop() {
			if !b.bulkRuns.start(id) {
				continue
			}
			wg.Go(func() {
				for {
					if r, err := b.o.Approvals.Get(ctx, id); err != nil {
						b.log.ErrorContext(ctx, "reading a bulk request to run failed", "request", id, "error", err)
					} else if r.State == approvals.StateApproved || r.State == approvals.StateSubmitted {
						b.runBulk(ctx, r)
					}
					if !b.bulkRuns.finish(id) {
						return
					}
				}
			})
		}
	}
}

// runs tracks the bulk requests being run.
type runs struct {
	mu      sync.Mutex
	running map[string]bool
	again   map[string]bool
}

// start reports whether id may run now; if it runs already, it is marked
// to run again when that run finishes.
func (rs *runs) start(id string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.running == nil {
		rs.running, rs.again = map[string]bool{}, map[string]bool{}
	}
	if rs.running[id] {
		rs.again[id] = true
		return false
	}
	rs.running[id] = true
	return true
}

// finish ends a run of id and reports whether it must run again.
func (rs *runs) finish(id string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.again[id] {
		delete(rs.again, id)
		return true
	}
	delete(rs.running, id)
	return false
}

// runBulk carries bulk request r forward from wherever it stands, and is
// safe to run again (after a crash, a lost reply, a cancel): machines that
// may already have their action in MDE (marked as being sent, id unknown)
// are looked up first, by the request id in the action's comment, and
// sent only if MDE has none; the machines not yet sent are marked, in one
// transaction, before their POSTs; the answers are recorded in one
// transaction (one thread reply); then every action is followed, and the
// cancels owed are sent.
func (b *Bot) runBulk(ctx context.Context, r *approvals.Request) {
	log := b.log.With("request", r.ID, "kind", r.Kind)
	if r.Card.TS == "" {
		r = b.postMissingCard(ctx, r)
	}
	var results []approvals.TargetResult
	var send []mde.MachineID
	if unsure := unsureTargets(r); len(unsure) > 0 {
		found, err := b.findBulkActions(ctx, r)
		if err != nil {
			log.ErrorContext(ctx, "looking for the MDE actions of machines being sent failed; retried later", "error", err)
			b.recoverLater(r)
		} else {
			for _, t := range unsure {
				switch a, ok := found[t.Machine]; {
				case ok:
					log.InfoContext(ctx, "found the MDE action of a machine being sent", "machine", t.Machine, "action", a.ID)
					results = append(results, approvals.TargetResult{Machine: t.Machine, ActionID: a.ID, Status: a.Status})
				case t.CancelRequested != "" || r.CancelRequested != "":
					results = append(results, approvals.TargetResult{Machine: t.Machine, NotSent: true,
						Error: "cancelled while being sent; Defender has no action for it, so nothing ran"})
				default:
					send = append(send, t.Machine)
				}
			}
		}
	}
	if r.State == approvals.StateApproved && r.CancelRequested == "" {
		var pending []mde.MachineID
		for i := range r.Targets {
			if r.Targets[i].Pending() {
				pending = append(pending, r.Targets[i].Machine)
			}
		}
		if len(pending) > 0 {
			res, err := b.o.Approvals.MarkTargetsSubmitting(ctx, r.ID, pending)
			switch {
			case errors.Is(err, approvals.ErrIllegal):
				log.InfoContext(ctx, "bulk request no longer approved; not sent to MDE")
				return
			case err != nil:
				log.ErrorContext(ctx, "recording the machines being sent failed; not sent, recovery retries", "error", err)
				b.recoverLater(r)
				return
			}
			r = res.Request
			send = append(send, pending...)
		}
	}
	results = append(results, b.sendTargets(ctx, r, send)...)
	if len(results) > 0 {
		// What Defender answered is recorded even if Run is stopping.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
		defer cancel()
		res, err := b.o.Approvals.MarkTargetsSent(rctx, r.ID, results)
		if err != nil {
			// MDE runs them but their ids are not stored: recovery finds
			// them by the request id in their comments.
			log.ErrorContext(ctx, "recording the machines' MDE actions failed; recovery looks them up", "error", err)
			b.recoverLater(r)
			return
		}
		r = res.Request
		log.InfoContext(ctx, "bulk request sent to MDE", "machines", len(results), "counts", r.CountsText())
		b.updateCard(ctx, r)
	}
	b.followBulk(ctx, r)
	if len(unsureTargets(r)) > 0 {
		b.recoverLater(r)
	}
}

// unsureTargets are r's machines whose action may exist in MDE with its id
// unknown.
func unsureTargets(r *approvals.Request) []*approvals.Target {
	var ts []*approvals.Target
	for i := range r.Targets {
		if r.Targets[i].Unsure() {
			ts = append(ts, &r.Targets[i])
		}
	}
	return ts
}

// findBulkActions returns, by machine, the MDE actions mdebot created for
// bulk request r: one listing of the kind's actions since r was opened,
// kept only where the comment starts with r's prefix.
func (b *Bot) findBulkActions(ctx context.Context, r *approvals.Request) (map[mde.MachineID]defender.MachineAction, error) {
	actions, err := b.o.Defender.Actions.List(ctx, defender.ActionFilter{
		Types:        []defender.ActionType{r.Kind.ActionType()},
		CreatedAfter: r.Created.Add(-time.Minute),
	}, defender.ListOptions{})
	if err != nil {
		return nil, err
	}
	found := map[mde.MachineID]defender.MachineAction{}
	for _, a := range actions {
		if ownsAction(r, a) && r.TargetFor(a.MachineID) != nil {
			found[a.MachineID] = a
		}
	}
	return found, nil
}

// sendTargets POSTs r's action for each of machines, a few at a time, and
// returns what MDE answered. A machine whose answer was lost (the outcome
// unknown) has no result: it stays marked as being sent, for recovery.
func (b *Bot) sendTargets(ctx context.Context, r *approvals.Request, machines []mde.MachineID) []approvals.TargetResult {
	var (
		mu      sync.Mutex
		results []approvals.TargetResult
		wg      sync.WaitGroup
		sem     = make(chan struct{}, bulkSenders)
	)
	for _, m := range machines {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, ok := b.sendTarget(ctx, r, m)
			if ok {
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

// sendTarget POSTs r's action for machine m. An action MDE already runs
// is followed: reused when another mdebot request created it, read-only
// when someone else did.
func (b *Bot) sendTarget(ctx context.Context, r *approvals.Request, m mde.MachineID) (approvals.TargetResult, bool) {
	log := b.log.With("request", r.ID, "machine", m)
	if !b.stillLeads(ctx, r) {
		// Marked as being sent: the next leader's recovery looks it up.
		return approvals.TargetResult{}, false
	}
	sub, err := b.submitTo(ctx, r, m)
	if err != nil {
		if errors.Is(err, defender.ErrOutcomeUnknown) || ctx.Err() != nil {
			log.ErrorContext(ctx, "MDE submission outcome unknown; left for recovery", "error", err)
			return approvals.TargetResult{}, false
		}
		return approvals.TargetResult{Machine: m, Error: blocks.TruncateText(b.errorMessage(ctx, err, "request", r.ID, "machine", m).Text, 500)}, true
	}
	a := sub.Action
	res := approvals.TargetResult{Machine: m, ActionID: a.ID, Status: a.Status}
	if sub.Existing && !ownsAction(r, a) {
		if other, ok := mdebotRequestOf(a); ok {
			res.Owner, res.OwnerRequest = approvals.OwnerReused, other
		} else {
			res.Owner, res.Requestor = approvals.OwnerForeign, orUnknown(a.Requestor)
		}
		log.InfoContext(ctx, "MDE already runs this action; followed", "action", a.ID, "owner", res.Owner)
	}
	return res, true
}

// mdebotRequestOf returns the mdebot request an MDE action was created
// for, read from its comment ("mdebot R-…: …").
func mdebotRequestOf(a defender.MachineAction) (string, bool) {
	rest, ok := strings.CutPrefix(a.RequestorComment, "mdebot ")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, ":")
	if !ok || !strings.HasPrefix(id, "R-") || strings.ContainsAny(id, " \t\n") {
		return "", false
	}
	return id, true
}

// followBulk hands every running action of bulk request r to the tracker
// (its own, the reused and the foreign ones alike) and sends the cancels
// people asked for.
func (b *Bot) followBulk(ctx context.Context, r *approvals.Request) {
	for i := range r.Targets {
		if t := &r.Targets[i]; t.Live() {
			b.tracker.addBulk(r.ID, t.ActionID)
		}
	}
	b.cancelTargets(ctx, r)
	b.tracker.poke()
}

// cancelTargets cancels in MDE the actions bulk request r sent itself and
// someone asked to cancel (each once per process; a restart asks again).
// The actions it reuses or follows for someone else are never cancelled.
func (b *Bot) cancelTargets(ctx context.Context, r *approvals.Request) {
	for i := range r.Targets {
		t := &r.Targets[i]
		who := t.CancelRequested
		if who == "" {
			who = r.CancelRequested
		}
		if who == "" || t.Owner != approvals.OwnerSelf || !t.Live() || !b.cancelsSent.claim(t.ActionID) {
			continue
		}
		if _, err := b.o.Defender.Actions.Cancel(ctx, t.ActionID, cancelComment(r.ID, who, "")); err != nil {
			b.log.ErrorContext(ctx, "cancelling a machine's MDE action failed", "request", r.ID, "machine", t.Machine, "action", t.ActionID, "error", err)
			b.cancelsSent.release(t.ActionID)
			// The thread is told once per action, with Defender's reason.
			if _, nerr := b.o.Approvals.AddNote(ctx, r.ID, approvals.Note{Kind: approvals.NoteCancelRefused,
				Action: approvals.ActionRef{ID: t.ActionID, Type: r.Kind.ActionType()}, Text: b.errorMessage(ctx, err, "request", r.ID).Text}); nerr != nil {
				b.log.ErrorContext(ctx, "recording a refused cancel failed", "request", r.ID, "error", nerr)
			}
			continue
		}
		b.log.InfoContext(ctx, "cancel sent for a machine's MDE action", "request", r.ID, "machine", t.Machine, "action", t.ActionID)
	}
}

// cancelBulk cancels bulk request r for the person: every machine
// ("Cancel all pending", /mde cancel R-…) or, when they named one of its
// MDE actions, that machine alone.
func (b *Bot) cancelBulk(ctx context.Context, in interaction, r *approvals.Request, typed, reason string) {
	var res approvals.Result
	var err error
	if mde.IsActionID(typed) {
		res, err = b.o.Approvals.CancelTarget(ctx, r.ID, strings.ToLower(typed), in.user, reason)
	} else {
		res, err = b.o.Approvals.Cancel(ctx, r.ID, in.user, reason)
	}
	if err != nil {
		b.replyError(ctx, in, err, "request", r.ID)
		return
	}
	r = res.Request
	b.log.InfoContext(ctx, "bulk cancel requested", "request", r.ID, "user", in.user, "action", typed, "counts", r.CountsText())
	// The thread was told with the change (announceBulk).
	b.updateCard(ctx, r)
	b.cancelTargets(ctx, r)
	if len(unsureTargets(r)) > 0 {
		b.recoveries.hurry(r.ID, b.now())
	}
	b.tracker.poke()
}

// observeBulk records the statuses one tick read for bulk request id's
// actions, in one transaction: one thread reply per batch.
func (t *tracker) observeBulk(ctx context.Context, id string, seen []approvals.TargetStatus) {
	b := t.b
	res, err := b.o.Approvals.RecordTargetStatuses(ctx, id, seen)
	if err != nil {
		b.log.WarnContext(ctx, "recording MDE statuses failed", "request", id, "actions", len(seen), "error", err)
		return
	}
	r := res.Request
	for _, s := range seen {
		if tg := r.TargetByAction(s.ActionID); r.State.Final() || tg == nil || tg.Final() {
			t.remove(id, s.ActionID)
		}
	}
	if res.Changed {
		b.log.InfoContext(ctx, "MDE statuses", "request", id, "counts", r.CountsText())
		b.updateCard(ctx, r)
	}
}

// announceBulk is what a change of bulk request r owes its thread: one
// reply naming the machines sent (or refused) or whose MDE status changed
// in it. A machine being marked as being sent is not news.
func (b *Bot) announceBulk(before, after *approvals.Request, now time.Time) []approvals.Delivery {
	if len(before.Targets) != len(after.Targets) {
		return nil
	}
	var ds []approvals.Delivery
	reply := func(m blocks.Message) {
		ds = append(ds, delivery(kindReply, postLane(after.Channel), "", after.ID, payload{}.withMessage(m), now))
	}
	if before.CancelRequested == "" && after.CancelRequested != "" {
		reply(blocks.RenderReply(":black_circle: " + blocks.RenderMention(after.CancelRequested) + " asked to cancel every machine of this request not yet done." +
			" Machines not yet sent are not sent; Defender is asked to stop the actions mdebot sent; actions mdebot only follows are left alone."))
	}
	for i := range after.Targets {
		if was, is := &before.Targets[i], &after.Targets[i]; was.CancelRequested == "" && is.CancelRequested != "" && is.CancelRequested != after.CancelRequested {
			reply(blocks.RenderReply(":black_circle: " + blocks.RenderMention(is.CancelRequested) + " asked to cancel the action on " +
				blocks.RenderCode(targetView(is).Name, 102) + " (" + blocks.RenderCode(is.ActionID, 40) + "); Defender is asked to stop it."))
		}
	}
	var changes []blocks.TargetChange
	for i := range after.Targets {
		was, is := &before.Targets[i], &after.Targets[i]
		sent := !was.Sent() && is.Sent()
		switch {
		case sent, !was.Final() && is.Final(), was.Status != is.Status:
			changes = append(changes, blocks.TargetChange{Target: targetView(is), Sent: sent || (!was.Sent() && !is.Sent() && is.Final() && !was.Submitting.IsZero())})
		}
	}
	if len(changes) > 0 {
		reply(blocks.RenderBulkBatch(requestView(after, blocks.MachineView{}), changes))
	}
	return ds
}

// sentOnce remembers the MDE actions this process already asked to
// cancel.
type sentOnce struct {
	mu  sync.Mutex
	ids map[string]bool
}

// claim reports whether id was not claimed yet, and claims it.
func (s *sentOnce) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	if s.ids[id] {
		return false
	}
	s.ids[id] = true
	return true
}

// release forgets id, so that a failed cancel is tried again.
func (s *sentOnce) release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// bulkTargets are the machines ms as a bulk draft's targets, with what
// the policy rules match and the card shows.
func bulkTargets(ms []defender.Machine) []approvals.Target {
	ts := make([]approvals.Target, len(ms))
	for i, m := range ms {
		v := machineView(m)
		ts[i] = approvals.Target{Machine: m.ID, Name: m.ComputerDNSName, Facts: machineFacts(v), Health: v.Health, LastSeen: v.LastSeen}
	}
	return ts
}

// targetPackageLink shows the person, ephemerally, a fresh download link
// of the package collected on one machine of bulk request r (its MDE
// action actionID), once its showing is audited.
func (b *Bot) targetPackageLink(ctx context.Context, in interaction, r *approvals.Request, actionID string) {
	t := r.TargetByAction(actionID)
	if r.Kind != approvals.KindCollect || t == nil || t.Owner != approvals.OwnerSelf || t.Status != defender.StatusSucceeded {
		b.reply(ctx, in, blocks.RenderNotice("No investigation package to download for that machine of "+blocks.RenderCode(r.ID, 20)+"."))
		return
	}
	uri, err := b.lookups.Actions.PackageURI(ctx, t.ActionID)
	if err != nil {
		b.replyError(ctx, in, err, "request", r.ID, "action", t.ActionID)
		return
	}
	if err := b.o.Approvals.RecordTargetPackageLink(ctx, r, t, in.user); err != nil {
		b.replyError(ctx, in, err, "request", r.ID)
		return
	}
	b.log.InfoContext(ctx, "package link shown", "request", r.ID, "machine", t.Machine, "user", in.user)
	b.reply(ctx, in, blocks.RenderDownloadLink(uri.Reveal()))
}
