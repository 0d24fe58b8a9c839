package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
)

// DefaultGroupTTL is how long Groups keeps a user group's members.
const DefaultGroupTTL = 5 * time.Minute

// Groups resolves Slack user groups (S…) to their members with
// usergroups.users.list, for approvals.Service. Members are cached for a
// TTL, and concurrent lookups of one group share a single call. A group
// that cannot be resolved has no members (and a log line says why): a
// Slack outage makes nobody an approver through that group, never
// everybody.
type Groups struct {
	slack *slack.Client
	ttl   time.Duration
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]*groupEntry
}

// groupEntry is one group's cached members, or the lookup in flight.
type groupEntry struct {
	members []string
	fetched time.Time
	ok      bool          // members hold a successful lookup
	wait    chan struct{} // non-nil while a lookup runs; closed when it ends
}

var _ approvals.Groups = (*Groups)(nil)

// NewGroups returns a Groups resolving through c, caching for ttl (zero
// means DefaultGroupTTL). log may be nil.
func NewGroups(c *slack.Client, ttl time.Duration, log *slog.Logger) *Groups {
	if ttl <= 0 {
		ttl = DefaultGroupTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Groups{slack: c, ttl: ttl, log: log, now: time.Now, entries: map[string]*groupEntry{}}
}

// Members implements approvals.Groups. It never returns an error: a failed
// lookup is logged and means no members.
func (g *Groups) Members(ctx context.Context, groupID string) ([]string, error) {
	for {
		g.mu.Lock()
		e := g.entries[groupID]
		if e != nil && e.wait == nil && e.ok && g.now().Sub(e.fetched) < g.ttl {
			members := e.members
			g.mu.Unlock()
			return members, nil
		}
		if e != nil && e.wait != nil {
			wait := e.wait
			g.mu.Unlock()
			select {
			case <-wait:
				g.mu.Lock()
				done := g.entries[groupID]
				g.mu.Unlock()
				if done != nil && done.wait == nil {
					return done.members, nil
				}
				continue
			case <-ctx.Done():
				g.log.Warn("slack user group lookup abandoned; treating as no members", "group", groupID, "error", ctx.Err())
				return nil, nil
			}
		}
		wait := make(chan struct{})
		g.entries[groupID] = &groupEntry{wait: wait}
		g.mu.Unlock()

		members, err := g.slack.GetUserGroupMembersContext(ctx, groupID)
		g.mu.Lock()
		if err != nil {
			g.log.Warn("slack user group lookup failed; treating as no members", "group", groupID, "error", err)
			g.entries[groupID] = &groupEntry{members: nil}
		} else {
			g.entries[groupID] = &groupEntry{members: members, fetched: g.now(), ok: true}
		}
		g.mu.Unlock()
		close(wait)
		return members, nil
	}
}
