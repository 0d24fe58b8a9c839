package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// testTimeout bounds every wait in these tests; nothing sleeps.
const testTimeout = 10 * time.Second

var (
	alice = User{ID: "U0ALICE", Name: "alice", RealName: "Alice Admin", Email: "alice@example.com", TZ: "Europe/Paris"}
	bob   = User{ID: "U0BOB", Name: "bob", RealName: "Bob Builder", Email: "bob@example.com"}
	ops   = Channel{ID: "C0OPS", Name: "secops"}
)

func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewServer(append([]Option{WithUsers(alice, bob), WithChannels(ops)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func webClient(s *Server) *slack.Client {
	return slack.New(BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(AppToken))
}

// testBot runs the real socketmode client against the fake.
type testBot struct {
	client *socketmode.Client
	events chan socketmode.Event
	done   chan error
}

// startBot runs a socketmode client; handle (if not nil) is called for each
// event with a request, otherwise every request is acked without payload.
func startBot(t testing.TB, s *Server, appToken string, handle func(*socketmode.Client, socketmode.Event)) *testBot {
	t.Helper()
	api := slack.New(BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(appToken))
	b := &testBot{
		client: socketmode.New(api),
		events: make(chan socketmode.Event, 1000),
		done:   make(chan error, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { b.done <- b.client.RunContext(ctx) }()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for {
			select {
			case evt := <-b.client.Events:
				switch evt.Type {
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
					if handle != nil {
						handle(b.client, evt)
					} else {
						_ = b.client.Ack(*evt.Request)
					}
				}
				select {
				case b.events <- evt:
				default:
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-loopDone
	})
	return b
}

// waitEvent returns the next event of type typ.
func (b *testBot) waitEvent(t testing.TB, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case evt := <-b.events:
			if evt.Type == typ {
				return evt
			}
		case <-ctx.Done():
			t.Fatalf("no %s event: %v", typ, ctx.Err())
		}
	}
}

// connectedBot starts a bot and waits for its hello.
func connectedBot(t testing.TB, s *Server, handle func(*socketmode.Client, socketmode.Event)) *testBot {
	t.Helper()
	b := startBot(t, s, AppToken, handle)
	b.waitEvent(t, socketmode.EventTypeHello)
	return b
}

// rawBlock is a Block Kit block given as raw JSON, for blocks slack-go's
// types cannot express (mistakes the fake must reject).
type rawBlock string

func (r rawBlock) BlockType() slack.MessageBlockType { return "raw" }
func (r rawBlock) ID() string                        { return "" }
func (r rawBlock) MarshalJSON() ([]byte, error)      { return []byte(r), nil }

// slackError returns the Slack error string of err ("" if err is nil).
func slackError(err error) string {
	if err == nil {
		return ""
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return err.Error()
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
