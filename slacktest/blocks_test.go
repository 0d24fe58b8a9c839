package slacktest

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

func TestRealisticBlocksBuiltWithSlackGoAreValid(t *testing.T) {
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
	}
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	approve := slack.NewButtonBlockElement("approve", "req-1", plain("Approve"))
	approve.Style = slack.StylePrimary
	approve.Confirm = slack.NewConfirmationBlockObject(plain("Sure?"), md("Isolate *host-1*?"), plain("Yes"), plain("No"))
	reject := slack.NewButtonBlockElement("reject", "req-1", plain("Reject"))
	reject.Style = slack.StyleDanger
	overflow := slack.NewOverflowBlockElement("more",
		slack.NewOptionBlockObject("details", plain("Details"), nil), slack.NewOptionBlockObject("cancel", plain("Cancel"), nil))
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick"), "pick",
		slack.NewOptionBlockObject("a", plain("A"), nil), slack.NewOptionBlockObject("b", plain("B"), nil))
	message := []slack.Block{
		slack.NewHeaderBlock(plain("Isolation request")),
		slack.NewSectionBlock(md("*Machine* `host-1`"), []*slack.TextBlockObject{md("*Requester*\n<@U1>"), md("*Reason*\nransomware")},
			slack.NewAccessory(slack.NewButtonBlockElement("open", "x", plain("Open")))),
		slack.NewContextBlock("ctx", md("requested 5 min ago"), slack.NewImageBlockElement("https://example.com/i.png", "icon")),
		slack.NewDividerBlock(),
		slack.NewActionBlock("decision", approve, reject, overflow, sel, slack.NewDatePickerBlockElement("when")),
		slack.NewImageBlock("https://example.com/graph.png", "graph", "img", plain("Graph")),
		slack.NewRichTextBlock("rt", slack.NewRichTextSection(slack.NewRichTextSectionTextElement("hello", nil))),
	}
	if _, problems, bad := validateBlocks(mustJSON(t, message), surfaceMessage, maxMessageBlocks); bad || len(problems) > 0 {
		t.Errorf("message blocks rejected: bad=%v %q", bad, problems)
	}

	reason := slack.NewPlainTextInputBlockElement(plain("Why?"), "reason")
	reason.Multiline = true
	reason.MaxLength = 500
	radio := slack.NewRadioButtonsBlockElement("kind",
		slack.NewOptionBlockObject("full", md("*Full*"), plain("Cuts everything")),
		slack.NewOptionBlockObject("selective", md("*Selective*"), nil))
	checks := slack.NewCheckboxGroupsBlockElement("flags", slack.NewOptionBlockObject("notify", md("Notify owner"), nil))
	users := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Approver"), "approver")
	reasonBlock := slack.NewInputBlock("reason_block", plain("Reason"), plain("Shown in the audit log"), reason)
	optional := slack.NewInputBlock("approver_block", plain("Approver"), nil, users)
	optional.Optional = true
	modal := slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Isolate"), Submit: plain("Request"), Close: plain("Cancel"),
		CallbackID: "isolate", PrivateMetadata: `{"machine":"host-1"}`,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(md("Isolating *host-1*"), nil, nil),
			reasonBlock,
			slack.NewInputBlock("kind_block", plain("Kind"), nil, radio),
			slack.NewInputBlock("flags_block", plain("Flags"), nil, checks),
			optional,
		}},
	}
	if _, err := validateView(mustJSON(t, modal), "modal"); err != nil {
		t.Errorf("modal rejected: %v %q", err, err.messages)
	}
}

func FuzzValidateBlocksNeverPanics(f *testing.F) {
	f.Add(`[{"type":"section","text":{"type":"mrkdwn","text":"x"}}]`)
	f.Add(`[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"ok"}}]}]`)
	f.Add(`[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"static_select","action_id":"s","options":[{"text":{"type":"plain_text","text":"o"},"value":"v"}]}}]`)
	f.Add(`[{"type":"context","elements":[null,1,"x",{"type":"image"}]}]`)
	f.Add(`[null]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, raw string) {
		parsed, problems, bad := validateBlocks(json.RawMessage(raw), surfaceMessage, maxMessageBlocks)
		if bad || len(problems) > 0 || len(parsed) == 0 {
			return
		}
		if !json.Valid(storedBlocks(json.RawMessage(raw), parsed)) {
			t.Errorf("stored blocks of valid input %q are not JSON", raw)
		}
	})
}
