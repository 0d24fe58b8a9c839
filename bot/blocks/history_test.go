package blocks

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

func cardHistoryRows() []HistoryRow {
	return []HistoryRow{
		{When: cardNow.Add(-time.Hour), Kind: approvals.KindIsolate, MachineName: "ws-fin-01.contoso.local", Requester: cardRequester,
			Approvers: []string{cardApprover}, State: approvals.StateSucceeded, MDEDuration: 130 * time.Second, Permalink: cardPermalink},
		{When: cardNow.Add(-2 * time.Hour), Kind: approvals.KindBlock, FileHash: strings.Repeat("a1", 32), Requester: cardRequester,
			Denier: cardApprover2, State: approvals.StateDenied},
		{When: cardNow.Add(-3 * time.Hour), Kind: approvals.KindScan, MachineName: "srv-db-02", Requester: cardApprover,
			State: approvals.StateExpired, Permalink: "http://not-https.example/x"},
	}
}

func TestHistoryListsRowsWithAMoreButton(t *testing.T) {
	m := RenderHistory(cardHistoryRows(), "cursor-3")
	checkGoldenMessage(t, m)
	if b := cardButtons(m)[ActionHistoryMore]; b == nil || b.Value != "cursor-3" || b.Text.Text != "More" {
		t.Errorf("more button %+v", b)
	}
}

func TestHistoryWithoutRowsSaysSo(t *testing.T) {
	m := RenderHistory(nil, "")
	checkGoldenMessage(t, m)
	if len(cardButtons(m)) != 0 {
		t.Error("a More button without a cursor")
	}
}

func TestHistoryStaysWithinLimitsWhateverTheInput(t *testing.T) {
	rows := make([]HistoryRow, 200)
	for i := range rows {
		rows[i] = HistoryRow{When: cardNow, Kind: approvals.Kind(cardHostile), MachineName: cardHostile, Requester: "<!channel>",
			Approvers: []string{cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile, cardHostile},
			Denier:    cardHostile, State: approvals.State(cardHostile), MDEDuration: time.Hour, Permalink: "https://x.example/" + cardHostile}
	}
	m := RenderHistory(rows, cardHostile)
	checkLimits(t, m, nil, nil)
	if cardButtons(m)[ActionHistoryMore] == nil {
		t.Error("the More button was lost")
	}
}

func TestAHistoryRowOfAFailedRequestCarriesDefendersText(t *testing.T) {
	row := HistoryRow{When: cardCreated, Kind: approvals.KindIsolate, MachineName: "ws-fin-01", Requester: cardRequester,
		State: approvals.StateFailed, Detail: "The device <ws-fin-01> is offline"}
	got := renderHistoryRow(row)
	if !strings.Contains(got, "failed: The device &lt;ws-fin-01&gt; is offline") {
		t.Errorf("history row = %q, want the outcome with Defender's text, escaped", got)
	}
}
func TestHistoryMarksBreakGlassAndAnOverdueReview(t *testing.T) {
	rows := []HistoryRow{
		{When: cardNow, Kind: approvals.KindIsolate, MachineName: "ws-0042", Requester: cardRequester, State: approvals.StateSucceeded,
			BreakGlass: true, Review: approvals.ReviewPending, ReviewOverdue: true},
		{When: cardNow, Kind: approvals.KindIsolate, MachineName: "ws-0043", Requester: cardRequester, State: approvals.StateSucceeded,
			BreakGlass: true, Review: approvals.ReviewAcknowledged},
	}
	m := RenderHistory(rows, "")
	checkLimits(t, m, cardUsers, nil)
	got := string(mustJSON(t, m))
	for _, want := range []string{"BREAK-GLASS, review pending :warning: *overdue*", "BREAK-GLASS, review acknowledged"} {
		if !strings.Contains(got, want) {
			t.Errorf("history lacks %q:\n%s", want, got)
		}
	}
}
