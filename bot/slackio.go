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
// returns the new message's ts.
func (b *Bot) post(ctx context.Context, channel, threadTS string, m blocks.Message) (string, error) {
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := b.o.Slack.PostMessageContext(ctx, channel, opts...)
	return ts, err
}

// postThread posts m under r's card (or in r's channel when it has none),
// logging a failure.
func (b *Bot) postThread(ctx context.Context, r *approvals.Request, m blocks.Message) string {
	channel := r.Card.Channel
	if channel == "" {
		channel = r.Channel
	}
	ts, err := b.post(ctx, channel, r.Card.TS, m)
	if err != nil {
		b.log.WarnContext(ctx, "thread reply failed", "request", r.ID, "error", err)
	}
	return ts
}

// update edits the message channel/ts to m (chat.update).
func (b *Bot) update(ctx context.Context, channel, ts string, m blocks.Message) error {
	_, _, _, err := b.o.Slack.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...)
	return err
}

// updateCard re-renders r's card in place from the request's latest stored
// state, logging a failure. Card updates of one request are serialized and
// each renders what the store holds when it runs, so the card never ends
// on an older state than the store's; they also wait for a card being
// posted to be stored (see postCard).
func (b *Bot) updateCard(ctx context.Context, r *approvals.Request) {
	unlock := b.cards.lock(r.ID)
	defer unlock()
	if latest, err := b.o.Approvals.Get(ctx, r.ID); err == nil {
		r = latest
	}
	defer b.afterChange(ctx, r)
	b.copyQueue.push(r.ID)
	if r.Card.TS == "" {
		return
	}
	m := blocks.RenderRequestCard(requestView(r, b.machineFor(ctx, r)), b.now())
	if err := b.update(ctx, r.Card.Channel, r.Card.TS, m); err != nil {
		b.log.WarnContext(ctx, "card update failed", "request", r.ID, "error", err)
	}
}

// postCard posts r's card in channel and stores where it is. Until it is
// stored, updates of the card wait, so a click that comes right after the
// card appears still edits it.
func (b *Bot) postCard(ctx context.Context, r *approvals.Request, channel string, machine blocks.MachineView) (*approvals.Request, error) {
	unlock := b.cards.lock(r.ID)
	defer unlock()
	ts, err := b.post(ctx, channel, "", blocks.RenderRequestCard(requestView(r, machine), b.now()))
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
	mu sync.Mutex
	m  map[defender.MachineID]cachedMachine
}

// cachedMachine is one machine and when it was stored.
type cachedMachine struct {
	view   blocks.MachineView
	stored time.Time
}

func (c *machineCache) put(m blocks.MachineView, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[defender.MachineID]cachedMachine{}
	}
	id := defender.MachineID(m.ID)
	if _, ok := c.m[id]; !ok && len(c.m) >= maxCachedMachines {
		for k, v := range c.m {
			if now.Sub(v.stored) > machineCacheTTL {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedMachines {
			var oldest defender.MachineID
			first := true
			for k, v := range c.m {
				if first || v.stored.Before(c.m[oldest].stored) {
					oldest, first = k, false
				}
			}
			delete(c.m, oldest)
		}
	}
	c.m[id] = cachedMachine{view: m, stored: now}
}

func (c *machineCache) get(id defender.MachineID, now time.Time) (blocks.MachineView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[id]
	if ok && now.Sub(v.stored) > machineCacheTTL {
		delete(c.m, id)
		return blocks.MachineView{}, false
	}
	return v.view, ok
}

// machineFor is r's machine as last looked up; after a restart it is read
// from MDE once, and if that fails the card shows the stored name and id.
func (b *Bot) machineFor(ctx context.Context, r *approvals.Request) blocks.MachineView {
	if !r.Kind.TargetsMachine() {
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
