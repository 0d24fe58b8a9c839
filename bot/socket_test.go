package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/slacktest"
)

func TestAnUndecodableEnvelopeIsStillAcked(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx()
	if err := h.slack.SendRaw(ctx, []byte(`{"envelope_id":"env-bad-1","type":"slash_commands","accepts_response_payload":true,"payload":"not an object"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.WaitAck(ctx, "env-bad-1"); err != nil {
		t.Fatal(err)
	}
	// The bot still works afterwards.
	h.slash(responder, socChannel, "help")
	h.ephemeral(responder, "/mde isolate")
}

func TestRunFailsWithErrInvalidAuthWhenSlackRefusesTheAppToken(t *testing.T) {
	h := newHarness(t)
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()), slack.OptionAppLevelToken("xapp-1-wrong"))
	b, err := New(Options{
		Slack: slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL())), Socket: socketmode.New(api),
		Approvals: h.svc, Store: h.db, History: h.db, Defender: h.def,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), harnessWait)
	defer cancel()
	if err := b.Run(ctx); !errors.Is(err, ErrInvalidAuth) {
		t.Errorf("Run = %v, want ErrInvalidAuth", err)
	}
}

func TestNewRefusesMissingDependencies(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("New(Options{}) = %v, want a missing-dependency error", err)
	}
}

func TestGroupsResolveMembersOnceWithinTheTTLAndFailClosed(t *testing.T) {
	s := slacktest.NewServer(slacktest.WithUserGroups(slacktest.UserGroup{ID: approverSet, Handle: "a", Name: "A", Members: []string{approver1}}))
	defer s.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	g := NewGroups(slack.New(slacktest.BotToken, slack.OptionAPIURL(s.APIURL())), time.Minute, nil)
	g.now = func() time.Time { return now }
	ctx := context.Background()

	done := make(chan []string, 8)
	for range 8 {
		go func() { m, _ := g.Members(ctx, approverSet); done <- m }()
	}
	for range 8 {
		if m := <-done; len(m) != 1 || m[0] != approver1 {
			t.Fatalf("Members = %v, want [%s]", m, approver1)
		}
	}
	if n := s.CallCount("usergroups.users.list"); n != 1 {
		t.Errorf("usergroups.users.list calls = %d, want 1 for concurrent lookups within the TTL", n)
	}
	now = now.Add(2 * time.Minute)
	s.FailNext("usergroups.users.list", 1, "ratelimited")
	if m, err := g.Members(ctx, approverSet); err != nil || len(m) != 0 {
		t.Errorf("Members after a failed lookup = %v, %v; want no members and no error", m, err)
	}
	if m, _ := g.Members(ctx, approverSet); len(m) != 1 {
		t.Errorf("Members after recovery = %v, want the member again", m)
	}
}

// socketRecorder is an Observer that records the socket states it is told.
type socketRecorder struct {
	nopObserver
	states []string
}

func (r *socketRecorder) SocketConnected(up, reconnect bool) {
	switch {
	case up && reconnect:
		r.states = append(r.states, "up again")
	case up:
		r.states = append(r.states, "up")
	default:
		r.states = append(r.states, "down")
	}
}

func TestTheSocketStateIsObservedOncePerChange(t *testing.T) {
	connecting := socketmode.Event{Type: socketmode.EventTypeConnecting}
	failed := socketmode.Event{Type: socketmode.EventTypeConnectionError, Data: errors.New("dial tcp: connection refused")}
	broken := socketmode.Event{Type: socketmode.EventTypeIncomingError, Data: errors.New("websocket: close 1006")}
	connected := func(n int) socketmode.Event {
		return socketmode.Event{Type: socketmode.EventTypeConnected, Data: &socketmode.ConnectedEvent{ConnectionCount: n}}
	}
	rec := &socketRecorder{}
	l := &socketLoop{log: slog.New(slog.DiscardHandler), observe: rec}
	jobs := make(chan socketmode.Event, 1)
	for _, evt := range []socketmode.Event{
		connecting, failed, connecting, failed, connecting, connected(0), // a slow start
		broken, connecting, failed, connecting, failed, connecting, connected(1), // a lost connection
		connecting, connected(2), // Slack asked for a reconnect
	} {
		if err := l.dispatch(t.Context(), evt, jobs); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"up", "down", "up again", "down", "up again"}
	if diff := cmp.Diff(want, rec.states); diff != "" {
		t.Errorf("observed states (-want +got):\n%s", diff)
	}
}
