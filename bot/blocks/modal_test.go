package blocks

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
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

func TestReviewModalAsksForANoteToAcknowledgeAndOptionallyToFlag(t *testing.T) {
	r := cardRequest()
	r.BreakGlass = true
	for _, flag := range []bool{false, true} {
		v := RenderReviewModal(r, flag)
		checkViewLimits(t, v, cardUsers)
		in, ok := v.Blocks.BlockSet[len(v.Blocks.BlockSet)-1].(*slack.InputBlock)
		if !ok || in.Optional != flag || in.BlockID != BlockReviewNote {
			t.Errorf("flag %v: note block %+v", flag, v.Blocks.BlockSet[len(v.Blocks.BlockSet)-1])
		}
		gotFlag, id, ok := ParseReviewMetadata(v.PrivateMetadata)
		if v.CallbackID != CallbackReviewModal || !ok || gotFlag != flag || id != r.ID {
			t.Errorf("flag %v: callback %q metadata %q", flag, v.CallbackID, v.PrivateMetadata)
		}
	}
	checkGolden(t, RenderReviewModal(r, false))
	checkViewLimits(t, RenderReviewModal(cardHostileRequest(), true), cardUsers)
	if _, _, ok := ParseReviewMetadata("delete R-1"); ok {
		t.Error("ParseReviewMetadata accepted an unknown verb")
	}
}

func TestBreakGlassAlertCarriesTheReviewButtons(t *testing.T) {
	r := cardRequest()
	r.BreakGlass, r.State = true, approvals.StateSubmitted
	r.Review = &ReviewView{State: approvals.ReviewPending, Due: cardNow.Add(24 * time.Hour)}
	m := RenderBreakGlassAlert(r, cardPermalink)
	checkGoldenMessage(t, m)
	if !strings.HasPrefix(m.Text, "BREAK-GLASS: ") {
		t.Errorf("text %q", m.Text)
	}
	rem := RenderReviewReminder(r)
	checkLimits(t, rem, cardUsers, nil)
	r.Review.Overdue = true
	if rem := RenderReviewReminder(r); !strings.Contains(string(mustJSON(t, rem)), "overdue") {
		t.Errorf("overdue reminder does not say so")
	}
}
