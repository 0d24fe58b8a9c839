package slacktest

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// verificationToken is the deprecated token Slack still puts in payloads.
const verificationToken = "fakeverificationtoken"

func (s *Server) wireUserRef(u User) map[string]any {
	team, _ := s.userTeam(u)
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": team}
}

// userTeam is the team and enterprise ids a user's envelopes carry: the
// fake workspace's, or a Slack Connect guest's own (User.TeamID).
func (s *Server) userTeam(u User) (team, enterprise string) {
	if u.TeamID != "" {
		return u.TeamID, u.EnterpriseID
	}
	return s.teamID, s.enterpriseID
}

// wireTeam is the "team" object of an interactive payload from u.
func (s *Server) wireTeam(u User) map[string]any {
	team, _ := s.userTeam(u)
	domain := s.teamDomain
	if u.TeamID != "" {
		domain = strings.ToLower(u.TeamID)
	}
	return map[string]any{"id": team, "domain": domain}
}

// wireEnterprise is the "enterprise" object of an interactive payload
// from u: null outside Enterprise Grid.
func (s *Server) wireEnterprise(u User) any {
	if _, ent := s.userTeam(u); ent != "" {
		return map[string]any{"id": ent, "name": strings.ToLower(ent)}
	}
	return nil
}

func (s *Server) channelNameLocked(id string) string {
	if c, ok := s.channels[id]; ok {
		return c.Name
	}
	return "directmessage"
}

// ErrNoSuchButton is returned by ClickButton when the message has no button
// with the action ID.
var ErrNoSuchButton = errors.New("slacktest: no such button")

// newEnvelopeLocked registers an envelope about to be sent.
func (s *Server) newEnvelopeLocked(kind, user, channel string) *sentEnvelope {
	env := &sentEnvelope{id: s.nextEnvelopeIDLocked(), kind: kind, user: user, channel: channel}
	s.envelopes[env.id] = env
	return env
}

func (s *Server) nextEnvelopeIDLocked() string {
	s.seq++
	return fmt.Sprintf("env-%04d-%08x-fake", s.seq, uint32(s.seq)*2654435761)
}

func (s *Server) userLocked(id string) (User, error) {
	u, ok := s.users[id]
	if !ok {
		return User{}, fmt.Errorf("slacktest: unknown user %q (add it with WithUsers)", id)
	}
	return u, nil
}

// SlashCommand sends a slash_commands envelope as if userID typed
// "command text" in channelID, and returns once it is written.
func (s *Server) SlashCommand(ctx context.Context, userID, channelID, command, text string) (Envelope, error) {
	s.mu.Lock()
	u, err := s.userLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	channel, ok := s.resolveChannelLocked(channelID)
	if !ok {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("slacktest: unknown channel %q (add it with WithChannels)", channelID)
	}
	env := s.newEnvelopeLocked("slash_commands", userID, channel)
	team, enterprise := s.userTeam(u)
	payload := map[string]any{
		"token":                 verificationToken,
		"team_id":               team,
		"team_domain":           s.wireTeam(u)["domain"],
		"channel_id":            channel,
		"channel_name":          s.channelNameLocked(channel),
		"user_id":               u.ID,
		"user_name":             u.Name,
		"command":               command,
		"text":                  text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          s.responseURLLocked(env),
		"trigger_id":            s.issueTriggerLocked(userID),
	}
	if enterprise != "" {
		payload["enterprise_id"] = enterprise
	}
	s.mu.Unlock()
	return s.sendEnvelope(ctx, env, map[string]any{
		"envelope_id": env.id, "type": "slash_commands", "accepts_response_payload": true, "payload": payload,
	})
}

// ClickButton sends a block_actions envelope as if userID clicked the button
// with actionID in the stored message. The payload carries the message as
// Slack would (blocks included) and the button's block_id. An empty value
// sends the button's own value. It fails if the message has no such button.
func (s *Server) ClickButton(ctx context.Context, userID string, msg MessageRef, actionID, value string) (Envelope, error) {
	s.mu.Lock()
	u, err := s.userLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	m := s.findMessageLocked(msg.Channel, msg.TS)
	if m == nil || m.Deleted {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("slacktest: no message %s/%s", msg.Channel, msg.TS)
	}
	if m.Ephemeral && m.VisibleTo != userID {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("slacktest: ephemeral message %s is not visible to %s", msg.TS, userID)
	}
	blockID, button, ok := findElement(m.Blocks, "", actionID, "button")
	if !ok {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("%w: %q in message %s/%s", ErrNoSuchButton, actionID, msg.Channel, msg.TS)
	}
	if value == "" {
		value, _ = button["value"].(string)
	}
	env := s.newEnvelopeLocked("block_actions", userID, m.Channel)
	env.messageTS = m.TS
	action := map[string]any{
		"action_id": actionID,
		"block_id":  blockID,
		"text":      button["text"],
		"value":     value,
		"type":      "button",
		"action_ts": s.nextActionTSLocked(),
	}
	if st, ok := button["style"]; ok {
		action["style"] = st
	}
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": m.Ephemeral}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  s.wireUserRef(u),
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"container":             container,
		"trigger_id":            s.issueTriggerLocked(userID),
		"team":                  s.wireTeam(u),
		"enterprise":            s.wireEnterprise(u),
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": m.Channel, "name": s.channelNameLocked(m.Channel)},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          s.responseURLLocked(env),
		"actions":               []any{action},
	}
	if !m.Ephemeral {
		payload["message"] = s.wireMessage(m)
	}
	s.mu.Unlock()
	return s.sendEnvelope(ctx, env, map[string]any{
		"envelope_id": env.id, "type": "interactive", "accepts_response_payload": false, "payload": payload,
	})
}

func (s *Server) nextActionTSLocked() string {
	micro := s.now().UnixMicro()
	return fmt.Sprintf("%d.%06d", micro/1e6, micro%1e6)
}

// SubmitView sends a view_submission envelope for the user's open modal.
// values maps block_id → action_id → the value the user entered: text for
// text inputs, an option value for selects and radio buttons,
// comma-separated values for multi-selects and checkboxes, a user ID for
// users_select. It fails if the view is not an open modal of userID or a
// value names no input of the view.
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]string) (Envelope, error) {
	s.mu.Lock()
	u, err := s.userLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	v := s.findViewLocked(viewID)
	if v == nil || v.Type != "modal" || v.Closed || v.UserID != userID {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("slacktest: no open modal %q for user %s", viewID, userID)
	}
	state, err := viewState(v.JSON, values)
	if err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	env := s.newEnvelopeLocked("view_submission", userID, "")
	env.viewID = v.ID
	payload := map[string]any{
		"type":                  "view_submission",
		"team":                  s.wireTeam(u),
		"user":                  s.wireUserRef(u),
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"trigger_id":            s.issueTriggerLocked(userID),
		"view":                  s.wireView(v, map[string]any{"values": state}),
		"response_urls":         []any{},
		"enterprise":            s.wireEnterprise(u),
		"is_enterprise_install": false,
	}
	s.mu.Unlock()
	return s.sendEnvelope(ctx, env, map[string]any{
		"envelope_id": env.id, "type": "interactive", "accepts_response_payload": true, "payload": payload,
	})
}

// OpenAppHome sends an events_api app_home_opened envelope for userID's
// Home tab (with the published home view, if any).
func (s *Server) OpenAppHome(ctx context.Context, userID string) (Envelope, error) {
	s.mu.Lock()
	if _, err := s.userLocked(userID); err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	channel := dmChannelID(userID)
	env := s.newEnvelopeLocked("events_api", userID, channel)
	now := s.now()
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     userID,
		"channel":  channel,
		"tab":      "home",
		"event_ts": s.nextActionTSLocked(),
	}
	for _, v := range s.views {
		if v.Type == "home" && v.UserID == userID {
			event["view"] = s.wireView(v, nil)
		}
	}
	payload := map[string]any{
		"token":      verificationToken,
		"team_id":    s.teamID,
		"api_app_id": AppID,
		"type":       "event_callback",
		"event_id":   fmt.Sprintf("Ev%010d", s.seq),
		"event_time": now.Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.teamID, "user_id": BotUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event":                 event,
	}
	s.mu.Unlock()
	return s.sendEnvelope(ctx, env, map[string]any{
		"envelope_id": env.id, "type": "events_api", "accepts_response_payload": false,
		"retry_attempt": 0, "retry_reason": "", "payload": payload,
	})
}
