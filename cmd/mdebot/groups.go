package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// groupsTTL is how long a user group's members are cached.
const groupsTTL = time.Minute

// slackGroups implements approvals.Groups with usergroups.users.list,
// caching each group's members for groupsTTL so a burst of clicks costs one
// call. A failed lookup is not cached.
type slackGroups struct {
	api *slack.Client
	now func() time.Time

	mu    sync.Mutex
	cache map[string]groupMembers
}

type groupMembers struct {
	members []string
	at      time.Time
}

func newSlackGroups(api *slack.Client, now func() time.Time) *slackGroups {
	return &slackGroups{api: api, now: now, cache: make(map[string]groupMembers)}
}

// Members returns the user ids of group's members.
func (g *slackGroups) Members(ctx context.Context, group string) ([]string, error) {
	g.mu.Lock()
	c, ok := g.cache[group]
	g.mu.Unlock()
	if ok && g.now().Sub(c.at) < groupsTTL {
		return slices.Clone(c.members), nil
	}
	members, err := g.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("usergroups.users.list %s: %w", group, err)
	}
	g.mu.Lock()
	g.cache[group] = groupMembers{members: members, at: g.now()}
	g.mu.Unlock()
	return slices.Clone(members), nil
}
