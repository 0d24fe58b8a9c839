package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestTheClientConnectsAndReceivesHello(t *testing.T) {
	s := newTestServer(t)
	b := startBot(t, s, AppToken, nil)
	b.waitEvent(t, socketmode.EventTypeConnected)
	b.waitEvent(t, socketmode.EventTypeHello)
	if !s.Connected() {
		t.Error("Connected() = false after hello")
	}
	if got := s.Connections(); got != 1 {
		t.Errorf("Connections() = %d, want 1", got)
	}
}

func TestASlashCommandIsDecodedAndItsAckPayloadBecomesAnEphemeralReply(t *testing.T) {
	s := newTestServer(t)
	got := make(chan slack.SlashCommand, 1)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			t.Errorf("data is %T, want slack.SlashCommand", evt.Data)
			return
		}
		got <- cmd
		_ = c.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "usage: /mde isolate <machine>"})
	})
	ctx := testContext(t)

	env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "help me")
	if err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	cmd := <-got
	if cmd.Command != "/mde" || cmd.Text != "help me" || cmd.UserID != alice.ID || cmd.UserName != "alice" ||
		cmd.ChannelID != ops.ID || cmd.ChannelName != "secops" || cmd.TeamID != "T0FAKETEAM" || cmd.TriggerID == "" ||
		cmd.IsEnterpriseInstall {
		t.Errorf("slash command decoded as %+v", cmd)
	}
	var payload map[string]string
	if err := json.Unmarshal(ack.Payload, &payload); err != nil || payload["text"] != "usage: /mde isolate <machine>" {
		t.Errorf("ack payload = %s (%v)", ack.Payload, err)
	}
	if ack.Latency <= 0 {
		t.Errorf("ack latency = %v, want > 0", ack.Latency)
	}
	reply, err := s.WaitMessage(ctx, func(m Message) bool { return m.Ephemeral })
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Channel: ops.ID, TS: reply.TS, User: BotUserID, Text: "usage: /mde isolate <machine>", Ephemeral: true, VisibleTo: alice.ID}
	if diff := cmp.Diff(want, reply); diff != "" {
		t.Errorf("ephemeral reply (-want +got):\n%s", diff)
	}
}

func TestAButtonClickArrivesAsBlockActionsWithTheClickedMessage(t *testing.T) {
	s := newTestServer(t)
	got := make(chan slack.InteractionCallback, 1)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		_ = c.Ack(*evt.Request)
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			got <- cb
		}
	})
	ctx := testContext(t)
	approve := slack.NewButtonBlockElement("approve", "req-42", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
	approve.Style = slack.StylePrimary
	_, ts, err := webClient(s).PostMessageContext(ctx, ops.ID, slack.MsgOptionText("Isolate host-1?", false),
		slack.MsgOptionBlocks(
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Isolate* host-1?", false, false), nil, nil),
			slack.NewActionBlock("decision", approve),
		))
	if err != nil {
		t.Fatal(err)
	}

	env, err := s.ClickButton(ctx, bob.ID, MessageRef{Channel: ops.ID, TS: ts}, "approve", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	cb := <-got
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback type %q with %d block actions", cb.Type, len(cb.ActionCallback.BlockActions))
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "approve" || a.Value != "req-42" || a.BlockID != "decision" {
		t.Errorf("action = %+v", a)
	}
	if cb.Container.MessageTs != ts || cb.Channel.ID != ops.ID || cb.Message.Timestamp != ts || cb.User.ID != bob.ID ||
		cb.TriggerID == "" || cb.ResponseURL == "" {
		t.Errorf("callback container %+v channel %q message ts %q user %q", cb.Container, cb.Channel.ID, cb.Message.Timestamp, cb.User.ID)
	}
	if n := len(cb.Message.Blocks.BlockSet); n != 2 {
		t.Errorf("clicked message carries %d blocks, want 2", n)
	}

	_, err = s.ClickButton(ctx, bob.ID, MessageRef{Channel: ops.ID, TS: ts}, "reject", "")
	if !errors.Is(err, ErrNoSuchButton) {
		t.Errorf("clicking a missing button: err = %v, want ErrNoSuchButton", err)
	}
}

func TestAReplyToTheResponseURLReplacesTheClickedMessage(t *testing.T) {
	s := newTestServer(t)
	done := make(chan slack.InteractionCallback, 1)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		_ = c.Ack(*evt.Request)
		done <- evt.Data.(slack.InteractionCallback)
	})
	ctx := testContext(t)
	api := webClient(s)
	btn := slack.NewButtonBlockElement("go", "1", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false))
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionBlocks(slack.NewActionBlock("", btn)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClickButton(ctx, alice.ID, MessageRef{ops.ID, ts}, "go", ""); err != nil {
		t.Fatal(err)
	}
	cb := <-done
	if cb.ActionCallback.BlockActions[0].BlockID == "" {
		t.Error("a block posted without block_id got none from the fake")
	}
	_, _, _, err = api.SendMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Done", false))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message(MessageRef{ops.ID, ts})
	if m.Text != "Done" || m.Edited != 1 || len(m.Blocks) != 0 {
		t.Errorf("after replace_original: %+v", m)
	}
}

func TestAViewSubmissionCarriesTheStateValuesAndClosesTheModal(t *testing.T) {
	s := newTestServer(t)
	submissions := make(chan slack.InteractionCallback, 2)
	triggers := make(chan string, 1)
	var rejectFirst = true
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		switch d := evt.Data.(type) {
		case slack.SlashCommand:
			_ = c.Ack(*evt.Request)
			triggers <- d.TriggerID
		case slack.InteractionCallback:
			if rejectFirst {
				rejectFirst = false
				_ = c.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"reason_block": "too short"}))
			} else {
				_ = c.Ack(*evt.Request)
			}
			submissions <- d
		}
	})
	ctx := testContext(t)
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "isolate host-1"); err != nil {
		t.Fatal(err)
	}
	trigger := <-triggers
	input := slack.NewInputBlock("reason_block", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "reason"))
	kind := slack.NewInputBlock("kind_block", slack.NewTextBlockObject(slack.PlainTextType, "Kind", false, false), nil,
		slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "kind",
			slack.NewOptionBlockObject("full", slack.NewTextBlockObject(slack.PlainTextType, "Full", false, false), nil),
			slack.NewOptionBlockObject("selective", slack.NewTextBlockObject(slack.PlainTextType, "Selective", false, false), nil)))
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Isolate", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Request", false, false),
		CallbackID:      "isolate",
		PrivateMetadata: "host-1",
		Blocks:          slack.Blocks{BlockSet: []slack.Block{input, kind}},
	}
	resp, err := webClient(s).OpenViewContext(ctx, trigger, view)
	if err != nil {
		t.Fatal(slackError(err))
	}
	if _, err := webClient(s).OpenViewContext(ctx, trigger, view); slackError(err) != "exchanged_trigger_id" {
		t.Errorf("reusing a trigger_id: %v, want exchanged_trigger_id", err)
	}

	values := map[string]map[string]string{"reason_block": {"reason": "no"}, "kind_block": {"kind": "selective"}}
	if _, err := s.SubmitView(ctx, alice.ID, resp.View.ID, values); err != nil {
		t.Fatal(err)
	}
	first := <-submissions
	if first.Type != slack.InteractionTypeViewSubmission || first.View.CallbackID != "isolate" || first.View.PrivateMetadata != "host-1" {
		t.Errorf("submission type %q view %+v", first.Type, first.View)
	}
	if got := first.View.State.Values["reason_block"]["reason"].Value; got != "no" {
		t.Errorf("reason = %q, want no", got)
	}
	if got := first.View.State.Values["kind_block"]["kind"].SelectedOption.Value; got != "selective" {
		t.Errorf("kind = %q, want selective", got)
	}
	// The errors ack keeps the modal open: the user fixes the input and submits again.
	values["reason_block"]["reason"] = "ransomware on host-1"
	env, err := s.SubmitView(ctx, alice.ID, resp.View.ID, values)
	if err != nil {
		t.Fatal(err)
	}
	<-submissions
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	v, err := s.WaitView(ctx, func(v View) bool { return v.ID == resp.View.ID && v.Closed })
	if err != nil {
		t.Fatal(err)
	}
	if v.UserID != alice.ID || v.CallbackID != "isolate" {
		t.Errorf("closed view = %+v", v)
	}
	if _, err := s.SubmitView(ctx, alice.ID, resp.View.ID, values); err == nil {
		t.Error("submitting a closed view succeeded")
	}
	if _, err := s.SubmitView(ctx, alice.ID, "VNOPE", nil); err == nil {
		t.Error("submitting an unknown view succeeded")
	}
}

func TestATriggerIDExpiresThreeSecondsAfterIssueOnTheFakeClock(t *testing.T) {
	clock := newManualClock()
	s := newTestServer(t, WithClock(clock.Now))
	triggers := make(chan string, 1)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		_ = c.Ack(*evt.Request)
		triggers <- evt.Data.(slack.SlashCommand).TriggerID
	})
	ctx := testContext(t)
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", ""); err != nil {
		t.Fatal(err)
	}
	trigger := <-triggers
	clock.Advance(3001 * 1e6) // 3.001 s
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "T", false, false)}
	if _, err := webClient(s).OpenViewContext(ctx, trigger, view); slackError(err) != "expired_trigger_id" {
		t.Errorf("views.open after 3 s: %v, want expired_trigger_id", err)
	}
	if _, err := webClient(s).OpenViewContext(ctx, "1.2.nope", view); slackError(err) != "invalid_arguments" {
		t.Errorf("views.open with an unknown trigger: %v, want invalid_arguments", err)
	}
}

func TestAppHomeOpenedArrivesAsAnEventsAPIEvent(t *testing.T) {
	s := newTestServer(t)
	got := make(chan slackevents.EventsAPIEvent, 1)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		_ = c.Ack(*evt.Request)
		if e, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			got <- e
		}
	})
	ctx := testContext(t)
	env, err := s.OpenAppHome(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := <-got
	home, ok := e.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok {
		t.Fatalf("inner event is %T", e.InnerEvent.Data)
	}
	if home.User != bob.ID || home.Tab != "home" || home.Channel == "" || e.APIAppID != AppID {
		t.Errorf("app_home_opened = %+v", home)
	}
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
}

func TestTheClientReconnectsAfterTheConnectionDrops(t *testing.T) {
	s := newTestServer(t)
	connectedBot(t, s, nil)
	ctx := testContext(t)

	s.DropConnection()
	if err := s.WaitConnected(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := s.Connections(); got != 2 {
		t.Errorf("Connections() = %d, want 2", got)
	}
	env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "after drop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
}

func TestTheClientReconnectsAfterADisconnectFrame(t *testing.T) {
	for _, reason := range []string{"refresh_requested", "link_disabled"} {
		t.Run(reason, func(t *testing.T) {
			s := newTestServer(t)
			connectedBot(t, s, nil)
			ctx := testContext(t)
			s.Disconnect(reason)
			if err := s.WaitConnected(ctx, 2); err != nil {
				t.Fatal(err)
			}
			if got := s.Connections(); got != 2 {
				t.Errorf("Connections() = %d, want 2", got)
			}
			env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "after "+reason)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.WaitAck(ctx, env.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEnvelopesSentWhileNoSocketIsUpGoOutOnTheNextConnection(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	sent := make(chan Envelope, 1)
	go func() {
		env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "queued")
		if err != nil {
			t.Error(err)
		}
		sent <- env
	}()
	// Wait until the command is queued before the bot connects.
	if err := waitFor(ctx, s, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.queue) == 1 }); err != nil {
		t.Fatal(err)
	}
	connectedBot(t, s, nil)
	env := <-sent
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
}

func TestASendThatTimesOutWithoutASocketIsNotSentLater(t *testing.T) {
	s := newTestServer(t)
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	if _, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "never"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	b := connectedBot(t, s, nil)
	env, err := s.SlashCommand(testContext(t), alice.ID, ops.ID, "/mde", "real")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(testContext(t), env.ID); err != nil {
		t.Fatal(err)
	}
	for evt := range drain(b.events) {
		if cmd, ok := evt.Data.(slack.SlashCommand); ok && cmd.Text == "never" {
			t.Error("the cancelled command was delivered")
		}
	}
}

func TestAMalformedEnvelopeReachesTheClientAsABadMessage(t *testing.T) {
	s := newTestServer(t)
	b := connectedBot(t, s, nil)
	ctx := testContext(t)
	if err := s.SendRaw(ctx, []byte(`{"envelope_id":"bad-1","type":"slash_commands","payload":"not an object"}`)); err != nil {
		t.Fatal(err)
	}
	evt := b.waitEvent(t, socketmode.EventTypeErrorBadMessage)
	if evt.Request != nil {
		t.Errorf("bad message carries a request: %+v", evt.Request)
	}
	// The next good envelope is still acked, and the bad one never was.
	env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Acks() {
		if a.EnvelopeID == "bad-1" {
			t.Error("the malformed envelope was acked")
		}
	}
	if u := s.Unacked(); len(u) != 0 {
		t.Errorf("unacked = %+v", u)
	}
}

func TestUnackedListsEnvelopesTheBotIgnored(t *testing.T) {
	s := newTestServer(t)
	connectedBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if cmd, ok := evt.Data.(slack.SlashCommand); ok && cmd.Text == "ignore me" {
			return
		}
		_ = c.Ack(*evt.Request)
	})
	ctx := testContext(t)
	ignored, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "ignore me")
	if err != nil {
		t.Fatal(err)
	}
	acked, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "ack me")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(ctx, acked.ID); err != nil {
		t.Fatal(err)
	}
	want := []Envelope{{ID: ignored.ID, SentAt: ignored.SentAt, Kind: "slash_commands", UserID: alice.ID}}
	if diff := cmp.Diff(want, s.Unacked()); diff != "" {
		t.Errorf("unacked (-want +got):\n%s", diff)
	}
}

func TestAWrongAppTokenMakesRunContextReturnInvalidAuth(t *testing.T) {
	s := newTestServer(t)
	b := startBot(t, s, "xapp-1-wrong", nil)
	select {
	case err := <-b.done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("RunContext returned %v, want invalid_auth", err)
		}
	case <-testContext(t).Done():
		t.Fatal("RunContext did not return")
	}
	if s.Connected() || s.Connections() != 0 {
		t.Errorf("connected=%v connections=%d after invalid_auth", s.Connected(), s.Connections())
	}
}

// waitFor waits until cond holds, re-checking on every state change.
func waitFor(ctx context.Context, s *Server, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		if err := s.waitChange(ctx, ch); err != nil {
			return err
		}
	}
}

// drain returns the events buffered so far.
func drain(ch chan socketmode.Event) chan socketmode.Event {
	out := make(chan socketmode.Event, len(ch))
	for len(ch) > 0 {
		out <- <-ch
	}
	close(out)
	return out
}
