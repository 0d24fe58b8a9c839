package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
)

// msgOptions are the chat options that send m.
func msgOptions(m blocks.Message) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// post posts m in channel, in the thread of threadTS when it is set, and
// returns the new message's ts. It goes through send (paced, 429s and
// transient failures retried): until ctx ends for a bulk post, a few
// times for an urgent one (someone waits for it).
// claim, when set, makes it at most once (see send).
func (b *Bot) post(ctx context.Context, channel, threadTS string, m blocks.Message, urgent bool, claim func(context.Context, bool) error) (string, error) {
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	var ts string
	err := b.send(ctx, "chat.postMessage", channel, urgent, attemptsFor(urgent), claim, func(ctx context.Context) error {
		var err error
		_, ts, err = b.o.Slack.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// attemptsFor is send's attempts: bounded for an urgent call, unbounded
// (until ctx ends) for a delivery of the outbox.
func attemptsFor(urgent bool) int {
	if urgent {
		return urgentAttempts
	}
	return 0
}

// update edits the message channel/ts to m (chat.update), through send.
func (b *Bot) update(ctx context.Context, channel, ts string, m blocks.Message) error {
	return b.send(ctx, "chat.update", channel, false, 0, nil, func(ctx context.Context) error {
		_, _, _, err := b.o.Slack.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...)
		return err
	})
}

// updateCard follows a change of r: its card update is already owed in
// the outbox (written with the change, see announce), so this wakes the
// outbox and queues the App Homes the change concerns.
func (b *Bot) updateCard(ctx context.Context, r *approvals.Request) {
	b.out.poke()
	// Copies of the card (approval DMs, the escalation channel) follow
	// through their own queue (runCopies).
	b.copyQueue.push(r.ID)
	b.afterChange(ctx, r)
}

// postCard posts r's card in channel and stores where it is. Until it is
// stored, updates of the card wait, so a click that comes right after the
// card appears still edits it. The post is urgent (the requester waits):
// it waits out 429s, so a card refused for a while is posted late.
func (b *Bot) postCard(ctx context.Context, r *approvals.Request, channel string, machine blocks.MachineView) (*approvals.Request, error) {
	unlock := b.cards.lock(r.ID)
	defer unlock()
	ts, err := b.post(ctx, channel, "", blocks.RenderRequestCard(requestView(r, machine), b.now()), true, nil)
	if err != nil {
		return r, fmt.Errorf("posting the card: %w", err)
	}
	res, err := b.o.Approvals.SetCard(ctx, r.ID, approvals.Card{Channel: channel, TS: ts})
	if err != nil {
		return r, fmt.Errorf("storing the card: %w", err)
	}
	return res.Request, nil
}

// cardLocks serializes the card work of each request (striped by id).
type cardLocks [64]sync.Mutex

// lock locks the stripe of request id and returns its unlock.
func (c *cardLocks) lock(id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	m := &c[h.Sum32()%uint32(len(c))]
	m.Lock()
	return m.Unlock
}

// machineCacheTTL is how long a looked-up machine is reused for its cards;
// after it the next card update reads the machine from MDE again.
const machineCacheTTL = 24 * time.Hour

// maxCachedMachines bounds the machines kept; past it the one stored
// longest ago is forgotten (its next card update reads it from MDE).
const maxCachedMachines = 5000

// machineCache keeps the machines the bot looked up, for re-rendering cards
// without calling MDE each time. Like the App Home viewers, it forgets
// entries older than machineCacheTTL and keeps at most maxCachedMachines.
type machineCache struct {
	expiringMap[defender.MachineID, blocks.MachineView]
}

func (c *machineCache) put(m blocks.MachineView, now time.Time) {
	c.store(defender.MachineID(m.ID), m, now, machineCacheTTL, maxCachedMachines)
}

func (c *machineCache) get(id defender.MachineID, now time.Time) (blocks.MachineView, bool) {
	return c.load(id, now, machineCacheTTL)
}

// machineFor is r's machine as last looked up; after a restart it is read
// from MDE once, and if that fails the card shows the stored name and id.
func (b *Bot) machineFor(ctx context.Context, r *approvals.Request) blocks.MachineView {
	if !r.Kind.TargetsMachine() || r.Bulk() {
		return blocks.MachineView{}
	}
	if m, ok := b.machines.get(r.Params.Machine, b.now()); ok {
		return m
	}
	dm, err := b.lookups.Machines.Get(ctx, r.Params.Machine)
	if err != nil {
		b.log.WarnContext(ctx, "machine lookup for a card failed", "request", r.ID, "machine", r.Params.Machine, "error", err)
		m := blocks.MachineView{ID: string(r.Params.Machine), Name: r.Params.MachineName}
		b.machines.put(m, b.now())
		return m
	}
	m := machineView(dm)
	b.machines.put(m, b.now())
	return m
}
