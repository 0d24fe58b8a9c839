package bot

import (
	"strings"
	"testing"
	"time"
)

func historyRows() []HistoryRow {
	return []HistoryRow{
		{When: testNow.Add(-time.Hour), Kind: KindIsolate, MachineName: "ws-fin-01.contoso.local", Requester: testRequester,
			Approvers: []string{testApprover}, State: StateSucceeded, MDEDuration: 130 * time.Second, Permalink: testPermalink},
		{When: testNow.Add(-2 * time.Hour), Kind: KindBlock, FileHash: strings.Repeat("a1", 32), Requester: testRequester,
			Denier: testApprover2, State: StateDenied},
		{When: testNow.Add(-3 * time.Hour), Kind: KindScan, MachineName: "srv-db-02", Requester: testApprover,
			State: StateExpired, Permalink: "http://not-https.example/x"},
	}
}

func TestHistoryListsRowsWithAMoreButton(t *testing.T) {
	m := RenderHistory(historyRows(), "cursor-3")
	checkGoldenMessage(t, m)
	if b := cardButtons(m)[actionHistoryMore]; b == nil || b.Value != "cursor-3" || b.Text.Text != "More" {
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
		rows[i] = HistoryRow{When: testNow, Kind: RequestKind(hostile), MachineName: hostile, Requester: "<!channel>",
			Approvers: []string{hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile},
			Denier:    hostile, State: RequestState(hostile), MDEDuration: time.Hour, Permalink: "https://x.example/" + hostile}
	}
	m := RenderHistory(rows, hostile)
	checkLimits(t, m, nil, nil)
	if cardButtons(m)[actionHistoryMore] == nil {
		t.Error("the More button was lost")
	}
}
