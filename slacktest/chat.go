package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// nextTSLocked returns a fresh message ts from the clock, strictly after the
// previous one ("1700000000.000100").
func (s *Server) nextTSLocked() string {
	micro := s.now().UnixMicro()
	if micro <= s.lastTS {
		micro = s.lastTS + 1
	}
	s.lastTS = micro
	return fmt.Sprintf("%d.%06d", micro/1e6, micro%1e6)
}

// compareTS orders two ts values numerically.
func compareTS(a, b string) int {
	pa, pb := tsMicros(a), tsMicros(b)
	switch {
	case pa < pb:
		return -1
	case pa > pb:
		return 1
	}
	return strings.Compare(a, b)
}

func tsMicros(ts string) int64 {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	frac = (frac + "000000")[:6]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return s*1e6 + f
}

// DMChannelID returns the ID of the DM channel between the bot and the user
// userID, where the bot's messages to that user go (conversations.open
// answers it).
func DMChannelID(userID string) string { return dmChannelID(userID) }

// dmChannelID is the DM channel between the bot and a user.
func dmChannelID(userID string) string {
	return "D" + strings.TrimPrefix(userID, "U")
}

// resolveChannelLocked maps a channel parameter to a stored channel ID: a
// known channel or a user's DM channel.
func (s *Server) resolveChannelLocked(id string) (string, bool) {
	if _, ok := s.channels[id]; ok {
		return id, true
	}
	for uid := range s.users {
		if id == dmChannelID(uid) {
			return id, true
		}
	}
	return "", false
}

// resolveTargetLocked is resolveChannelLocked that also takes a user ID:
// posting to a user posts to their DM with the bot, as Slack does for
// chat.postMessage (chat.update and chat.delete want the DM's ID).
func (s *Server) resolveTargetLocked(id string) (string, bool) {
	if _, ok := s.users[id]; ok {
		return dmChannelID(id), true
	}
	return s.resolveChannelLocked(id)
}

func (s *Server) findMessageLocked(channel, ts string) *Message {
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// messageContent checks text and blocks as chat.postMessage does.
// blocksSent reports whether the blocks parameter was present.
func messageContent(c *call) (text string, blocks json.RawMessage, blocksSent bool, err *apiError) {
	text = c.param("text")
	if utf8.RuneCountInString(text) > maxMessageText {
		return "", nil, false, fail("msg_too_long")
	}
	if raw := strings.TrimSpace(c.param("blocks")); raw != "" {
		blocksSent = true
		parsed, problems, bad := validateBlocks(json.RawMessage(raw), surfaceMessage, maxMessageBlocks)
		if bad {
			return "", nil, false, fail("invalid_blocks_format")
		}
		if len(problems) > 0 {
			return "", nil, false, fail("invalid_blocks", problems...)
		}
		if len(parsed) > 0 {
			blocks = storedBlocks(json.RawMessage(raw), parsed)
		}
	}
	attachments := strings.TrimSpace(c.param("attachments"))
	if text == "" && len(blocks) == 0 && (attachments == "" || attachments == "[]") {
		return "", nil, false, fail("no_text")
	}
	return text, blocks, blocksSent, nil
}

// storedBlocks returns the blocks as Slack stores them: compact JSON, with a
// generated block_id on every block that had none.
func storedBlocks(raw json.RawMessage, parsed []map[string]any) json.RawMessage {
	filled := false
	for i, b := range parsed {
		if _, ok := b["block_id"]; !ok {
			b["block_id"] = fmt.Sprintf("fk%d", i)
			filled = true
		}
	}
	if filled {
		out, err := json.Marshal(parsed)
		if err == nil {
			return out
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// wireMessage is a message as Slack's API and payloads show it.
func (s *Server) wireMessage(m *Message) map[string]any {
	out := map[string]any{
		"type": "message",
		"user": m.User,
		"text": m.Text,
		"ts":   m.TS,
		"team": s.teamID,
	}
	if m.User == BotUserID {
		out["bot_id"] = BotID
		out["app_id"] = AppID
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Edited > 0 {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	if len(m.Files) > 0 {
		files := make([]map[string]any, 0, len(m.Files))
		for _, f := range m.Files {
			files = append(files, map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "size": len(f.Content)})
		}
		out["files"] = files
	}
	return out
}

// postLocked stores a new message and publishes it.
func (s *Server) postLocked(m *Message) {
	m.TS = s.nextTSLocked()
	s.messages[m.Channel] = append(s.messages[m.Channel], m)
	c := m.clone()
	s.publishLocked(Event{Kind: EventMessagePosted, Message: &c})
}

// chatPostMessage answers chat.postMessage.
func (s *Server) chatPostMessage(c *call) (map[string]any, *apiError) {
	channel, ok := s.resolveTargetLocked(c.param("channel"))
	if !ok {
		return nil, fail("channel_not_found")
	}
	if s.removed[channel] {
		return nil, fail("not_in_channel")
	}
	text, blocks, _, err := messageContent(c)
	if err != nil {
		return nil, err
	}
	m := &Message{Channel: channel, ThreadTS: c.param("thread_ts"), User: BotUserID, Text: text, Blocks: blocks}
	s.postLocked(m)
	return map[string]any{"channel": channel, "ts": m.TS, "message": s.wireMessage(m)}, nil
}

// chatPostEphemeral answers chat.postEphemeral.
func (s *Server) chatPostEphemeral(c *call) (map[string]any, *apiError) {
	channel, ok := s.resolveTargetLocked(c.param("channel"))
	if !ok {
		return nil, fail("channel_not_found")
	}
	user := c.param("user")
	if _, ok := s.users[user]; !ok {
		return nil, fail("user_not_found")
	}
	text, blocks, _, err := messageContent(c)
	if err != nil {
		return nil, err
	}
	m := &Message{Channel: channel, ThreadTS: c.param("thread_ts"), User: BotUserID, Text: text, Blocks: blocks,
		Ephemeral: true, VisibleTo: user}
	s.postLocked(m)
	return map[string]any{"message_ts": m.TS}, nil
}

// ownMessageLocked finds the live channel message that c's channel and ts
// name, failing as Slack does when it is missing, ephemeral, deleted, or not
// the bot's own (with notOwn).
func (s *Server) ownMessageLocked(c *call, notOwn string) (string, *Message, *apiError) {
	channel, ok := s.resolveChannelLocked(c.param("channel"))
	if !ok {
		return "", nil, fail("channel_not_found")
	}
	m := s.findMessageLocked(channel, c.param("ts"))
	if m == nil || m.Ephemeral || m.Deleted {
		return "", nil, fail("message_not_found")
	}
	if m.User != BotUserID {
		return "", nil, fail(notOwn)
	}
	return channel, m, nil
}

// chatUpdate answers chat.update. Blocks not sent are kept, as Slack does.
func (s *Server) chatUpdate(c *call) (map[string]any, *apiError) {
	channel, m, err := s.ownMessageLocked(c, "cant_update_message")
	if err != nil {
		return nil, err
	}
	if s.removed[channel] {
		return nil, fail("not_in_channel")
	}
	text, blocks, blocksSent, err := messageContent(c)
	keepsBlocks := strings.TrimSpace(c.param("blocks")) == "" && len(m.Blocks) > 0
	if err != nil && !(err.code == "no_text" && keepsBlocks) {
		return nil, err
	}
	m.Text = text
	if blocksSent {
		m.Blocks = blocks
	}
	m.Edited++
	cl := m.clone()
	s.publishLocked(Event{Kind: EventMessageUpdated, Message: &cl})
	return map[string]any{"channel": channel, "ts": m.TS, "text": m.Text, "message": s.wireMessage(m)}, nil
}

// chatDelete answers chat.delete; the message stays observable with Deleted set.
func (s *Server) chatDelete(c *call) (map[string]any, *apiError) {
	channel, m, err := s.ownMessageLocked(c, "cant_delete_message")
	if err != nil {
		return nil, err
	}
	m.Deleted = true
	cl := m.clone()
	s.publishLocked(Event{Kind: EventMessageDeleted, Message: &cl})
	return map[string]any{"channel": channel, "ts": m.TS}, nil
}

// chatGetPermalink answers chat.getPermalink.
func (s *Server) chatGetPermalink(c *call) (map[string]any, *apiError) {
	channel, ok := s.resolveChannelLocked(c.param("channel"))
	if !ok {
		return nil, fail("channel_not_found")
	}
	ts := c.param("message_ts")
	if m := s.findMessageLocked(channel, ts); m == nil || m.Ephemeral {
		return nil, fail("message_not_found")
	}
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", s.teamDomain, channel, strings.ReplaceAll(ts, ".", ""))
	return map[string]any{"channel": channel, "permalink": link}, nil
}
