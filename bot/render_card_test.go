package bot

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/slack-go/slack"
)

func TestRequestCardSaysWhenATightenedPolicyRaisedTheCount(t *testing.T) {
	r := cardRequest()
	r.RequiredApprovals, r.RequiredAtOpen = 2, 1
	r.Decisions = []DecisionView{{UserID: cardApprover, Approved: true, At: cardNow.Add(-time.Minute)}}
	var fields []string
	for _, b := range RenderRequestCard(r, cardNow).Blocks {
		if s, ok := b.(*slack.SectionBlock); ok {
			for _, f := range s.Fields {
				fields = append(fields, f.Text)
			}
		}
	}
	want := "*Approvals*\n1 of 2 (the policy now needs 2; 1 when requested)"
	if !slices.Contains(fields, want) {
		t.Errorf("card fields %q lack %q", fields, want)
	}
}

func TestRequestCardRendersEachState(t *testing.T) {
	approval := DecisionView{UserID: cardApprover, Approved: true, At: cardNow.Add(-time.Minute)}
	denial := DecisionView{UserID: cardApprover, Reason: "Not the affected machine; see INC-77", At: cardNow.Add(-time.Minute)}
	cases := map[string]func(r *RequestView){
		"AwaitingApproval": func(r *RequestView) {},
		"AwaitingSecondApproval": func(r *RequestView) {
			r.RequiredApprovals = 2
			r.Decisions = []DecisionView{approval}
		},
		"ScanAwaitingHasNoConfirm": func(r *RequestView) {
			r.Kind, r.Params = KindScan, ParamsView{ScanType: defender.ScanQuick}
		},
		"BlockFileHasNoMachine": func(r *RequestView) {
			r.Kind, r.Machine = KindBlock, MachineView{}
			r.Params = ParamsView{FileHash: strings.Repeat("a1", 32), HashType: defender.HashSHA256}
			r.Expires = cardNow.Add(2*time.Hour + 5*time.Minute)
		},
		"Approved": func(r *RequestView) {
			r.State, r.Decisions = StateApproved, []DecisionView{approval}
		},
		"SubmittedInProgress": func(r *RequestView) {
			r.State, r.Decisions = StateSubmitted, []DecisionView{approval}
			r.ActionID, r.MDEStatus = "b0ffba3a-8bb4-4a5a-8e4c-53b7d8d5b2b4", defender.StatusInProgress
		},
		"Succeeded": func(r *RequestView) {
			r.State, r.Decisions = StateSucceeded, []DecisionView{approval}
			r.ActionID, r.MDEStatus, r.Duration = "b0ffba3a-8bb4-4a5a-8e4c-53b7d8d5b2b4", defender.StatusSucceeded, 130*time.Second
		},
		"Failed": func(r *RequestView) {
			r.State, r.Decisions = StateFailed, []DecisionView{approval}
			r.ActionID, r.MDEStatus, r.Duration = "b0ffba3a-8bb4-4a5a-8e4c-53b7d8d5b2b4", defender.StatusFailed, 95*time.Second
			r.StatusDetail = "Machine <unreachable> & offline"
		},
		"Denied": func(r *RequestView) {
			r.State, r.Decisions = StateDenied, []DecisionView{denial}
		},
		"Expired": func(r *RequestView) {
			r.State = StateExpired
		},
		"Withdrawn": func(r *RequestView) {
			r.State, r.ClosedBy = StateWithdrawn, cardRequester
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			r := cardRequest()
			edit(&r)
			checkGoldenMessage(t, RenderRequestCard(r, cardNow))
		})
	}
}

// cardButtons returns the card's buttons by action id.
func cardButtons(m Message) map[string]*slack.ButtonBlockElement {
	buttons := map[string]*slack.ButtonBlockElement{}
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					buttons[btn.ActionID] = btn
				}
			}
		}
	}
	return buttons
}

func TestCardOffersButtonsOnlyWhileAwaitingApproval(t *testing.T) {
	for _, s := range []RequestState{StateAwaitingApproval, StateApproved, StateSubmitted, StateSucceeded, StateFailed,
		StateTimedOut, StateCancelled, StateDenied, StateExpired, StateWithdrawn} {
		r := cardRequest()
		r.State = s
		buttons := cardButtons(RenderRequestCard(r, cardNow))
		if want := s == StateAwaitingApproval; (len(buttons) > 0) != want {
			t.Errorf("state %s: buttons %v, want buttons: %v", s, buttons, want)
		}
	}
}

func TestApproveCarriesRequestAndFingerprintAndOthersOnlyTheRequest(t *testing.T) {
	buttons := cardButtons(RenderRequestCard(cardRequest(), cardNow))
	approve, deny, withdraw := buttons[actionApprove], buttons[actionDeny], buttons[actionWithdraw]
	if approve == nil || deny == nil || withdraw == nil {
		t.Fatalf("buttons = %v", buttons)
	}
	if id, fp, ok := parseApproveValue(approve.Value); !ok || id != "req-7f3a" || fp != "9c1185a5c5e9fc54" {
		t.Errorf("approve value %q", approve.Value)
	}
	if deny.Value != "req-7f3a" || withdraw.Value != "req-7f3a" {
		t.Errorf("deny %q, withdraw %q", deny.Value, withdraw.Value)
	}
	if approve.Text.Text != "Approve" || deny.Text.Text != "Deny" || approve.Style != slack.StylePrimary || deny.Style != slack.StyleDanger {
		t.Errorf("approve %q %q, deny %q %q", approve.Text.Text, approve.Style, deny.Text.Text, deny.Style)
	}
}

func TestOnlyDisruptiveApprovalsAskForConfirmation(t *testing.T) {
	for _, k := range []RequestKind{KindScan, KindCollect, KindIsolate, KindUnisolate, KindRestrict, KindUnrestrict,
		KindQuarantine, KindBlock, KindUnblock, KindOffboard} {
		r := cardRequest()
		r.Kind = k
		approve := cardButtons(RenderRequestCard(r, cardNow))[actionApprove]
		if (approve.Confirm != nil) != renderDisruptive(k) {
			t.Errorf("%s: confirm %v", k, approve.Confirm)
		}
	}
}

func TestCardStaysWithinLimitsWhateverTheInput(t *testing.T) {
	for _, s := range []RequestState{StateAwaitingApproval, StateApproved, StateSubmitted, StateSucceeded, StateFailed,
		StateTimedOut, StateCancelled, StateDenied, StateExpired, StateWithdrawn, RequestState(cardHostile)} {
		for _, k := range []RequestKind{KindIsolate, KindQuarantine, KindBlock, RequestKind(cardHostile)} {
			r := cardHostileRequest()
			r.State, r.Kind = s, k
			r.Requester = cardRequester
			m := RenderRequestCard(r, cardNow)
			checkLimits(t, m, cardUsers, nil)
		}
	}
}

func BenchmarkRenderRequestCard(b *testing.B) {
	for name, r := range map[string]RequestView{"typical": cardRequest(), "cardHostile": cardHostileRequest()} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				RenderRequestCard(r, cardNow)
			}
		})
	}
}

func FuzzRequestCardStaysWithinLimits(f *testing.F) {
	f.Add("reason", "ws-01", "error", "U02APPROVE")
	f.Add(cardHostile[:500], "*evil*_<!here>", "<@U123> &", "<!channel>")
	f.Fuzz(func(t *testing.T, reason, name, detail, user string) {
		r := cardRequest()
		r.Reason, r.Machine.Name, r.StatusDetail, r.ClosedBy = reason, name, detail, user
		r.Decisions = []DecisionView{{UserID: user, Reason: reason, At: cardNow}}
		for _, s := range []RequestState{StateAwaitingApproval, StateFailed, StateDenied, StateWithdrawn} {
			r.State = s
			checkLimits(t, RenderRequestCard(r, cardNow), append([]string{user}, cardUsers...), nil)
		}
	})
}
