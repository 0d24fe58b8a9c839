package bot

import (
	"context"
	"errors"
	"fmt"
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
		Approvals: h.svc, History: h.db, Defender: h.def, Outbox: h.db,
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

// slack-go gives up on its own only for four of Slack's token refusals and
// retries the others for ever; the socket loop stops on every one of them.
func TestRunFailsWithErrInvalidAuthWhenTheAppTokenIsTheBotToken(t *testing.T) {
	h := newHarness(t)
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL()), slack.OptionAppLevelToken(slacktest.BotToken))
	b, err := New(Options{
		Slack: slack.New(slacktest.BotToken, slack.OptionAPIURL(h.slack.APIURL())), Socket: socketmode.New(api),
		Approvals: h.svc, History: h.db, Defender: h.def, Outbox: h.db,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), harnessWait)
	defer cancel()
	err = b.Run(ctx)
	if !errors.Is(err, ErrInvalidAuth) {
		t.Fatalf("Run = %v, want ErrInvalidAuth", err)
	}
	if code, ok := AuthErrorCode(err); !ok || code != "not_allowed_token_type" {
		t.Errorf("AuthErrorCode(%v) = %q, %v; want not_allowed_token_type", err, code, ok)
	}
}

func TestAuthErrorCodeKnowsEveryTokenRefusal(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
		ok   bool
	}{
		{"no error", nil, "", false},
		{"a Slack error reply", slack.SlackErrorResponse{Err: "invalid_auth"}, "invalid_auth", true},
		{"a wrapped Slack error reply", fmt.Errorf("%w: %w", ErrInvalidAuth, slack.SlackErrorResponse{Err: "token_expired"}), "token_expired", true},
		{"the wrong kind of token", slack.SlackErrorResponse{Err: "not_allowed_token_type"}, "not_allowed_token_type", true},
		{"an error whose text is the code", errors.New("token_revoked"), "token_revoked", true},
		{"no token", errors.New("not_authed"), "not_authed", true},
		{"a deactivated workspace", errors.New("account_inactive"), "account_inactive", true},
		{"a rate limit", slack.SlackErrorResponse{Err: "ratelimited"}, "", false},
		{"a network failure", errors.New("dial tcp: connection refused"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := AuthErrorCode(tt.err)
			if code != tt.code || ok != tt.ok {
				t.Errorf("AuthErrorCode(%v) = %q, %v; want %q, %v", tt.err, code, ok, tt.code, tt.ok)
			}
		})
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
	for _, evt := range []socketmode.Event{
		connecting, failed, connecting, failed, connecting, connected(0), // a slow start
		broken, connecting, failed, connecting, failed, connecting, connected(1), // a lost connection
		connecting, connected(2), // Slack asked for a reconnect
	} {
		if err := l.dispatch(t.Context(), evt, nil); err != nil { // no envelope: no lane is used
			t.Fatal(err)
		}
	}
	want := []string{"up", "down", "up again", "down", "up again"}
	if diff := cmp.Diff(want, rec.states); diff != "" {
		t.Errorf("observed states (-want +got):\n%s", diff)
	}
}
