package playground

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// startPlayground starts a playground on a free port with a fresh data
// directory, closed when the test ends.
func startPlayground(t *testing.T) *Playground {
	t.Helper()
	p, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// testContext bounds a test's waits.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// botClient is the Web API client a bot would use against the playground.
func botClient(p *Playground) *slack.Client {
	env := p.Env()
	return slack.New(env["SLACK_BOT_TOKEN"], slack.OptionAPIURL(env["SLACK_API_URL"]), slack.OptionAppLevelToken(env["SLACK_APP_TOKEN"]))
}

// connectBot connects a Socket Mode client, as the bot does, and returns the
// requests it receives (each acked with ack's payload, or none).
func connectBot(t *testing.T, p *Playground, ack func(socketmode.Event) any) <-chan socketmode.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sm := socketmode.New(botClient(p))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sm.RunContext(ctx)
	}()
	out := make(chan socketmode.Event, 64)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if evt.Request == nil {
					continue
				}
				var payload any
				if ack != nil {
					payload = ack(evt)
				}
				if payload != nil {
					sm.Ack(*evt.Request, payload)
				} else {
					sm.Ack(*evt.Request)
				}
				out <- evt
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if err := p.Slack().WaitConnected(testContext(t), 1); err != nil {
		t.Fatalf("the bot did not connect: %v", err)
	}
	return out
}

// nextEvent returns the next request of the given type the bot received.
func nextEvent(t *testing.T, events <-chan socketmode.Event, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("no %s request reached the bot", typ)
		case evt := <-events:
			if evt.Type == typ {
				return evt
			}
		}
	}
}

// getState fetches the page state as user sees it.
func getState(t *testing.T, p *Playground, user string) State {
	t.Helper()
	res, err := http.Get(p.URL() + "api/state?user=" + user)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/state: %s", res.Status)
	}
	var st State
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// post sends a JSON body to the page's API and decodes the answer.
func post(t *testing.T, p *Playground, path string, body any) (int, apiResult) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(p.URL()+strings.TrimPrefix(path, "/"), "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out apiResult
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: decoding the answer: %v", path, err)
	}
	return res.StatusCode, out
}

// sseStream reads the page's event stream; its channel yields each event's
// name and data.
func sseStream(t *testing.T, p *Playground) <-chan [2]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("GET /events: Content-Type %q", ct)
	}
	out := make(chan [2]string, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		readSSE(res.Body, out)
	}()
	t.Cleanup(func() {
		cancel()
		res.Body.Close()
		<-done
	})
	return out
}

func readSSE(r io.Reader, out chan<- [2]string) {
	sc := bufio.NewScanner(r)
	var name, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if name != "" || data != "" {
				out <- [2]string{name, data}
			}
			name, data = "", ""
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// waitSSE waits for an event named name whose data is data.
func waitSSE(t *testing.T, events <-chan [2]string, name, data string) {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("no %s %q event on the stream", name, data)
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended before %s %q", name, data)
			}
			if e[0] == name && e[1] == data {
				return
			}
		}
	}
}

// cardBlocks is a message as the bot posts one: a header, fields, a context
// with a mention and a date, and buttons, one with a confirm dialog.
func cardBlocks() []slack.Block {
	confirm := slack.NewConfirmationBlockObject(
		slack.NewTextBlockObject(slack.PlainTextType, "Approve isolate?", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Isolating ws-0042 cuts it off the network.", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Back", false, false),
	)
	approve := slack.NewButtonBlockElement("mde_approve", "req-1:abc", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).
		WithStyle(slack.StylePrimary).WithConfirm(confirm)
	deny := slack.NewButtonBlockElement("mde_deny", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)).
		WithStyle(slack.StyleDanger)
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Isolate (Full): ws-0042.contoso.local", false, false)),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			slack.NewTextBlockObject(slack.MarkdownType, "*Machine*\n`ws-0042.contoso.local`", false, true),
			slack.NewTextBlockObject(slack.MarkdownType, "*Requested by*\n<@"+ResponderID+">", false, true),
		}, nil),
		slack.NewContextBlock("mde_card_status", slack.NewTextBlockObject(slack.MarkdownType,
			":hourglass_flowing_sand: Awaiting 1 approval · expires <!date^1795434300^{time}|11:45 UTC>", false, true)),
		slack.NewActionBlock("mde_card_actions", approve, deny),
	}
}

// postCard posts cardBlocks to #incident as the bot and returns its ts.
func postCard(t *testing.T, p *Playground) string {
	t.Helper()
	_, ts, err := botClient(p).PostMessageContext(testContext(t), ChannelID,
		slack.MsgOptionText("Isolate (Full): ws-0042.contoso.local: awaiting approval", false), slack.MsgOptionBlocks(cardBlocks()...))
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	return ts
}
