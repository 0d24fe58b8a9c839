package slacktest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestPostingFasterThanAChannelAllowsIsRateLimitedWithRetryAfter(t *testing.T) {
	s := newTestServer(t, WithRateLimits(Limits{PostEvery: time.Hour, PostBurst: 2}))
	api := webClient(s)
	ctx := testContext(t)
	for i := range 2 {
		if _, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("burst", false)); err != nil {
			t.Fatalf("post %d of the burst: %v", i, err)
		}
	}
	_, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("one too many", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter < time.Hour-time.Second {
		t.Fatalf("third post: %v, want a rate limit with Retry-After of about an hour", err)
	}
	if n := len(s.Messages(ops.ID)); n != 2 {
		t.Fatalf("%d messages stored, want 2: a rate-limited post is not processed", n)
	}
	if v := s.RetryAfterViolations(); len(v) != 0 {
		t.Fatalf("violations before any early call: %v", v)
	}
	// Another channel has its own limit; this one is still paused, and a
	// call before Retry-After expired is recorded as a violation.
	dm := DMChannelID(alice.ID)
	if _, _, err := api.PostMessageContext(ctx, dm, slack.MsgOptionText("elsewhere", false)); err != nil {
		t.Fatalf("a post in another channel: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("too early", false)); !errors.As(err, &rl) {
		t.Fatalf("a post before Retry-After: %v, want rate limited", err)
	}
	if v := s.RetryAfterViolations(); len(v) != 1 || v[0].Method != "chat.postMessage" {
		t.Fatalf("violations: %+v, want the early post", v)
	}
	if got := s.RateLimited()["chat.postMessage"]; got != 2 {
		t.Fatalf("RateLimited counts %d chat.postMessage, want 2", got)
	}
}

func TestATieredMethodAllowsSoManyCallsPerWindow(t *testing.T) {
	s := newTestServer(t, WithRateLimits(Limits{PerWindow: map[string]int{"views.publish": 3}, Window: time.Hour}))
	api := webClient(s)
	ctx := testContext(t)
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	for i := range 3 {
		if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: alice.ID, View: view}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	_, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: bob.ID, View: view})
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("fourth publish in the window: %v, want rate limited", err)
	}
	// Methods the limits do not name are not limited.
	for range 5 {
		if _, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ops.ID, Ts: "1.000001"}); err != nil && errors.As(err, &rl) {
			t.Fatalf("an unlimited method was rate limited: %v", err)
		}
	}
}

func TestScriptedServerErrorsAreNotProcessed(t *testing.T) {
	s := newTestServer(t)
	s.FailNextHTTP("chat.postMessage", 1, http.StatusServiceUnavailable)
	api := webClient(s)
	ctx := testContext(t)
	_, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Fatalf("post: %v, want a 503", err)
	}
	if len(s.Messages(ops.ID)) != 0 {
		t.Fatal("a 503 post was stored")
	}
	if _, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("the next post: %v", err)
	}
}

func TestASlowReplyTimesTheClientOutAfterTheCallWasTaken(t *testing.T) {
	s := newTestServer(t)
	s.SlowNext("chat.postMessage", 1, time.Minute)
	api := slack.New(BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
	if _, _, err := api.PostMessageContext(testContext(t), ops.ID, slack.MsgOptionText("x", false)); err == nil {
		t.Fatal("the slow post did not time out")
	}
	if len(s.Messages(ops.ID)) != 1 {
		t.Fatal("the slow post was not stored: the ambiguous case is a call Slack took")
	}
}

func TestABotRemovedFromAChannelCannotPostOrEditThere(t *testing.T) {
	s := newTestServer(t)
	api := webClient(s)
	ctx := testContext(t)
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	s.RemoveBot(ops.ID)
	if _, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("after", false)); err == nil || err.Error() != "not_in_channel" {
		t.Errorf("post after removal: %v, want not_in_channel", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionText("edited", false)); err == nil || err.Error() != "not_in_channel" {
		t.Errorf("edit after removal: %v, want not_in_channel", err)
	}
	if _, _, err := api.PostMessageContext(ctx, DMChannelID(alice.ID), slack.MsgOptionText("a DM", false)); err != nil {
		t.Errorf("a DM after removal from a channel: %v", err)
	}
}
