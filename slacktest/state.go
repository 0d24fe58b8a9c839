package slacktest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// viewState builds view.state.values from the view's input blocks.
func viewState(view json.RawMessage, values map[string]map[string]string) (map[string]any, error) {
	var v struct {
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(view, &v); err != nil {
		return nil, fmt.Errorf("slacktest: stored view: %w", err)
	}
	state := map[string]any{}
	used := 0
	for _, b := range v.Blocks {
		blockID, _ := b["block_id"].(string)
		var els []map[string]any
		if el, ok := b["element"].(map[string]any); ok && b["type"] == "input" {
			els = append(els, el)
		}
		for _, el := range els {
			actionID, _ := el["action_id"].(string)
			if blockID == "" || actionID == "" {
				continue
			}
			val, given := values[blockID][actionID]
			if given {
				used++
			}
			entry, err := elementState(el, val, given)
			if err != nil {
				return nil, fmt.Errorf("slacktest: %s/%s: %w", blockID, actionID, err)
			}
			if state[blockID] == nil {
				state[blockID] = map[string]any{}
			}
			state[blockID].(map[string]any)[actionID] = entry
		}
	}
	n := 0
	for _, as := range values {
		n += len(as)
	}
	if used != n {
		return nil, fmt.Errorf("slacktest: values name inputs the view does not have (view has %v)", keys(state))
	}
	return state, nil
}

func keys(m map[string]any) []string {
	var out []string
	for b, as := range m {
		for a := range as.(map[string]any) {
			out = append(out, b+"/"+a)
		}
	}
	return out
}

// elementState is one input's entry in view.state.values.
func elementState(el map[string]any, val string, given bool) (map[string]any, error) {
	typ, _ := el["type"].(string)
	entry := map[string]any{"type": typ}
	option := func(v string) (any, error) {
		opts, _ := el["options"].([]any)
		if groups, ok := el["option_groups"].([]any); ok {
			for _, g := range groups {
				if gm, ok := g.(map[string]any); ok {
					more, _ := gm["options"].([]any)
					opts = append(opts, more...)
				}
			}
		}
		for _, o := range opts {
			if om, ok := o.(map[string]any); ok && om["value"] == v {
				return om, nil
			}
		}
		return nil, fmt.Errorf("no option with value %q", v)
	}
	switch typ {
	case "static_select", "radio_buttons", "external_select":
		entry["selected_option"] = nil
		if given {
			o, err := option(val)
			if err != nil && typ != "external_select" {
				return nil, err
			}
			if o == nil {
				o = map[string]any{"text": map[string]any{"type": "plain_text", "text": val}, "value": val}
			}
			entry["selected_option"] = o
		}
	case "multi_static_select", "checkboxes":
		selected := []any{}
		if given && val != "" {
			for _, v := range strings.Split(val, ",") {
				o, err := option(v)
				if err != nil {
					return nil, err
				}
				selected = append(selected, o)
			}
		}
		entry["selected_options"] = selected
	case "users_select":
		entry["selected_user"] = nullable(val, given)
	case "multi_users_select":
		entry["selected_users"] = splitList(val)
	case "conversations_select":
		entry["selected_conversation"] = nullable(val, given)
	case "channels_select":
		entry["selected_channel"] = nullable(val, given)
	case "datepicker":
		entry["selected_date"] = nullable(val, given)
	case "timepicker":
		entry["selected_time"] = nullable(val, given)
	case "datetimepicker":
		if n, err := strconv.ParseInt(val, 10, 64); given && err == nil {
			entry["selected_date_time"] = n
		} else {
			entry["selected_date_time"] = nil
		}
	default:
		entry["value"] = nullable(val, given)
	}
	return entry, nil
}

func nullable(v string, given bool) any {
	if !given {
		return nil
	}
	return v
}

func splitList(v string) []string {
	if v == "" {
		return []string{}
	}
	return strings.Split(v, ",")
}
