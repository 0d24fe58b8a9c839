package blocks

import (
	"testing"

	"github.com/slack-go/slack"
)

func TestDenyModalAsksForARequiredReason(t *testing.T) {
	v := RenderDenyModal(cardRequest())
	checkViewLimits(t, v, cardUsers)
	checkGolden(t, v)
	if v.CallbackID != CallbackDenyModal || v.PrivateMetadata != "req-7f3a" {
		t.Errorf("callback %q, metadata %q", v.CallbackID, v.PrivateMetadata)
	}
	if v.Title.Text != "Deny request" || v.Submit.Text != "Deny" || v.Close.Text != "Back" {
		t.Errorf("title %q submit %q close %q", v.Title.Text, v.Submit.Text, v.Close.Text)
	}
	in, ok := v.Blocks.BlockSet[len(v.Blocks.BlockSet)-1].(*slack.InputBlock)
	if !ok || in.Optional || in.BlockID != BlockDenyReason {
		t.Fatalf("reason block %+v", v.Blocks.BlockSet[len(v.Blocks.BlockSet)-1])
	}
	el, ok := in.Element.(*slack.PlainTextInputBlockElement)
	if !ok || !el.Multiline || el.MaxLength != 3000 || el.ActionID != ActionDenyReason {
		t.Errorf("reason input %+v", in.Element)
	}
}

func TestDenyModalStaysWithinLimitsWhateverTheInput(t *testing.T) {
	checkViewLimits(t, RenderDenyModal(cardHostileRequest()), cardUsers)
}
