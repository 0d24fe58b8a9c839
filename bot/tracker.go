package bot

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
)

// tracker follows every in-flight MDE action. Each tick reads all their
// statuses with batched Actions.Statuses calls (about N/50 calls for N
// actions), records each new status (approvals.RecordStatus, written to the
// store) and only then posts it in the card's thread.
type tracker struct {
	b    *Bot
	mde  *defender.Client // b's client as a background caller: new actions' look-ups go first
	kick chan struct{}

	mu    sync.Mutex
	items map[trackKey]*tracked
}

// trackKey names one request following one action: two requests may
// follow one action (a bulk request reusing another's).
type trackKey struct{ request, action string }

// tracked is one in-flight action.
type tracked struct {
	requestID string
	actionID  string
	// bulk: requestID is a bulk request, whose statuses of one tick are
	// recorded together.
	bulk bool
}

func keyOf(requestID, actionID string) trackKey {
	return trackKey{requestID, strings.ToLower(actionID)}
}

func newTracker(b *Bot) *tracker {
	return &tracker{b: b, mde: b.o.Defender.Background(), kick: make(chan struct{}, 1), items: map[trackKey]*tracked{}}
}

// add starts following action actionID of request requestID.
func (t *tracker) add(requestID, actionID string) {
	t.mu.Lock()
	t.items[keyOf(requestID, actionID)] = &tracked{requestID: requestID, actionID: actionID}
	t.mu.Unlock()
}

// addBulk starts following action actionID of one machine of bulk
// request requestID.
func (t *tracker) addBulk(requestID, actionID string) {
	t.mu.Lock()
	t.items[keyOf(requestID, actionID)] = &tracked{requestID: requestID, actionID: actionID, bulk: true}
	t.mu.Unlock()
}

// poke asks for a tick now (after a cancel, say).
func (t *tracker) poke() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// len is how many actions are followed.
func (t *tracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.items)
}

// run ticks every interval until ctx ends.
func (t *tracker) run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-t.kick:
		}
		t.tick(ctx)
		t.b.recoverDue(ctx)
	}
}

// tick polls every followed action once and handles what changed.
func (t *tracker) tick(ctx context.Context) {
	t.mu.Lock()
	items := slices.SortedFunc(maps.Values(t.items), func(a, b *tracked) int {
		return strings.Compare(a.requestID+" "+a.actionID, b.requestID+" "+b.actionID)
	})
	t.mu.Unlock()
	if len(items) == 0 {
		return
	}
	var ids []string
	for _, it := range items {
		if id := strings.ToLower(it.actionID); !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	statuses, err := t.mde.Actions.Statuses(ctx, ids)
	// Statuses read are recorded and posted even if Run ends meanwhile: a
	// status recorded but never posted would not be posted after a restart.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
	defer cancel()
	if err != nil {
		t.b.log.WarnContext(ctx, "reading MDE action statuses failed; retrying next tick", "actions", len(ids), "read", len(statuses), "error", err)
	}
	bulk := map[string][]approvals.TargetStatus{}
	var order []string
	for _, it := range items {
		a, ok := statuses[strings.ToLower(it.actionID)]
		if !ok || a.Status == "" {
			continue
		}
		if it.bulk {
			if _, ok := bulk[it.requestID]; !ok {
				order = append(order, it.requestID)
			}
			bulk[it.requestID] = append(bulk[it.requestID], approvals.TargetStatus{
				ActionID: strings.ToLower(it.actionID), Status: a.Status, Detail: actionDetail(it.requestID, a)})
			continue
		}
		t.observe(ctx, it, a)
	}
	for _, id := range order {
		t.observeBulk(ctx, id, bulk[id])
	}
}

// observe records a's status for it's request and, if it is new, tells the
// thread and refreshes the card.
func (t *tracker) observe(ctx context.Context, it *tracked, a defender.MachineAction) {
	b := t.b
	log := b.log.With("request", it.requestID, "action", it.actionID)
	res, err := b.o.Approvals.RecordStatus(ctx, it.requestID, a.Status, actionDetail(it.requestID, a))
	if err != nil {
		log.WarnContext(ctx, "recording an MDE status failed", "status", a.Status, "error", err)
		if r, gerr := b.o.Approvals.Get(ctx, it.requestID); gerr == nil && r.State.Final() {
			t.remove(it.requestID, it.actionID)
		}
		return
	}
	r := res.Request
	if res.Changed {
		// The status reply, what a final status owes (the Cancel offer
		// retired, a package ready) and the card update were written to
		// the outbox with the status (see announce).
		log.InfoContext(ctx, "MDE status", "status", a.Status)
	}
	if r.State.Final() {
		t.remove(it.requestID, it.actionID)
	}
	if res.Changed {
		b.updateCard(ctx, r)
	}
}

func (t *tracker) remove(requestID, actionID string) {
	t.mu.Lock()
	delete(t.items, keyOf(requestID, actionID))
	t.mu.Unlock()
}
