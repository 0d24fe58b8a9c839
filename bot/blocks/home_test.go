package blocks

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/command"
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
		Own: []HistoryRow{{When: cardCreated, Kind: approvals.KindScan, MachineName: "ws-fin-01", Requester: cardApprover, State: approvals.StateAwaiting}}, OwnTotal: 1,
		History: []HistoryRow{{When: cardCreated, Kind: approvals.KindIsolate, MachineName: "ws-fin-01", Requester: cardRequester,
			Approvers: []string{cardApprover}, State: approvals.StateSucceeded, MDEDuration: 90e9, Permalink: cardPermalink}},
		Filter: HomeFilter{Kind: command.VerbIsolate, Outcome: approvals.OutcomeSucceeded}}
	view := RenderHome(v)
	checkLimits(t, homeMessage(view), cardUsers, []string{cardPermalink})
	checkGolden(t, view)
}

func TestRenderHomeStaysUnderOneHundredBlocksWithHostileData(t *testing.T) {
	v := HomeView{Viewer: cardApprover, ApproverFor: true, CanHistory: true, Notice: EscapeText(cardHostile[:200])}
	for i := range 200 {
		r := cardHostileRequest()
		r.Machine = cardHostileMachine(i)
		v.Pending = append(v.Pending, r)
		row := HistoryRow{When: cardCreated, Kind: approvals.KindIsolate, MachineName: cardHostile[:300], Requester: cardRequester, State: approvals.StateFailed}
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
	for _, f := range []HomeFilter{{}, {Kind: command.VerbScan}, {Outcome: approvals.OutcomeTimedOut}, {Kind: command.VerbUnisolate, Outcome: approvals.OutcomePending}} {
		if got := ParseHomeFilter(f.encode()); got != f {
			t.Errorf("ParseHomeFilter(%q) = %+v, want %+v", f.encode(), got, f)
		}
	}
	if got := ParseHomeFilter("kind=status&outcome=<!channel>"); got != (HomeFilter{}) {
		t.Errorf("unknown values were kept: %+v", got)
	}
}

func TestRenderRequesterNotice(t *testing.T) {
	r := cardRequest()
	r.Decisions = []DecisionView{{UserID: cardApprover, Approved: true, At: cardNow}}
	for _, tc := range []struct {
		name   string
		notice Notice
		state  approvals.State
	}{
		{"approved", NoticeApproved, approvals.StateSubmitted},
		{"denied", NoticeDenied, approvals.StateDenied},
		{"expired", NoticeExpired, approvals.StateExpired},
		{"failed", NoticeFinished, approvals.StateFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := r
			r.State = tc.state
			if tc.notice == NoticeDenied {
				r.Decisions = []DecisionView{{UserID: cardApprover2, Reason: cardHostile[:120], At: cardNow}}
			}
			if tc.state == approvals.StateFailed {
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

func TestTheHomeApproveAsksTheSameConfirmationAsTheCard(t *testing.T) {
	for _, k := range []approvals.Kind{approvals.KindIsolate, approvals.KindScan, approvals.KindOffboard} {
		r := cardRequest()
		r.Kind = k
		home := homeMessage(RenderHome(HomeView{Viewer: cardApprover, ApproverFor: true, Pending: []RequestView{r}, PendingTotal: 1}))
		var approve *slack.ButtonBlockElement
		for id, b := range cardButtons(home) {
			if HomeAction(id) == ActionApprove {
				approve = b
			}
		}
		card := cardButtons(RenderRequestCard(r, cardNow))[ActionApprove]
		if approve == nil || card == nil {
			t.Fatalf("%s: no Approve button in the home (%v) or on the card (%v)", k, approve, card)
		}
		if (approve.Confirm != nil) != k.Disruptive() || !reflect.DeepEqual(approve.Confirm, card.Confirm) {
			t.Errorf("%s: home confirm %+v, card confirm %+v; want the same, present only when disruptive", k, approve.Confirm, card.Confirm)
		}
	}
}

func TestTheRunningActionsAreHiddenFromAViewerWhoMayNotLookThemUp(t *testing.T) {
	row := HistoryRow{When: cardCreated, Kind: approvals.KindIsolate, MachineName: "ws-secret-01", Requester: cardRequester, State: approvals.StateSubmitted}
	for _, hidden := range []bool{false, true} {
		m := homeMessage(RenderHome(HomeView{Viewer: cardRequester, InFlight: []HistoryRow{row}, InFlightTotal: 1, InFlightHidden: hidden}))
		shown := strings.Contains(string(mustJSON(t, m.Blocks)), "ws-secret-01") || strings.Contains(string(mustJSON(t, m.Blocks)), "Running in Defender")
		if shown == hidden {
			t.Errorf("InFlightHidden %v: running actions shown = %v", hidden, shown)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHomeShowsBreakGlassReviewsAndTheApprovalDMSwitch(t *testing.T) {
	r := cardRequest()
	r.BreakGlass, r.State = true, approvals.StateSucceeded
	r.Review = &ReviewView{State: approvals.ReviewPending, Due: cardNow.Add(-time.Hour), Overdue: true}
	v := HomeView{Viewer: cardApprover, ApproverFor: true, ApprovalDMsOff: true, Reviews: []RequestView{r}}
	h := RenderHome(v)
	got := string(mustJSON(t, h))
	for _, want := range []string{"Break-glass actions to review", "Review overdue", `"action_id":"mde_review_ack.0"`,
		`"action_id":"mde_review_flag.0"`, "Approval DMs: *off*", `"value":"on"`} {
		if !strings.Contains(got, want) {
			t.Errorf("home lacks %s", want)
		}
	}
	v.ApproverFor = false
	if got := string(mustJSON(t, RenderHome(v))); strings.Contains(got, "Break-glass") || strings.Contains(got, "Approval DMs") {
		t.Error("a non-approver sees the reviews or the DM switch")
	}
}
