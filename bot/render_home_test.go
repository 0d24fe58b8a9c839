package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// homeMessage is a home view as a Message, for checkLimits, without the
// filters block (static selects of constant text, which checkLimits does
// not know).
func homeMessage(v slack.HomeTabViewRequest) Message {
	var blocks []slack.Block
	for _, b := range v.Blocks.BlockSet {
		if a, ok := b.(*slack.ActionBlock); ok && a.BlockID == blockHomeFilters {
			continue
		}
		blocks = append(blocks, b)
	}
	return newMessage("home", blocks...)
}

func TestRenderHomeShowsWhatAwaitsTheViewer(t *testing.T) {
	r := cardRequest()
	v := HomeView{Viewer: cardApprover, ApproverFor: true, CanHistory: true,
		Pending: []RequestView{r}, PendingTotal: 1,
		Own: []HistoryRow{{When: cardCreated, Kind: KindScan, MachineName: "ws-fin-01", Requester: cardApprover, State: StateAwaitingApproval}}, OwnTotal: 1,
		History: []HistoryRow{{When: cardCreated, Kind: KindIsolate, MachineName: "ws-fin-01", Requester: cardRequester,
			Approvers: []string{cardApprover}, State: StateSucceeded, MDEDuration: 90e9, Permalink: cardPermalink}},
		Filter: HomeFilter{Kind: VerbIsolate, Outcome: OutcomeSucceeded}}
	view := RenderHome(v)
	checkLimits(t, homeMessage(view), cardUsers, []string{cardPermalink})
	checkGolden(t, view)
}

func TestRenderHomeStaysUnderOneHundredBlocksWithHostileData(t *testing.T) {
	v := HomeView{Viewer: cardApprover, ApproverFor: true, CanHistory: true, Notice: escapeText(cardHostile[:200])}
	for i := range 200 {
		r := cardHostileRequest()
		r.Machine = cardHostileMachine(i)
		v.Pending = append(v.Pending, r)
		row := HistoryRow{When: cardCreated, Kind: KindIsolate, MachineName: cardHostile[:300], Requester: cardRequester, State: StateFailed}
		v.Own, v.InFlight, v.History = append(v.Own, row), append(v.InFlight, row), append(v.History, row)
	}
	v.PendingTotal, v.OwnTotal, v.InFlightTotal = 200, 200, 200
	view := RenderHome(v)
	if n := len(view.Blocks.BlockSet); n > 100 {
		t.Fatalf("%d blocks, Slack allows 100", n)
	}
	checkLimits(t, homeMessage(view), cardUsers, nil)
	raw, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "185 more not shown") || !strings.Contains(string(raw), "190 more not shown") {
		t.Errorf("the home does not say how many it left out")
	}
}

func TestAHomeFilterSurvivesItsPrivateMetadata(t *testing.T) {
	for _, f := range []HomeFilter{{}, {Kind: VerbScan}, {Outcome: OutcomeTimedOut}, {Kind: VerbUnisolate, Outcome: OutcomePending}} {
		if got := parseHomeFilter(f.encode()); got != f {
			t.Errorf("parseHomeFilter(%q) = %+v, want %+v", f.encode(), got, f)
		}
	}
	if got := parseHomeFilter("kind=status&outcome=<!channel>"); got != (HomeFilter{}) {
		t.Errorf("unknown values were kept: %+v", got)
	}
}

func TestRenderRequesterNotice(t *testing.T) {
	r := cardRequest()
	r.Decisions = []DecisionView{{UserID: cardApprover, Approved: true, At: cardNow}}
	for _, tc := range []struct {
		name   string
		notice Notice
		state  RequestState
	}{
		{"approved", NoticeApproved, StateSubmitted},
		{"denied", NoticeDenied, StateDenied},
		{"expired", NoticeExpired, StateExpired},
		{"failed", NoticeFinished, StateFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := r
			r.State = tc.state
			if tc.notice == NoticeDenied {
				r.Decisions = []DecisionView{{UserID: cardApprover2, Reason: cardHostile[:120], At: cardNow}}
			}
			if tc.state == StateFailed {
				r.StatusDetail, r.Duration = cardHostile[:80], 75e9
			}
			checkGoldenMessage(t, RenderRequesterNotice(r, tc.notice, cardPermalink))
		})
	}
}

func TestRenderReminderMentionsTheApproverGroupsAndUsers(t *testing.T) {
	// A user-group id is whatever approvals.IsGroupID says, however long.
	const longGroup = "S0APPROVERSOFTHEEMEAREGION1"
	m := RenderReminder(cardRequest(), []string{"S0APPROVERS", cardApprover, "<!channel>", longGroup})
	for _, want := range []string{"<!subteam^S0APPROVERS>", "<@" + cardApprover + ">", "`&lt;!channel&gt;`", "<!subteam^" + longGroup + ">"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("reminder %q lacks %q", m.Text, want)
		}
	}
	if strings.Contains(m.Text, "<!channel>") {
		t.Errorf("a configured id became a live mention: %s", m.Text)
	}
}
