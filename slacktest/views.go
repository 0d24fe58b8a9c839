package slacktest

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// triggerLifetime is how long a trigger_id stays usable after it is issued.
const triggerLifetime = 3 * time.Second

type trigger struct {
	issued time.Time
	user   string
	used   bool
}

// issueTriggerLocked returns a fresh trigger_id for user, as Slack puts in
// interaction payloads.
func (s *Server) issueTriggerLocked(user string) string {
	s.seq++
	id := fmt.Sprintf("%d.%d.fake%08x", s.now().Unix(), s.seq, s.seq*2654435761%(1<<32))
	s.triggers[id] = &trigger{issued: s.now(), user: user}
	return id
}

// useTriggerLocked exchanges a trigger_id, once, within its lifetime:
// exchanged_trigger_id on reuse, expired_trigger_id after 3 s.
func (s *Server) useTriggerLocked(id string) (*trigger, *apiError) {
	t, ok := s.triggers[id]
	switch {
	case !ok:
		// Slack answers an unknown or missing trigger_id this way.
		return nil, fail("invalid_arguments", "invalid `trigger_id`")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case s.now().Sub(t.issued) > triggerLifetime:
		return nil, fail("expired_trigger_id")
	}
	t.used = true
	return t, nil
}

// viewRequest is the JSON body of views.open, views.push, views.update and views.publish.
type viewRequest struct {
	TriggerID  string          `json:"trigger_id"`
	UserID     string          `json:"user_id"`
	ViewID     string          `json:"view_id"`
	ExternalID string          `json:"external_id"`
	Hash       string          `json:"hash"`
	View       json.RawMessage `json:"view"`
}

func parseViewRequest(c *call) (viewRequest, *apiError) {
	var req viewRequest
	if len(c.body) == 0 || json.Unmarshal(c.body, &req) != nil || len(req.View) == 0 || string(req.View) == "null" {
		return req, fail("invalid_arguments", "[ERROR] missing required field: view [json-pointer:/view]")
	}
	return req, nil
}

// viewFields are the parts of a view the fake keeps apart from its JSON.
type viewFields struct {
	Type            string          `json:"type"`
	CallbackID      string          `json:"callback_id"`
	PrivateMetadata string          `json:"private_metadata"`
	ExternalID      string          `json:"external_id"`
	Title           json.RawMessage `json:"title"`
	Submit          json.RawMessage `json:"submit"`
	Close           json.RawMessage `json:"close"`
	Blocks          json.RawMessage `json:"blocks"`
}

// validateView checks a view the way views.* do; Slack reports view problems
// as invalid_arguments with messages.
func validateView(raw json.RawMessage, wantType string) (viewFields, *apiError) {
	var f viewFields
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fail("invalid_arguments", "[ERROR] view must be an object [json-pointer:/view]")
	}
	if f.Type != wantType {
		return f, fail("invalid_arguments", fmt.Sprintf("[ERROR] type must be %q [json-pointer:/view/type]", wantType))
	}
	sf := surfaceModal
	if wantType == "home" {
		sf = surfaceHome
	}
	blocks := f.Blocks
	if len(blocks) == 0 || string(blocks) == "null" {
		blocks = json.RawMessage("[]")
	}
	_, problems, bad := validateBlocks(blocks, sf, maxViewBlocks)
	if bad {
		return f, fail("invalid_arguments", "[ERROR] blocks must be an array [json-pointer:/view/blocks]")
	}
	v := &blockValidator{surface: sf}
	for i, p := range problems {
		problems[i] = rebase(p, "/view")
	}
	v.errs = problems
	if wantType == "modal" {
		v.text("/view/title", decodeAny(f.Title), true, true, maxViewTitle)
		if len(f.Submit) > 0 {
			v.text("/view/submit", decodeAny(f.Submit), true, true, maxViewTitle)
		} else if hasInputBlock(blocks) {
			v.errorf("/view/submit", "submit is required when an input block is present")
		}
		if len(f.Close) > 0 {
			v.text("/view/close", decodeAny(f.Close), true, true, maxViewTitle)
		}
	}
	if utf8.RuneCountInString(f.CallbackID) > maxID {
		v.errorf("/view/callback_id", "must be less than %d characters", maxID+1)
	}
	if utf8.RuneCountInString(f.ExternalID) > maxID {
		v.errorf("/view/external_id", "must be less than %d characters", maxID+1)
	}
	if utf8.RuneCountInString(f.PrivateMetadata) > maxPrivateMetadata {
		v.errorf("/view/private_metadata", "must be less than %d characters", maxPrivateMetadata+1)
	}
	if len(v.errs) > 0 {
		return f, fail("invalid_arguments", v.errs...)
	}
	return f, nil
}

// rebase prefixes the json-pointer of a Slack problem message.
func rebase(problem, prefix string) string {
	const marker = "[json-pointer:"
	for i := 0; i+len(marker) <= len(problem); i++ {
		if problem[i:i+len(marker)] == marker {
			return problem[:i+len(marker)] + prefix + problem[i+len(marker):]
		}
	}
	return problem
}

func decodeAny(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "invalid"
	}
	return v
}

func hasInputBlock(raw json.RawMessage) bool {
	var blocks []struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &blocks)
	for _, b := range blocks {
		if b.Type == "input" {
			return true
		}
	}
	return false
}

func (s *Server) newHashLocked() string {
	s.seq++
	return fmt.Sprintf("%d.fake%08x", s.now().Unix(), s.seq)
}

// setViewLocked stores fields and JSON on v and gives it a new hash.
func (s *Server) setViewLocked(v *View, f viewFields, raw json.RawMessage) {
	v.Type, v.CallbackID, v.PrivateMetadata, v.ExternalID = f.Type, f.CallbackID, f.PrivateMetadata, f.ExternalID
	v.JSON = compactJSON(raw)
	v.Hash = s.newHashLocked()
}

// wireView is a view as views.* answers and view_submission payloads show it.
func (s *Server) wireView(v *View, state map[string]any) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(v.JSON, &out)
	if out == nil {
		out = map[string]any{}
	}
	if state == nil {
		state = map[string]any{"values": map[string]any{}}
	}
	for k, val := range map[string]any{
		"id": v.ID, "team_id": s.teamID, "type": v.Type, "callback_id": v.CallbackID,
		"private_metadata": v.PrivateMetadata, "external_id": v.ExternalID, "hash": v.Hash,
		"root_view_id": v.RootViewID, "previous_view_id": v.PreviousViewID, "app_id": AppID,
		"bot_id": BotID, "app_installed_team_id": s.teamID, "state": state,
	} {
		out[k] = val
	}
	if _, ok := out["blocks"]; !ok {
		out["blocks"] = []any{}
	}
	return out
}

func (s *Server) openModalLocked(user string, f viewFields, raw json.RawMessage, previous *View) *View {
	v := &View{ID: s.nextIDLocked("V"), UserID: user}
	s.setViewLocked(v, f, raw)
	v.RootViewID = v.ID
	if previous != nil {
		v.RootViewID, v.PreviousViewID = previous.RootViewID, previous.ID
	}
	s.views = append(s.views, v)
	cl := v.clone()
	s.publishLocked(Event{Kind: EventViewOpened, View: &cl})
	return v
}

// topModalLocked returns the user's open modal on top of its stack.
func (s *Server) topModalLocked(user string) *View {
	for i := len(s.views) - 1; i >= 0; i-- {
		if v := s.views[i]; v.Type == "modal" && v.UserID == user && !v.Closed {
			return v
		}
	}
	return nil
}

func (s *Server) findViewLocked(id string) *View {
	for _, v := range s.views {
		if v.ID == id {
			return v
		}
	}
	return nil
}

// modalRequestLocked parses a views.open or views.push request: its
// trigger_id, used up here, and its modal view, validated.
func (s *Server) modalRequestLocked(c *call) (viewRequest, *trigger, viewFields, *apiError) {
	req, err := parseViewRequest(c)
	if err != nil {
		return req, nil, viewFields{}, err
	}
	t, err := s.useTriggerLocked(req.TriggerID)
	if err != nil {
		return req, nil, viewFields{}, err
	}
	f, err := validateView(req.View, "modal")
	return req, t, f, err
}

// viewsOpen answers views.open.
func (s *Server) viewsOpen(c *call) (map[string]any, *apiError) {
	req, t, f, err := s.modalRequestLocked(c)
	if err != nil {
		return nil, err
	}
	v := s.openModalLocked(t.user, f, req.View, nil)
	return map[string]any{"view": s.wireView(v, nil)}, nil
}

// viewsPush answers views.push: a modal on top of the user's open one.
func (s *Server) viewsPush(c *call) (map[string]any, *apiError) {
	req, t, f, err := s.modalRequestLocked(c)
	if err != nil {
		return nil, err
	}
	top := s.topModalLocked(t.user)
	if top == nil {
		return nil, fail("not_found")
	}
	v := s.openModalLocked(t.user, f, req.View, top)
	return map[string]any{"view": s.wireView(v, nil)}, nil
}

// viewsUpdate answers views.update, by view_id or external_id, honouring hash.
func (s *Server) viewsUpdate(c *call) (map[string]any, *apiError) {
	req, err := parseViewRequest(c)
	if err != nil {
		return nil, err
	}
	var v *View
	for _, cand := range s.views {
		if (req.ViewID != "" && cand.ID == req.ViewID) || (req.ViewID == "" && req.ExternalID != "" && cand.ExternalID == req.ExternalID) {
			v = cand
		}
	}
	if req.ViewID == "" && req.ExternalID == "" {
		return nil, fail("invalid_arguments", "[ERROR] view_id or external_id is required [json-pointer:/view_id]")
	}
	if v == nil || v.Closed {
		return nil, fail("not_found")
	}
	if req.Hash != "" && req.Hash != v.Hash {
		return nil, fail("hash_conflict")
	}
	f, err := validateView(req.View, v.Type)
	if err != nil {
		return nil, err
	}
	s.setViewLocked(v, f, req.View)
	cl := v.clone()
	s.publishLocked(Event{Kind: EventViewUpdated, View: &cl})
	return map[string]any{"view": s.wireView(v, nil)}, nil
}

// viewsPublish answers views.publish: one App Home view per user.
func (s *Server) viewsPublish(c *call) (map[string]any, *apiError) {
	req, err := parseViewRequest(c)
	if err != nil {
		return nil, err
	}
	if _, ok := s.users[req.UserID]; !ok {
		return nil, fail("user_not_found")
	}
	f, err := validateView(req.View, "home")
	if err != nil {
		return nil, err
	}
	var v *View
	for _, cand := range s.views {
		if cand.Type == "home" && cand.UserID == req.UserID {
			v = cand
		}
	}
	if v != nil && req.Hash != "" && req.Hash != v.Hash {
		return nil, fail("hash_conflict")
	}
	if v == nil {
		v = &View{ID: s.nextIDLocked("V"), UserID: req.UserID}
		v.RootViewID = v.ID
		s.views = append(s.views, v)
	}
	s.setViewLocked(v, f, req.View)
	cl := v.clone()
	s.publishLocked(Event{Kind: EventViewPublished, View: &cl})
	return map[string]any{"view": s.wireView(v, nil)}, nil
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}
