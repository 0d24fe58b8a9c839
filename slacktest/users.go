package slacktest

import (
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
			"display_name": u.Name,
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
