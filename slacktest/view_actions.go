package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
)

// ClickViewButton sends a block_actions envelope as if userID clicked the
// button with actionID in view viewID (an App Home tab or an open modal of
// userID). As Slack does for views, the payload has a container of type
// "view", the view itself, and neither a channel nor a response_url. An
// empty value sends the button's own value. When several buttons share
// actionID, the one in block blockID is clicked ("" takes the first).
func (s *Server) ClickViewButton(ctx context.Context, userID, viewID, blockID, actionID, value string) (Envelope, error) {
	return s.viewAction(ctx, userID, viewID, func(blocks json.RawMessage) (map[string]any, error) {
		bid, button, ok := findElement(blocks, blockID, actionID, "button")
		if !ok {
			return nil, fmt.Errorf("%w: %q in view %s", ErrNoSuchButton, actionID, viewID)
		}
		if value == "" {
			value, _ = button["value"].(string)
		}
		return map[string]any{"action_id": actionID, "block_id": bid, "text": button["text"], "value": value, "type": "button"}, nil
	})
}

// SelectViewOption sends a block_actions envelope as if userID picked the
// option with value in the static_select actionID of view viewID. It fails
// if the select or the option does not exist.
func (s *Server) SelectViewOption(ctx context.Context, userID, viewID, actionID, value string) (Envelope, error) {
	return s.viewAction(ctx, userID, viewID, func(blocks json.RawMessage) (map[string]any, error) {
		bid, sel, ok := findElement(blocks, "", actionID, "static_select")
		if !ok {
			return nil, fmt.Errorf("slacktest: no static_select %q in view %s", actionID, viewID)
		}
		options, _ := sel["options"].([]any)
		for _, o := range options {
			opt, _ := o.(map[string]any)
			if opt != nil && opt["value"] == value {
				return map[string]any{"action_id": actionID, "block_id": bid, "type": "static_select", "selected_option": opt}, nil
			}
		}
		return nil, fmt.Errorf("slacktest: static_select %q has no option %q", actionID, value)
	})
}

// viewAction sends the block_actions envelope of one action in a view.
func (s *Server) viewAction(ctx context.Context, userID, viewID string, action func(json.RawMessage) (map[string]any, error)) (Envelope, error) {
	s.mu.Lock()
	u, err := s.userLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	v := s.findViewLocked(viewID)
	if v == nil || v.Closed || v.UserID != userID {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("slacktest: no view %q of user %s", viewID, userID)
	}
	var fields struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(v.JSON, &fields)
	a, err := action(fields.Blocks)
	if err != nil {
		s.mu.Unlock()
		return Envelope{}, err
	}
	a["action_ts"] = s.nextActionTSLocked()
	env := s.newEnvelopeLocked("block_actions", userID, "")
	env.viewID = v.ID
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  s.wireUserRef(u),
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"container":             map[string]any{"type": "view", "view_id": v.ID},
		"trigger_id":            s.issueTriggerLocked(userID),
		"team":                  s.wireTeam(u),
		"enterprise":            s.wireEnterprise(u),
		"is_enterprise_install": false,
		"view":                  s.wireView(v, nil),
		"actions":               []any{a},
	}
	s.mu.Unlock()
	return s.sendEnvelope(ctx, env, map[string]any{
		"envelope_id": env.id, "type": "interactive", "accepts_response_payload": false, "payload": payload,
	})
}

// findElement returns the block_id and JSON of the element of type typ
// with actionID, in an actions block or a section accessory of a message or
// a view; blockID, when set, picks the block.
func findElement(blocks json.RawMessage, blockID, actionID, typ string) (string, map[string]any, bool) {
	var parsed []map[string]any
	if json.Unmarshal(blocks, &parsed) != nil {
		return "", nil, false
	}
	for _, b := range parsed {
		bid, _ := b["block_id"].(string)
		if blockID != "" && bid != blockID {
			continue
		}
		var candidates []any
		if els, ok := b["elements"].([]any); ok && b["type"] == "actions" {
			candidates = els
		}
		if acc, ok := b["accessory"]; ok {
			candidates = append(candidates, acc)
		}
		for _, c := range candidates {
			el, _ := c.(map[string]any)
			if el != nil && el["type"] == typ && el["action_id"] == actionID {
				return bid, el, true
			}
		}
	}
	return "", nil, false
}
