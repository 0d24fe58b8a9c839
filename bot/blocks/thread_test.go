package blocks

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
	"github.com/slack-go/slack"
)

func cardSubmittedRequest() RequestView {
	r := cardRequest()
	r.State = approvals.StateSubmitted
	r.Decisions = []DecisionView{{UserID: cardApprover, Approved: true, At: cardNow.Add(-time.Minute)}}
	r.ActionID = "b0ffba3a-8bb4-4a5a-8e4c-53b7d8d5b2b4"
	r.MDEStatus = mde.StatusPending
	return r
}

func TestSubmittedReplyNamesTheAction(t *testing.T) {
	checkGoldenMessage(t, RenderSubmitted(cardSubmittedRequest()))
}

func TestStatusReplyRendersEachTransition(t *testing.T) {
	for _, st := range []mde.ActionStatus{mde.StatusPending, mde.StatusInProgress, mde.StatusSucceeded,
		mde.StatusFailed, mde.StatusTimeOut, mde.StatusCancelled} {
		t.Run(string(st), func(t *testing.T) {
			r := cardSubmittedRequest()
			r.MDEStatus = st
			if st.Terminal() {
				r.Duration = 130 * time.Second
			}
			switch st {
			case mde.StatusFailed:
				r.StatusDetail = "The device <ws-fin-01> is offline & unreachable"
			case mde.StatusCancelled:
				r.ClosedBy, r.StatusDetail = cardApprover, "Cancelled from Slack"
			}
			checkGoldenMessage(t, RenderStatusReply(r))
		})
	}
}

func TestCancelReplyOffersCancelOnlyWhileTheActionRuns(t *testing.T) {
	for _, st := range []mde.ActionStatus{mde.StatusInProgress, mde.StatusSucceeded} {
		t.Run(string(st), func(t *testing.T) {
			r := cardSubmittedRequest()
			r.MDEStatus = st
			m := RenderCancelReply(r)
			checkGoldenMessage(t, m)
			cancel := cardButtons(m)[ActionCancel]
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
	r.Kind, r.Params = approvals.KindCollect, ParamsView{}
	r.State, r.MDEStatus = approvals.StateSucceeded, mde.StatusSucceeded
	m := RenderPackageReady(r)
	checkGoldenMessage(t, m)
	if b := cardButtons(m)[ActionPackageLink]; b == nil || b.Text.Text != "Get download link" || b.Value != r.ID {
		t.Errorf("package button %+v", b)
	}
	r.MDEStatus = mde.StatusInProgress
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
	r.Kind = approvals.KindCollect
	for _, st := range []mde.ActionStatus{mde.StatusPending, mde.StatusFailed, mde.StatusCancelled, mde.ActionStatus(cardHostile)} {
		r.MDEStatus = st
		for _, m := range []Message{RenderSubmitted(r), RenderStatusReply(r), RenderCancelReply(r), RenderPackageReady(r)} {
			checkLimits(t, m, cardUsers, nil)
		}
	}
	checkLimits(t, RenderDownloadLink("https://x.example/"+strings.Repeat("a", 5000)), nil, nil)
}

func ExampleRenderStatusReply() {
	r := RequestView{ActionID: "b0ffba3a", MDEStatus: mde.StatusFailed, Duration: 130 * time.Second,
		StatusDetail: "Device <ws-01> unreachable"}
	fmt.Println(RenderStatusReply(r).Text)
	// Output: :red_circle: Defender: Failed: Device &lt;ws-01&gt; unreachable (after 2m 10s)
}

func TestForeignActionReplySaysItWasNotSentAndWhoseActionRuns(t *testing.T) {
	r := cardRequest()
	r.State = approvals.StateFailed
	m := RenderForeignAction(r, ActionView{ID: "7c3f1a2b-0000-4000-8000-000000000001", Type: mde.ActionIsolate,
		Status: mde.StatusPending, Requestor: "sec-ops@contoso <!channel>"})
	checkGoldenMessage(t, m)
	if !strings.Contains(m.Text, "Not sent") || !strings.Contains(m.Text, "Isolate") || !strings.Contains(m.Text, "Pending") ||
		strings.Contains(m.Text, "<!channel>") {
		t.Errorf("reply = %q, want not sent, the type and status, and the requestor escaped", m.Text)
	}
}
