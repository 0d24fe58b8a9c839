package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/slack-go/slack"
)

func cardSubmittedRequest() RequestView {
	r := cardRequest()
	r.State = StateSubmitted
	r.Decisions = []DecisionView{{UserID: cardApprover, Approved: true, At: cardNow.Add(-time.Minute)}}
	r.ActionID = "b0ffba3a-8bb4-4a5a-8e4c-53b7d8d5b2b4"
	r.MDEStatus = defender.StatusPending
	return r
}

func TestSubmittedReplyNamesTheAction(t *testing.T) {
	checkGoldenMessage(t, RenderSubmitted(cardSubmittedRequest()))
}

func TestStatusReplyRendersEachTransition(t *testing.T) {
	for _, st := range []defender.ActionStatus{defender.StatusPending, defender.StatusInProgress, defender.StatusSucceeded,
		defender.StatusFailed, defender.StatusTimeOut, defender.StatusCancelled} {
		t.Run(string(st), func(t *testing.T) {
			r := cardSubmittedRequest()
			r.MDEStatus = st
			if st.Terminal() {
				r.Duration = 130 * time.Second
			}
			switch st {
			case defender.StatusFailed:
				r.StatusDetail = "The device <ws-fin-01> is offline & unreachable"
			case defender.StatusCancelled:
				r.ClosedBy, r.StatusDetail = cardApprover, "Cancelled from Slack"
			}
			checkGoldenMessage(t, RenderStatusReply(r))
		})
	}
}

func TestCancelReplyOffersCancelOnlyWhileTheActionRuns(t *testing.T) {
	for _, st := range []defender.ActionStatus{defender.StatusInProgress, defender.StatusSucceeded} {
		t.Run(string(st), func(t *testing.T) {
			r := cardSubmittedRequest()
			r.MDEStatus = st
			m := RenderCancelReply(r)
			checkGoldenMessage(t, m)
			cancel := cardButtons(m)[actionCancel]
			if running := !st.Terminal(); (cancel != nil) != running {
				t.Fatalf("cancel button %v while %s", cancel, st)
			}
			if cancel != nil && (cancel.Text.Text != "Cancel" || cancel.Confirm == nil || cancel.Value != r.ID) {
				t.Errorf("cancel button %+v", cancel)
			}
		})
	}
}

func TestPackageReadyOffersAButtonForAFinishedCollectionOnly(t *testing.T) {
	r := cardSubmittedRequest()
	r.Kind, r.Params = KindCollect, ParamsView{}
	r.State, r.MDEStatus = StateSucceeded, defender.StatusSucceeded
	m := RenderPackageReady(r)
	checkGoldenMessage(t, m)
	if b := cardButtons(m)[actionPackageLink]; b == nil || b.Text.Text != "Get download link" || b.Value != r.ID {
		t.Errorf("package button %+v", b)
	}
	r.MDEStatus = defender.StatusInProgress
	if b := cardButtons(RenderPackageReady(r)); len(b) != 0 {
		t.Errorf("buttons %v for a running collection", b)
	}
}

func TestDownloadLinkKeepsTheURLIntactAndWarns(t *testing.T) {
	m := RenderDownloadLink(cardSASURL)
	checkGoldenMessage(t, m)
	text := m.Blocks[0].(*slack.SectionBlock).Text.Text
	if !strings.Contains(text, "<"+cardSASURL+"|") {
		t.Errorf("the URL was altered: %s", text)
	}
	if strings.Contains(m.Text, "https://") {
		t.Errorf("the fallback text, shown in notifications, holds the URL: %q", m.Text)
	}
}

func TestDownloadLinkRefusesAURLThatCouldBreakOut(t *testing.T) {
	m := RenderDownloadLink("https://evil.example/x|<!channel>")
	checkGoldenMessage(t, m)
}

func TestThreadRepliesStayWithinLimitsWhateverTheInput(t *testing.T) {
	r := cardHostileRequest()
	r.Kind = KindCollect
	for _, st := range []defender.ActionStatus{defender.StatusPending, defender.StatusFailed, defender.StatusCancelled, defender.ActionStatus(cardHostile)} {
		r.MDEStatus = st
		for _, m := range []Message{RenderSubmitted(r), RenderStatusReply(r), RenderCancelReply(r), RenderPackageReady(r)} {
			checkLimits(t, m, cardUsers, nil)
		}
	}
	checkLimits(t, RenderDownloadLink("https://x.example/"+strings.Repeat("a", 5000)), nil, nil)
}

func ExampleRenderStatusReply() {
	r := RequestView{ActionID: "b0ffba3a", MDEStatus: defender.StatusFailed, Duration: 130 * time.Second,
		StatusDetail: "Device <ws-01> unreachable"}
	fmt.Println(RenderStatusReply(r).Text)
	// Output: :red_circle: Defender: Failed: Device &lt;ws-01&gt; unreachable (after 2m 10s)
}
