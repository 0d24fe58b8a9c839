package bot

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// The kinds of the bot's outbox deliveries (approvals.Delivery.Kind).
const (
	kindReply    = "reply"     // a rendered reply in a request's thread (or its channel)
	kindStatus   = "status"    // an MDE status reply, rendered from a snapshot of the request
	kindCard     = "card"      // the request's card, re-rendered from the store (coalesced)
	kindPostCard = "post_card" // the request's card, posted late (Slack refused it when the request was opened)
	kindRetire   = "retire"    // the Cancel offer reply, retired once the action ended (in the posts' lane, after the offer)
	kindNotice   = "notice"    // a DM to the requester about their request
	kindDM       = "dm"        // a rendered DM
)

// payload is what a delivery carries (approvals.Delivery.Payload, JSON).
type payload struct {
	User   string          `json:"user,omitempty"` // notice, dm: to whom
	Text   string          `json:"text,omitempty"` // reply, dm: the rendered message
	Blocks json.RawMessage `json:"blocks,omitempty"`
	// CancelOffer: the reply offers to cancel the action; its ts is stored
	// (SetCancelOffer) once posted.
	CancelOffer bool `json:"cancel_offer,omitempty"`
	// Submitted: the reply says MDE took the action (rendered from
	// Snapshot when it is posted).
	Submitted bool `json:"submitted,omitempty"`
	// Reply: a reply rendered from Snapshot (and Note) when it is
	// posted (see laterReply).
	Reply    string             `json:"reply,omitempty"`
	Note     *approvals.Note    `json:"note,omitempty"`
	Notice   blocks.Notice      `json:"notice,omitempty"`
	Snapshot *approvals.Request `json:"snapshot,omitempty"` // status, notice, reply: the request when it changed
}

func (p payload) message() (blocks.Message, error) {
	m := blocks.Message{Text: p.Text}
	if len(p.Blocks) > 0 {
		var bs slack.Blocks
		if err := json.Unmarshal(p.Blocks, &bs); err != nil {
			return m, fmt.Errorf("decoding a delivery's blocks: %w", err)
		}
		m.Blocks = bs.BlockSet
	}
	return m, nil
}

// withMessage is p carrying m.
func (p payload) withMessage(m blocks.Message) payload {
	p.Text = m.Text
	if len(m.Blocks) > 0 {
		p.Blocks, _ = json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	}
	return p
}

func delivery(kind, lane, key, requestID string, p payload, now time.Time) approvals.Delivery {
	raw, _ := json.Marshal(p)
	return approvals.Delivery{Kind: kind, Lane: lane, Key: key, RequestID: requestID, Payload: raw, Enqueued: now}
}

// postLane is the lane of the posts to channel: in order, one at a time.
func postLane(channel string) string { return "post/" + channel }

// announce is the approvals.Announcer: what a change of a request owes
// Slack, written in the change's transaction. The card is re-rendered
// (coalesced per request) after every change but those of what it does
// not show (cardUnchanged); a new MDE status of a
// submitted request is told in its thread, with what its end owes; the
// notes the change recorded and the replies its transition owes
// (owedReplies) follow in the thread; the requester gets the DMs the new
// state owes.
func (b *Bot) announce(before, after *approvals.Request) []approvals.Delivery {
	now := b.now()
	var ds []approvals.Delivery
	if after.Bulk() {
		ds = append(ds, b.announceBulk(before, after, now)...)
	}
	if before.State == approvals.StateApproved && after.State == approvals.StateSubmitted && after.Kind.TargetsMachine() && !after.Bulk() {
		// MDE took the action: the thread says so and offers to cancel it
		// (the offer's ts is stored once posted; posted after the action
		// ended, it says so instead).
		ds = append(ds, delivery(kindReply, postLane(after.Channel), "", after.ID, payload{Submitted: true, Snapshot: after.Clone()}, now),
			delivery(kindReply, postLane(after.Channel), "", after.ID, payload{CancelOffer: true}, now))
	}
	if before.State == approvals.StateSubmitted && before.MDEStatus != "" && after.MDEStatus != before.MDEStatus {
		ds = append(ds, delivery(kindStatus, postLane(after.Channel), "", after.ID, payload{Snapshot: after.Clone()}, now))
	}
	ds = append(ds, b.endReplies(before, after, now)...)
	ds = append(ds, b.owedReplies(before, after, now)...)
	ds = append(ds, b.escalationReplies(before, after, now)...)
	if !cardUnchanged(before, after) {
		ds = append(ds, delivery(kindCard, "card/"+after.ID, "card/"+after.ID, after.ID, payload{}, now))
	}
	had := notices(before)
	for _, n := range notices(after) {
		if !containsNotice(had, n) {
			ds = append(ds, delivery(kindNotice, "dm/"+after.Requester, "", after.ID,
				payload{User: after.Requester, Notice: n, Snapshot: after.Clone()}, now))
		}
	}
	return ds
}

func containsNotice(ns []blocks.Notice, n blocks.Notice) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

// enqueue writes ds to the outbox and wakes it.
func (b *Bot) enqueue(ctx context.Context, ds ...approvals.Delivery) {
	if err := b.o.Outbox.Enqueue(ctx, ds...); err != nil {
		b.log.ErrorContext(ctx, "writing to the Slack outbox failed", "request", ds[0].RequestID, "kind", ds[0].Kind, "error", err)
		return
	}
	b.out.poke()
}

// outbox delivers what the store's outbox holds: each lane in order, one
// delivery at a time, lanes side by side; on start, what a previous run
// left pending.
type outbox struct {
	b    *Bot
	kick chan struct{}

	mu   sync.Mutex
	busy map[string]bool     // lanes being drained
	last map[string][32]byte // request id → the stored request its card last showed
}

func newOutbox(b *Bot) *outbox {
	return &outbox{b: b, kick: make(chan struct{}, 1), busy: map[string]bool{}, last: map[string][32]byte{}}
}

// poke asks the outbox to look for new deliveries.
func (o *outbox) poke() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// run drains the outbox until ctx ends; deliveries left are delivered by
// the next run.
func (o *outbox) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		// Read and dispatch under o.mu: a drain marks its lane free only
		// after its last Done, so a lane seen free here is read without
		// what it delivered (never delivered twice).
		o.mu.Lock()
		ds, err := o.b.o.Outbox.Pending(ctx)
		if err != nil && ctx.Err() == nil {
			o.b.log.ErrorContext(ctx, "reading the Slack outbox failed", "error", err)
		}
		o.b.slackObs.OutboxPending(len(ds))
		lanes := map[string][]approvals.Delivery{}
		var order []string
		for _, d := range ds {
			if _, ok := lanes[d.Lane]; !ok {
				order = append(order, d.Lane)
			}
			lanes[d.Lane] = append(lanes[d.Lane], d)
		}
		for _, lane := range order {
			if o.busy[lane] {
				continue
			}
			o.busy[lane] = true
			list := lanes[lane]
			wg.Go(func() { o.drain(ctx, lane, list) })
		}
		o.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-o.kick:
		}
	}
}

// drain delivers list, one lane's deliveries in order, then asks for a
// new look (more may have come meanwhile).
func (o *outbox) drain(ctx context.Context, lane string, list []approvals.Delivery) {
	defer func() {
		o.mu.Lock()
		delete(o.busy, lane)
		o.mu.Unlock()
		o.poke()
	}()
	for _, d := range list {
		if err := o.deliver(ctx, d); err != nil {
			return // Run is stopping; d stays pending
		}
		if err := o.b.o.Outbox.Done(context.WithoutCancel(ctx), d.Seq); err != nil {
			o.b.log.ErrorContext(ctx, "removing a delivered message from the outbox failed", "request", d.RequestID, "error", err)
			return
		}
		o.b.slackObs.Delivered(d.Kind, o.b.now().Sub(d.Enqueued))
	}
}

// deliver sends d, retrying until Slack takes it or refuses it for good;
// it returns an error only when ctx ended first. A permanent refusal is
// logged, counted and, where a person waits for it, told them another way.
func (o *outbox) deliver(ctx context.Context, d approvals.Delivery) error {
	b := o.b
	var p payload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		b.log.ErrorContext(ctx, "undecodable outbox delivery dropped", "request", d.RequestID, "kind", d.Kind, "error", err)
		return nil
	}
	if d.Claimed && posts(d.Kind) {
		// A previous run was posting it when it stopped: Slack may have
		// taken it, and a post is never repeated (at most once).
		b.slackObs.Failed(d.Kind, "ambiguous")
		b.log.WarnContext(ctx, "a post under way when mdebot stopped is not repeated", "request", d.RequestID, "kind", d.Kind)
		return nil
	}
	var err error
	switch d.Kind {
	case kindReply, kindStatus:
		err = o.reply(ctx, d, p)
	case kindCard:
		err = o.card(ctx, d)
	case kindPostCard:
		err = o.postCard(ctx, d)
	case kindRetire:
		err = o.retire(ctx, d)
	case kindNotice:
		err = o.notice(ctx, d, p)
	case kindDM:
		var m blocks.Message
		if m, err = p.message(); err == nil {
			err = b.dm(ctx, p.User, m, false, o.claimer(d))
		}
	default:
		b.log.ErrorContext(ctx, "outbox delivery of an unknown kind dropped", "request", d.RequestID, "kind", d.Kind)
		return nil
	}
	switch {
	case err == nil:
		return nil // taken by Slack: done, even if Run is stopping
	case ctx.Err() != nil && !isSendError(err):
		return ctx.Err()
	}
	code := "error"
	if se := (*sendError)(nil); errors.As(err, &se) {
		code = se.Code
	}
	b.slackObs.Failed(d.Kind, code)
	b.log.ErrorContext(ctx, "Slack refused a delivery; not retried", "request", d.RequestID, "kind", d.Kind, "code", code, "error", err)
	o.undeliverable(ctx, d, code)
	return nil
}

// posts reports whether deliveries of kind post a new message: those are
// sent at most once; the others (edits) are repeated until Slack takes
// them.
func posts(kind string) bool {
	return kind == kindReply || kind == kindStatus || kind == kindNotice || kind == kindDM || kind == kindPostCard
}

// claimer is send's claim for d: recorded in the outbox.
func (o *outbox) claimer(d approvals.Delivery) func(context.Context, bool) error {
	return func(ctx context.Context, on bool) error { return o.b.o.Outbox.Claim(ctx, d.Seq, on) }
}

func isSendError(err error) bool {
	var se *sendError
	return errors.As(err, &se)
}

// reply posts a reply or status delivery in its request's thread, found
// when it is delivered (so a reply owed before the card was stored follows
// it), or in the request's channel when it has no card.
func (o *outbox) reply(ctx context.Context, d approvals.Delivery, p payload) error {
	b := o.b
	// Read under the card's lock: a change owed right after its card
	// appeared (a click) waits until the card is stored, and follows in
	// its thread.
	unlock := b.cards.lock(d.RequestID)
	r, err := b.o.Approvals.Get(ctx, d.RequestID)
	unlock()
	if err != nil {
		return fmt.Errorf("reading request %s: %w", d.RequestID, err)
	}
	var m blocks.Message
	switch {
	case d.Kind == kindStatus && p.Snapshot != nil:
		m = blocks.RenderStatusReply(requestView(p.Snapshot, b.machineFor(ctx, r)))
	case p.Submitted && p.Snapshot != nil:
		m = blocks.RenderSubmitted(requestView(p.Snapshot, b.machineFor(ctx, r)))
	case p.Reply != "" && p.Snapshot != nil:
		var ok bool
		if m, ok = b.laterReply(ctx, p); !ok {
			b.log.ErrorContext(ctx, "outbox reply of an unknown kind dropped", "request", d.RequestID, "reply", p.Reply)
			return nil
		}
	case p.CancelOffer:
		// Rendered from the request as it is now: an action that ended
		// before its offer could be posted gets the offer retired.
		m = blocks.RenderCancelReply(requestView(r, b.machineFor(ctx, r)))
	default:
		if m, err = p.message(); err != nil {
			return err
		}
	}
	channel := r.Card.Channel
	if channel == "" {
		channel = r.Channel
	}
	ts, err := b.post(ctx, channel, r.Card.TS, m, false, o.claimer(d))
	if err != nil {
		return err
	}
	if p.CancelOffer && !r.State.Final() {
		// Stored so the tracker retires the button after a restart too,
		// even if Run is stopping: Slack took the post.
		if _, err := b.o.Approvals.SetCancelOffer(context.WithoutCancel(ctx), r.ID, ts); err != nil {
			b.log.WarnContext(ctx, "storing the cancel offer failed", "request", r.ID, "error", err)
		}
	}
	return nil
}

// card re-renders the request's card from what the store holds now (so
// it never goes back to an older state), unless it shows that already.
func (o *outbox) card(ctx context.Context, d approvals.Delivery) error {
	b := o.b
	unlock := b.cards.lock(d.RequestID)
	defer unlock()
	r, err := b.o.Approvals.Get(ctx, d.RequestID)
	if err != nil || r.Card.TS == "" {
		return nil // gone, or no card: the card, once posted, shows the latest state
	}
	raw, _ := json.Marshal(r)
	sum := sha256.Sum256(raw)
	o.mu.Lock()
	same := o.last[r.ID] == sum
	o.mu.Unlock()
	if same {
		return nil
	}
	m := blocks.RenderRequestCard(requestView(r, b.machineFor(ctx, r)), b.now())
	if err := b.update(ctx, r.Card.Channel, r.Card.TS, m); err != nil {
		return err
	}
	o.mu.Lock()
	if r.State.Final() {
		delete(o.last, r.ID)
	} else {
		o.last[r.ID] = sum
	}
	o.mu.Unlock()
	return nil
}

// postCard posts the card of a request that has none yet, showing its
// state now, and stores where it is; the replies owed after it in its
// lane then follow in its thread.
func (o *outbox) postCard(ctx context.Context, d approvals.Delivery) error {
	b := o.b
	unlock := b.cards.lock(d.RequestID)
	defer unlock()
	r, err := b.o.Approvals.Get(ctx, d.RequestID)
	if err != nil || r.Card.TS != "" {
		return nil
	}
	ts, err := b.post(ctx, r.Channel, "", blocks.RenderRequestCard(requestView(r, b.machineFor(ctx, r)), b.now()), false, o.claimer(d))
	if err != nil {
		return err
	}
	if _, err := b.o.Approvals.SetCard(context.WithoutCancel(ctx), r.ID, approvals.Card{Channel: r.Channel, TS: ts}); err != nil {
		b.log.ErrorContext(ctx, "storing a card posted late failed", "request", r.ID, "error", err)
	}
	b.log.InfoContext(ctx, "card posted late", "request", r.ID)
	return nil
}

// owePostCard owes r's card, which Slack refused when r was opened: the
// outbox posts it late rather than never.
func (b *Bot) owePostCard(ctx context.Context, r *approvals.Request) {
	b.enqueue(ctx, delivery(kindPostCard, postLane(r.Channel), "post_card/"+r.ID, r.ID, payload{}, b.now()))
}

// retire edits the request's Cancel offer to say the action has ended.
func (o *outbox) retire(ctx context.Context, d approvals.Delivery) error {
	b := o.b
	r, err := b.o.Approvals.Get(ctx, d.RequestID)
	if err != nil || r.CancelOfferTS == "" {
		return nil
	}
	return b.update(ctx, r.Card.Channel, r.CancelOfferTS, blocks.RenderCancelReply(requestView(r, b.machineFor(ctx, r))))
}

// notice sends the requester a notice DM, marked first so that it is sent
// at most once even if a run stops while sending it.
func (o *outbox) notice(ctx context.Context, d approvals.Delivery, p payload) error {
	b := o.b
	if p.Snapshot == nil {
		return nil
	}
	r := p.Snapshot
	first, err := b.o.Marks.Mark(ctx, "notice/"+r.ID+"/"+string(p.Notice), b.now().UTC().Format(time.RFC3339))
	if err != nil || !first {
		return err
	}
	// The card's place as stored now: the change may have come before
	// its card was stored (a click right after the card appeared).
	unlock := b.cards.lock(r.ID)
	cur, err := b.o.Approvals.Get(ctx, r.ID)
	unlock()
	if err != nil {
		cur = r
	}
	m := blocks.RenderRequesterNotice(requestView(r, blocks.MachineView{}), p.Notice, b.permalink(ctx, cur))
	if err := b.dm(ctx, p.User, m, false, o.claimer(d)); err != nil {
		return err
	}
	b.log.InfoContext(ctx, "requester notified", "request", r.ID, "notice", p.Notice)
	return nil
}

// undeliverable tells the requester, by DM, that a reply in their
// request's channel could not be posted and what to do, once per request
// and error.
func (o *outbox) undeliverable(ctx context.Context, d approvals.Delivery, code string) {
	b := o.b
	if code == "ambiguous" || d.RequestID == "" || (d.Kind != kindReply && d.Kind != kindStatus && d.Kind != kindCard && d.Kind != kindRetire && d.Kind != kindPostCard) {
		return
	}
	r, err := b.o.Approvals.Get(ctx, d.RequestID)
	if err != nil {
		return
	}
	if first, err := b.o.Marks.Mark(ctx, "undeliverable/"+r.ID+"/"+code, b.now().UTC().Format(time.RFC3339)); err != nil || !first {
		return
	}
	channel := r.Card.Channel
	if channel == "" {
		channel = r.Channel
	}
	m := blocks.RenderNotice(undeliverableText(r.ID, channel, code))
	b.enqueue(ctx, delivery(kindDM, "dm/"+r.Requester, "", r.ID, payload{User: r.Requester}.withMessage(m), b.now()))
}

// undeliverableText says why updates of request id could not be posted in
// channel, and what to do.
func undeliverableText(id, channel, code string) string {
	where := "<#" + channel + ">"
	what := "mdebot could not post the updates of request " + blocks.RenderCode(id, 80) + " in " + where + " (Slack said `" + blocks.EscapeTruncate(code, 80) + "`)."
	switch code {
	case "not_in_channel":
		return ":warning: " + what + " Invite @mdebot to " + where + " (`/invite @mdebot`); follow the request with `/mde status " + id + "` meanwhile."
	case "channel_not_found", "is_archived":
		return ":warning: " + what + " The channel is gone or archived; follow the request with `/mde status " + id + "`."
	default:
		return ":warning: " + what + " Follow the request with `/mde status " + id + "` and tell the operator."
	}
}
