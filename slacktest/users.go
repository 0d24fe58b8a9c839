package slacktest

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// wireUser is a user as users.info shows it.
func (s *Server) wireUser(u User) map[string]any {
	tz := u.TZ
	if tz == "" {
		tz = "UTC"
	}
	team, _ := s.userTeam(u)
	return map[string]any{
		"id":        u.ID,
		"team_id":   team,
		"name":      u.Name,
		"real_name": u.RealName,
		"deleted":   false,
		"is_bot":    u.IsBot,
		"tz":        tz,
		"profile": map[string]any{
			"real_name":    u.RealName,
			"display_name": u.displayName(),
			"email":        u.Email,
			"team":         team,
		},
	}
}

// usersInfo answers users.info.
func (s *Server) usersInfo(c *call) (map[string]any, *apiError) {
	u, ok := s.users[c.param("user")]
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"user": s.wireUser(u)}, nil
}

// displayName is the name Slack shows for u: DisplayName, or else the
// handle, as a member who never set one.
func (u User) displayName() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

// usersList answers users.list, a page at a time as Slack does: limit
// (at most 1000; 0 means all the rest), cursor from the last page's
// response_metadata.next_cursor (opaque), users in a stable order, and a
// cursor Slack did not issue refused with invalid_cursor.
func (s *Server) usersList(c *call) (map[string]any, *apiError) {
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	start := 0
	if cur := c.param("cursor"); cur != "" {
		raw, err := base64.StdEncoding.DecodeString(cur)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(raw), "user:"))
		if err != nil || perr != nil || !strings.HasPrefix(string(raw), "user:") || n < 0 || n > len(ids) {
			return nil, fail("invalid_cursor")
		}
		start = n
	}
	limit := len(ids) - start
	if l := c.param("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return nil, fail("invalid_arguments")
		}
		if n > 0 {
			limit = min(n, 1000, limit)
		}
	}
	members := make([]any, 0, limit)
	for _, id := range ids[start : start+limit] {
		members = append(members, s.wireUser(s.users[id]))
	}
	next := ""
	if start+limit < len(ids) {
		next = base64.StdEncoding.EncodeToString([]byte("user:" + strconv.Itoa(start+limit)))
	}
	return map[string]any{"members": members, "cache_ts": s.now().Unix(),
		"response_metadata": map[string]any{"next_cursor": next}}, nil
}

// usergroupsUsersList answers usergroups.users.list.
func (s *Server) usergroupsUsersList(c *call) (map[string]any, *apiError) {
	g, ok := s.groups[c.param("usergroup")]
	if !ok {
		return nil, fail("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, g.Members...)}, nil
}

// conversationsOpen answers conversations.open for a DM with one user.
func (s *Server) conversationsOpen(c *call) (map[string]any, *apiError) {
	if ch := c.param("channel"); ch != "" {
		id, ok := s.resolveChannelLocked(ch)
		if !ok {
			return nil, fail("channel_not_found")
		}
		return map[string]any{"channel": map[string]any{"id": id}, "already_open": true}, nil
	}
	users := strings.Split(c.param("users"), ",")
	if c.param("users") == "" {
		return nil, fail("users_list_not_supplied")
	}
	if len(users) != 1 {
		return nil, fail("invalid_arguments", "[ERROR] slacktest opens DMs with one user only [json-pointer:/users]")
	}
	u, ok := s.users[strings.TrimSpace(users[0])]
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{
		"no_op":        false,
		"already_open": false,
		"channel":      map[string]any{"id": dmChannelID(u.ID), "is_im": true, "user": u.ID},
	}, nil
}
