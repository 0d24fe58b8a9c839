package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// interactions starts a bot that acks each envelope with ackPayload(evt)
// (nil for none) and forwards the decoded data.
func interactions(t *testing.T, s *Server, ackPayload func(any) any) chan any {
	t.Helper()
	got := make(chan any, 10)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if p := ackPayload(evt.Data); p != nil {
			_ = c.Ack(*evt.Request, p)
		} else {
			_ = c.Ack(*evt.Request)
		}
		got <- evt.Data
	})
	return got
}

func postResponse(t *testing.T, url string, body any) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(mustJSON(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestResponseURLRepliesFollowSlacksRules(t *testing.T) {
	s := newTestServer(t)
	got := interactions(t, s, func(any) any { return nil })
	ctx := testContext(t)
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "list"); err != nil {
		t.Fatal(err)
	}
	cmd := (<-got).(slack.SlashCommand)

	if code := postResponse(t, cmd.ResponseURL, map[string]any{"text": "just you"}); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if code := postResponse(t, cmd.ResponseURL, map[string]any{"text": "everyone", "response_type": "in_channel"}); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if code := postResponse(t, cmd.ResponseURL, map[string]any{"blocks": []any{map[string]any{"type": "nope"}}}); code != http.StatusBadRequest {
		t.Errorf("invalid blocks: status %d, want 400", code)
	}
	msgs := s.Messages(ops.ID)
	if len(msgs) != 2 || !msgs[0].Ephemeral || msgs[0].VisibleTo != alice.ID || msgs[1].Ephemeral || msgs[1].Text != "everyone" {
		t.Errorf("messages = %+v", msgs)
	}
	calls := s.Calls()
	if last := calls[len(calls)-1]; last.Method != "response_url" || last.Error != "invalid_blocks" {
		t.Errorf("last call = %+v", last)
	}

	// delete_original from a button click removes the clicked message.
	btn := slack.NewButtonBlockElement("cancel", "r1", slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
	_, ts, err := webClient(s).PostMessageContext(ctx, ops.ID, slack.MsgOptionBlocks(slack.NewActionBlock("a", btn)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClickButton(ctx, alice.ID, MessageRef{ops.ID, ts}, "cancel", ""); err != nil {
		t.Fatal(err)
	}
	cb := (<-got).(slack.InteractionCallback)
	if code := postResponse(t, cb.ResponseURL, map[string]any{"delete_original": true}); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if m, _ := s.Message(MessageRef{ops.ID, ts}); !m.Deleted {
		t.Errorf("delete_original left %+v", m)
	}
}

func TestClickingAButtonOnAnEphemeralMessage(t *testing.T) {
	s := newTestServer(t)
	got := interactions(t, s, func(any) any { return nil })
	ctx := testContext(t)
	btn := slack.NewButtonBlockElement("confirm", "yes", slack.NewTextBlockObject(slack.PlainTextType, "Confirm", false, false))
	section := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Sure?", false, false), nil, slack.NewAccessory(btn))
	ts, err := webClient(s).PostEphemeralContext(ctx, ops.ID, alice.ID, slack.MsgOptionBlocks(section))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClickButton(ctx, bob.ID, MessageRef{ops.ID, ts}, "confirm", ""); err == nil {
		t.Error("bob clicked alice's ephemeral message")
	}
	if _, err := s.ClickButton(ctx, alice.ID, MessageRef{ops.ID, ts}, "confirm", "forged"); err != nil {
		t.Fatal(err)
	}
	cb := (<-got).(slack.InteractionCallback)
	a := cb.ActionCallback.BlockActions[0]
	if !cb.Container.IsEphemeral || cb.Container.MessageTs != ts || a.ActionID != "confirm" || a.Value != "forged" || a.BlockID == "" {
		t.Errorf("container %+v action %+v", cb.Container, a)
	}
}

func TestViewSubmissionAcksCanUpdatePushOrClearTheModalStack(t *testing.T) {
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	modal := func(title string) slack.ModalViewRequest {
		return slack.ModalViewRequest{Type: slack.VTModal, Title: plain(title), Submit: plain("Next"),
			Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("b", plain("Why"), nil, slack.NewPlainTextInputBlockElement(nil, "a"))}}}
	}
	var mu sync.Mutex
	next := map[string]any{} // response per submitted view title
	s := newTestServer(t)
	triggers := make(chan string, 1)
	got := interactions(t, s, func(d any) any {
		switch d := d.(type) {
		case slack.SlashCommand:
			triggers <- d.TriggerID
		case slack.InteractionCallback:
			mu.Lock()
			defer mu.Unlock()
			return next[d.View.Title.Text]
		}
		return nil
	})
	ctx := testContext(t)
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", ""); err != nil {
		t.Fatal(err)
	}
	<-got
	first, err := webClient(s).OpenViewContext(ctx, <-triggers, modal("One"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	next["One"] = slack.NewUpdateViewSubmissionResponse(func() *slack.ModalViewRequest { m := modal("One bis"); return &m }())
	next["One bis"] = slack.NewPushViewSubmissionResponse(func() *slack.ModalViewRequest { m := modal("Two"); return &m }())
	next["Two"] = slack.NewClearViewSubmissionResponse()
	mu.Unlock()
	submit := func(viewID string) {
		t.Helper()
		env, err := s.SubmitView(ctx, alice.ID, viewID, map[string]map[string]string{"b": {"a": "x"}})
		if err != nil {
			t.Fatal(err)
		}
		<-got
		if _, err := s.WaitAck(ctx, env.ID); err != nil {
			t.Fatal(err)
		}
	}
	submit(first.View.ID) // update
	if v, _ := s.WaitView(ctx, func(v View) bool { return v.ID == first.View.ID }); v.Closed || !bytes.Contains(v.JSON, []byte("One bis")) {
		t.Errorf("after update: %+v", v)
	}
	submit(first.View.ID) // push
	pushed, err := s.WaitView(ctx, func(v View) bool { return v.PreviousViewID == first.View.ID })
	if err != nil {
		t.Fatal(err)
	}
	if pushed.RootViewID != first.View.ID || pushed.Closed {
		t.Errorf("pushed = %+v", pushed)
	}
	submit(pushed.ID) // clear
	for _, v := range s.Views() {
		if !v.Closed {
			t.Errorf("view %s (%s) still open after clear", v.ID, v.JSON)
		}
	}
}

func TestTheServerIsSafeForConcurrentUse(t *testing.T) {
	s := newTestServer(t)
	events, stop := s.Subscribe()
	defer stop()
	connectedBot(t, s, nil)
	ctx := testContext(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			api := webClient(s)
			for i := range 10 {
				if _, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText(fmt.Sprint(g, i), false)); err != nil {
					t.Error(err)
				}
				env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", fmt.Sprint(g, i))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.WaitAck(ctx, env.ID); err != nil {
					t.Error(err)
				}
				_ = s.Messages(ops.ID)
				_ = s.Calls()
			}
		})
	}
	wg.Wait()
	msgs := s.Messages(ops.ID)
	seen := map[string]bool{}
	for i, m := range msgs {
		if seen[m.TS] || (i > 0 && compareTS(msgs[i-1].TS, m.TS) >= 0) {
			t.Errorf("ts %s is not unique and increasing", m.TS)
		}
		seen[m.TS] = true
	}
	if len(msgs) != 40 || len(s.Acks()) != 40 {
		t.Errorf("%d messages, %d acks; want 40 each", len(msgs), len(s.Acks()))
	}
	posted := 0
	for posted < 40 {
		select {
		case e := <-events:
			if e.Kind == EventMessagePosted {
				posted++
			}
		case <-ctx.Done():
			t.Fatalf("%d message events, want 40", posted)
		}
	}
}

func TestEnvelopeJSONHasSlacksShape(t *testing.T) {
	s := newTestServer(t)
	conn := dialRaw(t, s)
	ctx := testContext(t)
	go func() { _, _ = s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "x") }()
	var frame struct {
		EnvelopeID             string                     `json:"envelope_id"`
		Type                   string                     `json:"type"`
		AcceptsResponsePayload bool                       `json:"accepts_response_payload"`
		Payload                map[string]json.RawMessage `json:"payload"`
	}
	for frame.Type != "slash_commands" {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &frame); err != nil {
			t.Fatal(err)
		}
	}
	if !frame.AcceptsResponsePayload || frame.EnvelopeID == "" {
		t.Errorf("frame = %+v", frame)
	}
	if got := string(frame.Payload["is_enterprise_install"]); got != `"false"` {
		t.Errorf("is_enterprise_install = %s, want the string \"false\"", got)
	}
	for _, k := range []string{"token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command", "text", "api_app_id", "response_url", "trigger_id"} {
		if _, ok := frame.Payload[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
}

func TestASlackConnectGuestsEnvelopesCarryTheirOwnTeam(t *testing.T) {
	guest := User{ID: "U0GUEST", Name: "gus", TeamID: "T0OTHERORG", EnterpriseID: "E0OTHERORG"}
	s := newTestServer(t, WithUsers(guest))
	b := connectedBot(t, s, nil)
	ctx := testContext(t)

	if _, err := s.SlashCommand(ctx, guest.ID, ops.ID, "/mde", "help"); err != nil {
		t.Fatal(err)
	}
	cmd, _ := b.waitEvent(t, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
	if cmd.TeamID != "T0OTHERORG" || cmd.EnterpriseID != "E0OTHERORG" {
		t.Errorf("guest's slash command team %q enterprise %q, want T0OTHERORG E0OTHERORG", cmd.TeamID, cmd.EnterpriseID)
	}
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "help"); err != nil {
		t.Fatal(err)
	}
	cmd, _ = b.waitEvent(t, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
	if cmd.TeamID != "T0FAKETEAM" || cmd.EnterpriseID != "" {
		t.Errorf("member's slash command team %q enterprise %q, want T0FAKETEAM and none", cmd.TeamID, cmd.EnterpriseID)
	}

	_, ts, err := webClient(s).PostMessageContext(ctx, ops.ID, slack.MsgOptionBlocks(
		slack.NewActionBlock("b", slack.NewButtonBlockElement("approve", "R-1", slack.NewTextBlockObject("plain_text", "Approve", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClickButton(ctx, guest.ID, MessageRef{Channel: ops.ID, TS: ts}, "approve", ""); err != nil {
		t.Fatal(err)
	}
	cb, _ := b.waitEvent(t, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.User.TeamID != "T0OTHERORG" || cb.Team.ID != "T0OTHERORG" || cb.Enterprise.ID != "E0OTHERORG" {
		t.Errorf("guest's click: user team %q, team %q, enterprise %q; want T0OTHERORG, T0OTHERORG, E0OTHERORG",
			cb.User.TeamID, cb.Team.ID, cb.Enterprise.ID)
	}
}

func TestAGridWorkspaceReportsItsEnterpriseInAuthTestAndEnvelopes(t *testing.T) {
	s := newTestServer(t, WithEnterprise("E0GRID"))
	b := connectedBot(t, s, nil)
	ctx := testContext(t)
	resp, err := webClient(s).AuthTestContext(ctx)
	if err != nil || resp.TeamID != "T0FAKETEAM" || resp.EnterpriseID != "E0GRID" {
		t.Fatalf("auth.test = %+v, %v; want T0FAKETEAM in E0GRID", resp, err)
	}
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "help"); err != nil {
		t.Fatal(err)
	}
	cmd, _ := b.waitEvent(t, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
	if cmd.TeamID != "T0FAKETEAM" || cmd.EnterpriseID != "E0GRID" {
		t.Errorf("member's slash command team %q enterprise %q, want T0FAKETEAM E0GRID", cmd.TeamID, cmd.EnterpriseID)
	}
}
