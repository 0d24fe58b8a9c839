package bot

import (
	"fmt"
	"testing"
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
