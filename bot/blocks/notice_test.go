package blocks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/bot/command"
	"github.com/slack-go/slack"
)

func TestRefusalsSayWhy(t *testing.T) {
	for _, why := range []Refusal{RefuseSelfApproval, RefuseNotApprover, RefuseAlreadyDecided, RefuseExpired,
		RefuseWithdrawn, RefuseNotRequester, RefuseChanged} {
		t.Run(string(why), func(t *testing.T) {
			checkGoldenMessage(t, RenderRefusal(why))
		})
	}
}

func TestUsageErrorShowsTheUsageAsCode(t *testing.T) {
	checkGoldenMessage(t, RenderUsageError(`unknown isolation type "partial"`, "/mde isolate <machine> [full|selective] <reason>"))
}

func TestInternalErrorGivesAReference(t *testing.T) {
	checkGoldenMessage(t, RenderInternalError("01JD3Z8K4M"))
}

func TestNoticesStayWithinLimitsWhateverTheInput(t *testing.T) {
	for _, m := range []Message{
		RenderRefusal(Refusal(cardHostile)),
		RenderUsageError(cardHostile, cardHostile),
		RenderInternalError(cardHostile),
	} {
		checkLimits(t, m, nil, nil)
	}
}

func ExampleRenderRefusal() {
	fmt.Println(RenderRefusal(RefuseSelfApproval).Text)
	// Output: :no_entry_sign: You cannot approve your own request.
}

func ExampleRenderUsageError() {
	fmt.Println(RenderUsageError("missing reason", "/mde scan <machine> [quick|full] <reason>").Text)
	// Output:
	// :warning: missing reason
	// Usage: `/mde scan &lt;machine&gt; [quick|full] &lt;reason&gt;`
}

func TestAlreadyApprovedCountsTheApproversStillNeeded(t *testing.T) {
	for missing, want := range map[int]string{1: "it needs one more approver.", 3: "it needs 3 more approvers."} {
		if got := RenderAlreadyApproved(missing).Text; !strings.Contains(got, "You have already approved this") || !strings.Contains(got, want) {
			t.Errorf("RenderAlreadyApproved(%d) = %q, want %q", missing, got, want)
		}
	}
}

func TestHelpIsRenderedWholeWithinSlacksSectionLimit(t *testing.T) {
	for name, text := range map[string]string{
		"the help":                       command.HelpText(),
		"help that escaping lengthens":   strings.Repeat("a <b> & c — ", 700) + "\nlast line",
		"a line longer than one section": strings.Repeat("word ", 1000) + "end",
	} {
		t.Run(name, func(t *testing.T) {
			m := RenderHelp(text)
			var got []string
			for _, b := range m.Blocks {
				sec, ok := b.(*slack.SectionBlock)
				if !ok || sec.Text == nil {
					t.Fatalf("block %T is not a text section", b)
				}
				if n := textLen(sec.Text.Text); n > MaxSectionText {
					t.Errorf("a section of %d characters exceeds %d", n, MaxSectionText)
				}
				if strings.HasSuffix(sec.Text.Text, ellipsis) {
					t.Errorf("a section was truncated: …%s", sec.Text.Text[len(sec.Text.Text)-40:])
				}
				got = append(got, sec.Text.Text)
			}
			if len(m.Blocks) > MaxBlocksPerMessage {
				t.Errorf("%d blocks, more than %d", len(m.Blocks), MaxBlocksPerMessage)
			}
			// Every word of the text is shown, in order.
			want := strings.Fields(EscapeText(text))
			if shown := strings.Fields(strings.Join(got, "\n")); !slices.Equal(shown, want) {
				t.Errorf("the sections show %d words, want all %d in order", len(shown), len(want))
			}
		})
	}
}
