package slacktest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// dialRaw opens a socket the way slack-go does (Origin header, extra query
// parameters), with a plain gorilla client.
func dialRaw(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	ctx := testContext(t)
	_, wsURL, err := slack.New(BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(AppToken)).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL+"&debug_reconnects=true", http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestTheSocketSendsHelloThenPingsEveryInterval(t *testing.T) {
	s := newTestServer(t, WithPingInterval(5*time.Millisecond))
	conn := dialRaw(t, s)
	pings := make(chan struct{}, 10)
	conn.SetPingHandler(func(string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return nil
	})
	frames := make(chan []byte, 10)
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				close(frames)
				return
			}
			frames <- data
		}
	}()
	var hello struct {
		Type           string `json:"type"`
		NumConnections int    `json:"num_connections"`
		DebugInfo      struct {
			Host string `json:"host"`
		} `json:"debug_info"`
		ConnectionInfo struct {
			AppID string `json:"app_id"`
		} `json:"connection_info"`
	}
	ctx := testContext(t)
	select {
	case data := <-frames:
		if err := json.Unmarshal(data, &hello); err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("no hello")
	}
	if hello.Type != "hello" || hello.NumConnections != 1 || hello.DebugInfo.Host == "" || hello.ConnectionInfo.AppID != AppID {
		t.Errorf("hello = %+v", hello)
	}
	for range 2 {
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatal("no ping")
		}
	}
}

func TestASocketTicketIsSingleUse(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	_, wsURL, err := slack.New(BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(AppToken)).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	_, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the same ticket: %v (%v)", err, resp)
	}
}

func TestAnAckFromARawSocketIsRecordedWithItsPayload(t *testing.T) {
	s := newTestServer(t)
	conn := dialRaw(t, s)
	ctx := testContext(t)
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	envc := make(chan Envelope, 1)
	go func() {
		env, err := s.OpenAppHome(ctx, alice.ID)
		if err != nil {
			t.Error(err)
		}
		envc <- env
	}()
	var frame struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	for frame.Type != "events_api" {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+frame.EnvelopeID+`","payload":{"k":"v"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`not json`)); err != nil {
		t.Fatal(err)
	}
	env := <-envc
	if env.ID != frame.EnvelopeID || env.Kind != "events_api" || env.UserID != alice.ID {
		t.Errorf("envelope = %+v, frame id %q", env, frame.EnvelopeID)
	}
	ack, err := s.WaitAck(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack.Payload) != `{"k":"v"}` {
		t.Errorf("payload = %s", ack.Payload)
	}
	if err := waitFor(ctx, s, func() bool { return len(s.UnparsedFrames()) == 1 }); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimitNextAnswers429WithRetryAfter(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	s.RateLimitNext("chat.postMessage", 1, 2*time.Second)
	_, _, err := webClient(s).PostMessageContext(ctx, ops.ID, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want a RateLimitedError of 2s", err)
	}
	if _, _, err := webClient(s).PostMessageContext(ctx, ops.ID, slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the rate limit: %v", err)
	}
	if calls := s.Calls(); calls[0].Error != "ratelimited" || calls[1].Error != "" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestSubscribeStreamsEveryKindOfChange(t *testing.T) {
	s := newTestServer(t)
	events, stop := s.Subscribe()
	defer stop()
	connectedBot(t, s, nil)
	ctx := testContext(t)
	api := webClient(s)
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("a", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionText("b", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, ops.ID, alice.ID, slack.MsgOptionText("c", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: alice.ID,
		View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}}); err != nil {
		t.Fatal(err)
	}
	env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	want := []EventKind{EventConnected, EventMessagePosted, EventMessageUpdated, EventMessagePosted, EventViewPublished, EventEnvelopeSent, EventAck}
	var got []EventKind
	for len(got) < len(want) {
		select {
		case e := <-events:
			got = append(got, e.Kind)
		case <-ctx.Done():
			t.Fatalf("events so far %v, want %v", got, want)
		}
	}
	if strings.Join(kinds(got), ",") != strings.Join(kinds(want), ",") {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestCloseEndsSubscriptionsAndWaits(t *testing.T) {
	s := NewServer()
	events, _ := s.Subscribe()
	s.Close()
	for range events {
	}
	if _, err := s.WaitMessage(testContext(t), func(Message) bool { return false }); !errors.Is(err, errServerClosed) {
		t.Errorf("WaitMessage after Close: %v", err)
	}
	s.Close() // twice is fine
}

func kinds(ks []EventKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}
