package slacktest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Slack's Block Kit limits the fake enforces.
const (
	maxMessageBlocks    = 50
	maxViewBlocks       = 100
	maxMessageText      = 40000
	maxSectionText      = 3000
	maxSectionFields    = 10
	maxFieldText        = 2000
	maxHeaderText       = 150
	maxButtonText       = 75
	maxButtonValue      = 2000
	maxURL              = 3000
	maxID               = 255
	maxActionsElements  = 25
	maxContextElements  = 10
	maxLabel            = 2000
	maxPlaceholder      = 150
	maxOptionText       = 75
	maxOptionValue      = 150
	maxViewTitle        = 24
	maxPrivateMetadata  = 3000
	maxMarkdownBlockLen = 12000
)

// surface is where blocks are rendered; it decides which block types are allowed.
type surface string

const (
	surfaceMessage surface = "message"
	surfaceModal   surface = "modal"
	surfaceHome    surface = "home"
)

var blockTypes = map[string]map[surface]bool{
	"actions":   {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"context":   {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"divider":   {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"file":      {surfaceMessage: true},
	"header":    {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"image":     {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"input":     {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"markdown":  {surfaceMessage: true},
	"rich_text": {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"section":   {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
	"table":     {surfaceMessage: true},
	"video":     {surfaceMessage: true, surfaceModal: true, surfaceHome: true},
}

// Element kinds: where an element may appear.
var (
	actionElements = setOf("button", "static_select", "external_select", "users_select", "conversations_select",
		"channels_select", "multi_static_select", "multi_external_select", "multi_users_select",
		"multi_conversations_select", "multi_channels_select", "overflow", "datepicker", "timepicker",
		"datetimepicker", "checkboxes", "radio_buttons", "rich_text_input", "workflow_button")
	accessoryElements = setOf("button", "static_select", "external_select", "users_select", "conversations_select",
		"channels_select", "multi_static_select", "multi_external_select", "multi_users_select",
		"multi_conversations_select", "multi_channels_select", "overflow", "datepicker", "timepicker",
		"checkboxes", "radio_buttons", "image", "workflow_button")
	inputElements = setOf("plain_text_input", "email_text_input", "url_text_input", "number_text_input",
		"rich_text_input", "static_select", "external_select", "users_select", "conversations_select",
		"channels_select", "multi_static_select", "multi_external_select", "multi_users_select",
		"multi_conversations_select", "multi_channels_select", "datepicker", "timepicker", "datetimepicker",
		"checkboxes", "radio_buttons", "file_input")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// blockValidator checks a list of blocks the way Slack does, collecting
// Slack-style messages ("[ERROR] … [json-pointer:/blocks/0/text]").
type blockValidator struct {
	surface   surface
	errs      []string
	blockIDs  map[string]bool
	actionIDs map[string]bool
	inputs    int
}

// validateBlocks parses and checks raw blocks for a surface. It returns
// the decoded blocks, Slack-style problem messages, and whether raw was not
// a JSON array of objects at all (Slack's invalid_blocks_format).
func validateBlocks(raw json.RawMessage, sf surface, maxBlocks int) (blocks []map[string]any, problems []string, badFormat bool) {
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, nil, true
	}
	v := &blockValidator{surface: sf, blockIDs: map[string]bool{}, actionIDs: map[string]bool{}}
	if len(blocks) > maxBlocks {
		v.errorf("/blocks", "no more than %d items allowed", maxBlocks)
	}
	for i, b := range blocks {
		v.block(fmt.Sprintf("/blocks/%d", i), b)
	}
	return blocks, v.errs, false
}

func (v *blockValidator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, path)...))
}

func (v *blockValidator) block(path string, b map[string]any) {
	if b == nil {
		v.errorf(path, "must be an object")
		return
	}
	typ, _ := b["type"].(string)
	allowed, known := blockTypes[typ]
	switch {
	case !known:
		v.errorf(path+"/type", "unsupported type: %s", strconv.Quote(typ))
		return
	case !allowed[v.surface]:
		v.errorf(path+"/type", "type %s is not allowed in a %s", strconv.Quote(typ), v.surface)
		return
	}
	if id, ok := b["block_id"]; ok {
		v.uniqueID(path+"/block_id", id, v.blockIDs, "block_id")
	}
	switch typ {
	case "section":
		v.section(path, b)
	case "header":
		v.text(path+"/text", b["text"], true, true, maxHeaderText)
	case "divider":
	case "actions":
		v.elements(path+"/elements", b["elements"], 1, maxActionsElements, actionElements)
	case "context":
		els, ok := b["elements"].([]any)
		if !ok || len(els) == 0 || len(els) > maxContextElements {
			v.errorf(path+"/elements", "must provide between 1 and %d items", maxContextElements)
			return
		}
		for i, e := range els {
			p := fmt.Sprintf("%s/elements/%d", path, i)
			if m, _ := e.(map[string]any); m != nil && m["type"] == "image" {
				v.element(p, m, setOf("image"))
				continue
			}
			v.text(p, e, true, false, maxSectionText)
		}
	case "input":
		v.inputs++
		v.text(path+"/label", b["label"], true, true, maxLabel)
		if h, ok := b["hint"]; ok {
			v.text(path+"/hint", h, true, true, maxLabel)
		}
		el, _ := b["element"].(map[string]any)
		if el == nil {
			v.errorf(path+"/element", "missing required field: element")
			return
		}
		v.element(path+"/element", el, inputElements)
	case "image":
		v.image(path, b)
		if t, ok := b["title"]; ok {
			v.text(path+"/title", t, true, true, maxLabel)
		}
	case "markdown":
		t, _ := b["text"].(string)
		if t == "" || utf8.RuneCountInString(t) > maxMarkdownBlockLen {
			v.errorf(path+"/text", "must be between 1 and %d characters", maxMarkdownBlockLen)
		}
	case "rich_text":
		if els, ok := b["elements"].([]any); !ok || len(els) == 0 {
			v.errorf(path+"/elements", "missing required field: elements")
		}
	case "file":
		if s, _ := b["external_id"].(string); s == "" {
			v.errorf(path+"/external_id", "missing required field: external_id")
		}
	case "video":
		for _, f := range []string{"video_url", "thumbnail_url", "alt_text"} {
			if s, _ := b[f].(string); s == "" {
				v.errorf(path+"/"+f, "missing required field: %s", f)
			}
		}
		v.text(path+"/title", b["title"], true, true, 200)
	case "table":
		if rows, ok := b["rows"].([]any); !ok || len(rows) == 0 {
			v.errorf(path+"/rows", "missing required field: rows")
		}
	}
}

func (v *blockValidator) section(path string, b map[string]any) {
	text, hasText := b["text"]
	fields, hasFields := b["fields"]
	if !hasText && !hasFields {
		v.errorf(path, "must provide either text or fields")
	}
	if hasText {
		v.text(path+"/text", text, true, false, maxSectionText)
	}
	if hasFields {
		fs, ok := fields.([]any)
		if !ok || len(fs) == 0 || len(fs) > maxSectionFields {
			v.errorf(path+"/fields", "must provide between 1 and %d items", maxSectionFields)
		}
		for i, f := range fs {
			v.text(fmt.Sprintf("%s/fields/%d", path, i), f, true, false, maxFieldText)
		}
	}
	if acc, ok := b["accessory"]; ok {
		m, _ := acc.(map[string]any)
		if m == nil {
			v.errorf(path+"/accessory", "must be an object")
			return
		}
		v.element(path+"/accessory", m, accessoryElements)
	}
}

// text checks a composition text object. plainOnly demands plain_text.
func (v *blockValidator) text(path string, t any, required, plainOnly bool, maxLen int) {
	if t == nil {
		if required {
			v.errorf(path, "missing required field: text object")
		}
		return
	}
	m, _ := t.(map[string]any)
	if m == nil {
		v.errorf(path, "must be a text object")
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ == "plain_text":
		if _, ok := m["verbatim"]; ok {
			v.errorf(path+"/verbatim", "verbatim is only allowed on mrkdwn text")
		}
	case typ == "mrkdwn" && plainOnly:
		v.errorf(path+"/type", "must be plain_text, not mrkdwn")
	case typ == "mrkdwn":
		if _, ok := m["emoji"]; ok {
			v.errorf(path+"/emoji", "emoji is only allowed on plain_text")
		}
	default:
		v.errorf(path+"/type", "unsupported text type: %s", strconv.Quote(typ))
	}
	s, ok := m["text"].(string)
	n := utf8.RuneCountInString(s)
	switch {
	case !ok || n == 0:
		v.errorf(path+"/text", "must be more than 0 characters")
	case n > maxLen:
		v.errorf(path+"/text", "must be less than %d characters", maxLen+1)
	}
}

func (v *blockValidator) elements(path string, raw any, minN, maxN int, allowed map[string]bool) {
	els, ok := raw.([]any)
	if !ok || len(els) < minN || len(els) > maxN {
		v.errorf(path, "must provide between %d and %d items", minN, maxN)
		return
	}
	for i, e := range els {
		p := fmt.Sprintf("%s/%d", path, i)
		m, _ := e.(map[string]any)
		if m == nil {
			v.errorf(p, "must be an object")
			continue
		}
		v.element(p, m, allowed)
	}
}

func (v *blockValidator) element(path string, el map[string]any, allowed map[string]bool) {
	typ, _ := el["type"].(string)
	if !allowed[typ] {
		v.errorf(path+"/type", "unsupported type: %s", strconv.Quote(typ))
		return
	}
	if typ == "image" {
		v.image(path, el)
		return
	}
	id, hasID := el["action_id"]
	if hasID {
		v.uniqueID(path+"/action_id", id, v.actionIDs, "action_id")
	}
	if ph, ok := el["placeholder"]; ok {
		v.text(path+"/placeholder", ph, true, true, maxPlaceholder)
	}
	if c, ok := el["confirm"]; ok {
		v.confirm(path+"/confirm", c)
	}
	switch typ {
	case "button":
		if !hasID {
			v.errorf(path+"/action_id", "missing required field: action_id")
		}
		v.text(path+"/text", el["text"], true, true, maxButtonText)
		v.maxString(path, el, "value", maxButtonValue)
		v.maxString(path, el, "url", maxURL)
		if st, ok := el["style"]; ok && st != "primary" && st != "danger" {
			v.errorf(path+"/style", "must be one of primary, danger")
		}
	case "static_select", "multi_static_select":
		_, groups := el["option_groups"]
		if !groups {
			v.options(path+"/options", el["options"], 1, 100, true)
		}
	case "overflow":
		v.options(path+"/options", el["options"], 1, 5, true)
	case "radio_buttons", "checkboxes":
		v.options(path+"/options", el["options"], 1, 10, false)
	case "plain_text_input":
		for _, f := range []string{"min_length", "max_length"} {
			if n, ok := el[f].(float64); ok && (n < 0 || n > 3000) {
				v.errorf(path+"/"+f, "must be between 0 and 3000")
			}
		}
	}
}

func (v *blockValidator) options(path string, raw any, minN, maxN int, plainOnly bool) {
	opts, ok := raw.([]any)
	if !ok || len(opts) < minN || len(opts) > maxN {
		v.errorf(path, "must provide between %d and %d items", minN, maxN)
		return
	}
	for i, o := range opts {
		p := fmt.Sprintf("%s/%d", path, i)
		m, _ := o.(map[string]any)
		if m == nil {
			v.errorf(p, "must be an object")
			continue
		}
		v.text(p+"/text", m["text"], true, plainOnly, maxOptionText)
		if s, _ := m["value"].(string); s == "" || utf8.RuneCountInString(s) > maxOptionValue {
			v.errorf(p+"/value", "must be between 1 and %d characters", maxOptionValue)
		}
	}
}

func (v *blockValidator) confirm(path string, raw any) {
	m, _ := raw.(map[string]any)
	if m == nil {
		v.errorf(path, "must be an object")
		return
	}
	v.text(path+"/title", m["title"], true, true, 100)
	v.text(path+"/text", m["text"], true, false, 300)
	v.text(path+"/confirm", m["confirm"], true, true, 30)
	v.text(path+"/deny", m["deny"], true, true, 30)
}

func (v *blockValidator) image(path string, m map[string]any) {
	_, hasURL := m["image_url"]
	_, hasFile := m["slack_file"]
	if !hasURL && !hasFile {
		v.errorf(path, "must provide either image_url or slack_file")
	}
	v.maxString(path, m, "image_url", maxURL)
	if s, _ := m["alt_text"].(string); s == "" || utf8.RuneCountInString(s) > maxLabel {
		v.errorf(path+"/alt_text", "must be between 1 and %d characters", maxLabel)
	}
}

func (v *blockValidator) maxString(path string, m map[string]any, field string, maxLen int) {
	raw, ok := m[field]
	if !ok {
		return
	}
	s, isString := raw.(string)
	if !isString {
		v.errorf(path+"/"+field, "must be a string")
		return
	}
	if utf8.RuneCountInString(s) > maxLen {
		v.errorf(path+"/"+field, "must be less than %d characters", maxLen+1)
	}
}

func (v *blockValidator) uniqueID(path string, raw any, seen map[string]bool, what string) {
	id, ok := raw.(string)
	switch {
	case !ok || id == "":
		v.errorf(path, "%s must be a non-empty string", what)
	case utf8.RuneCountInString(id) > maxID:
		v.errorf(path, "must be less than %d characters", maxID+1)
	case seen[id]:
		v.errorf(path, "%s %s is not unique", what, strconv.Quote(id))
	default:
		seen[id] = true
	}
}
