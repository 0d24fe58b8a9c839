package slacktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// responseURLLocked is the response_url of an interaction.
func (s *Server) responseURLLocked(env *sentEnvelope) string {
	return s.baseURL + "/response/" + env.id
}

// response is a message sent to a response_url or in a slash command's ack payload.
type response struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponse answers POST /response/<envelope id>, recorded in Calls as
// method "response_url".
func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var resp response
	if err == nil {
		err = json.Unmarshal(body, &resp)
	}
	s.mu.Lock()
	var aerr *apiError
	env := s.envelopes[r.PathValue("id")]
	switch {
	case err != nil:
		aerr = fail("invalid_payload")
	case env == nil:
		aerr = fail("expired_url")
	default:
		aerr = s.respondLocked(env, resp)
	}
	rec := APICall{Method: "response_url", Params: url.Values{"envelope_id": {r.PathValue("id")}}, JSON: body, At: s.now()}
	if aerr != nil {
		rec.Error = aerr.code
	}
	s.calls = append(s.calls, rec)
	s.changeLocked()
	s.mu.Unlock()
	if aerr != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]any{"ok": false, "error": aerr.code})
		return
	}
	writeJSON(w, map[string]any{"ok": true})
}

// respondLocked applies a response to an interaction: delete or replace the
// clicked message, or post a message (ephemeral unless in_channel).
func (s *Server) respondLocked(env *sentEnvelope, r response) *apiError {
	original := s.findMessageLocked(env.channel, env.messageTS)
	if r.DeleteOriginal {
		if original == nil || original.Deleted {
			return fail("message_not_found")
		}
		original.Deleted = true
		cl := original.clone()
		s.publishLocked(Event{Kind: EventMessageDeleted, Message: &cl})
		return nil
	}
	if utf8.RuneCountInString(r.Text) > maxMessageText {
		return fail("msg_too_long")
	}
	var blocks json.RawMessage
	if len(r.Blocks) > 0 && string(r.Blocks) != "null" {
		parsed, problems, bad := validateBlocks(r.Blocks, surfaceMessage, maxMessageBlocks)
		switch {
		case bad:
			return fail("invalid_blocks_format")
		case len(problems) > 0:
			return fail("invalid_blocks", problems...)
		case len(parsed) > 0:
			blocks = storedBlocks(r.Blocks, parsed)
		}
	}
	if r.Text == "" && len(blocks) == 0 {
		return fail("no_text")
	}
	if r.ReplaceOriginal && original != nil && !original.Deleted {
		original.Text, original.Blocks = r.Text, blocks
		original.Edited++
		cl := original.clone()
		s.publishLocked(Event{Kind: EventMessageUpdated, Message: &cl})
		return nil
	}
	if env.channel == "" {
		return fail("channel_not_found")
	}
	m := &Message{Channel: env.channel, ThreadTS: r.ThreadTS, User: BotUserID, Text: r.Text, Blocks: blocks}
	if r.ResponseType != "in_channel" {
		m.Ephemeral, m.VisibleTo = true, env.user
	}
	s.postLocked(m)
	return nil
}

// applyAckLocked gives an ack payload its effect, as Slack does: a slash
// command's response message, or a view_submission's response_action.
func (s *Server) applyAckLocked(env *sentEnvelope, payload json.RawMessage) {
	if len(payload) == 0 || string(payload) == "null" {
		payload = nil
	}
	switch env.kind {
	case "slash_commands":
		var r response
		if payload != nil && json.Unmarshal(payload, &r) == nil && (r.Text != "" || len(r.Blocks) > 0) {
			_ = s.respondLocked(env, r)
		}
	case "view_submission":
		s.applyViewResponseLocked(env, payload)
	}
}

// applyViewResponseLocked closes, updates or pushes views after a view_submission ack.
func (s *Server) applyViewResponseLocked(env *sentEnvelope, payload json.RawMessage) {
	v := s.findViewLocked(env.viewID)
	if v == nil || v.Closed {
		return
	}
	var r struct {
		ResponseAction string          `json:"response_action"`
		View           json.RawMessage `json:"view"`
	}
	if payload != nil {
		_ = json.Unmarshal(payload, &r)
	}
	switch r.ResponseAction {
	case "errors":
		return
	case "update":
		if f, err := validateView(r.View, "modal"); err == nil {
			s.setViewLocked(v, f, r.View)
			cl := v.clone()
			s.publishLocked(Event{Kind: EventViewUpdated, View: &cl})
		}
		return
	case "push":
		if f, err := validateView(r.View, "modal"); err == nil {
			s.openModalLocked(v.UserID, f, r.View, v)
		}
		return
	case "clear":
		for _, other := range s.views {
			if other.RootViewID == v.RootViewID && !other.Closed {
				s.closeViewLocked(other)
			}
		}
		return
	}
	s.closeViewLocked(v)
}

func (s *Server) closeViewLocked(v *View) {
	v.Closed = true
	cl := v.clone()
	s.publishLocked(Event{Kind: EventViewClosed, View: &cl})
}
