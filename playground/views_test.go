package playground

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// denyModal is a modal as the bot opens one, with one required text input.
func denyModal() slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Why?", false, false), "mde_deny_reason")
	input.Multiline = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Deny request", false, false),
		Close:      slack.NewTextBlockObject(slack.PlainTextType, "Back", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false),
		CallbackID: "mde_deny_modal",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("mde_deny_reason_input", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil, input),
		}},
	}
}

// openDenyModal clicks Deny as user and opens the modal with the click's
// trigger, as the bot does; it returns the view's ID.
func openDenyModal(t *testing.T, p *Playground, bot <-chan socketmode.Event, user string) string {
	t.Helper()
	ts := postCard(t, p)
	if status, res := post(t, p, "/api/click", clickRequest{User: user, Channel: ChannelID, TS: ts, ActionID: "mde_deny"}); status != http.StatusOK {
		t.Fatalf("POST /api/click: %d %+v", status, res)
	}
	cb := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	view, err := botClient(p).OpenViewContext(testContext(t), cb.TriggerID, denyModal())
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	return view.ID
}

func TestAModalOpensForItsUserAndItsSubmissionReachesTheBot(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, nil)
	viewID := openDenyModal(t, p, bot, Approver2ID)
	if st := getState(t, p, Approver2ID); st.Modal == nil || st.Modal.ID != viewID {
		t.Fatalf("Sam's modal = %+v, want %s", st.Modal, viewID)
	}
	if st := getState(t, p, Approver1ID); st.Modal != nil {
		t.Errorf("Alex sees Sam's modal %+v", st.Modal)
	}
	status, res := post(t, p, "/api/submit", submitRequest{User: Approver2ID, ViewID: viewID,
		Values: map[string]map[string]string{"mde_deny_reason_input": {"mde_deny_reason": "false positive"}}})
	if status != http.StatusOK || !res.OK {
		t.Fatalf("POST /api/submit: %d %+v", status, res)
	}
	cb := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != viewID ||
		cb.View.State.Values["mde_deny_reason_input"]["mde_deny_reason"].Value != "false positive" {
		t.Errorf("view submission = %+v", cb)
	}
	if _, err := p.Slack().WaitAck(testContext(t), res.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	if st := getState(t, p, Approver2ID); st.Modal != nil {
		t.Errorf("the submitted modal is still open: %+v", st.Modal)
	}
}

func TestClosingAModalHidesIt(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, nil)
	events := sseStream(t, p)
	waitSSE(t, events, "hello", "connected")
	viewID := openDenyModal(t, p, bot, Approver2ID)
	if status, res := post(t, p, "/api/close", viewRequest{User: Approver2ID, ViewID: viewID}); status != http.StatusOK || !res.OK {
		t.Fatalf("POST /api/close: %d %+v", status, res)
	}
	waitSSE(t, events, "update", "page")
	if st := getState(t, p, Approver2ID); st.Modal != nil {
		t.Errorf("the closed modal still shows: %+v", st.Modal)
	}
}

func TestOpeningAppHomeTellsTheBotAndShowsThePublishedView(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, nil)
	if st := getState(t, p, ManagerID); st.Home != nil {
		t.Fatalf("a Home view before any was published: %+v", st.Home)
	}
	status, res := post(t, p, "/api/home", viewRequest{User: ManagerID})
	if status != http.StatusOK || !res.OK {
		t.Fatalf("POST /api/home: %d %+v", status, res)
	}
	evt := nextEvent(t, bot, socketmode.EventTypeEventsAPI).Data.(slackevents.EventsAPIEvent)
	opened, ok := evt.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || opened.User != ManagerID {
		t.Fatalf("event = %+v", evt.InnerEvent)
	}
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Your requests", false, false)),
	}}}
	if _, err := botClient(p).PublishViewContext(testContext(t), slack.PublishViewContextRequest{UserID: ManagerID, View: home}); err != nil {
		t.Fatalf("views.publish: %v", err)
	}
	if st := getState(t, p, ManagerID); st.Home == nil || len(st.Home.View) == 0 {
		t.Errorf("Morgan's Home = %+v", st.Home)
	}
	if st := getState(t, p, ResponderID); st.Home != nil {
		t.Errorf("Riley sees Morgan's Home: %+v", st.Home)
	}
}

func TestTheBotsValidationErrorsComeBackAndKeepTheModalOpen(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, func(evt socketmode.Event) any {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok && cb.Type == slack.InteractionTypeViewSubmission {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{"mde_deny_reason_input": "Say why, in a few words."})
		}
		return nil
	})
	viewID := openDenyModal(t, p, bot, Approver1ID)
	status, res := post(t, p, "/api/submit", submitRequest{User: Approver1ID, ViewID: viewID,
		Values: map[string]map[string]string{"mde_deny_reason_input": {"mde_deny_reason": "x"}}})
	want := apiResult{EnvelopeID: res.EnvelopeID, Errors: map[string]string{"mde_deny_reason_input": "Say why, in a few words."}}
	if diff := cmp.Diff(want, res); status != http.StatusOK || diff != "" {
		t.Errorf("POST /api/submit: %d (-want +got):\n%s", status, diff)
	}
	if st := getState(t, p, Approver1ID); st.Modal == nil || st.Modal.ID != viewID {
		t.Errorf("the modal closed despite the errors: %+v", st.Modal)
	}
}
