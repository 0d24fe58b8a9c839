package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"
)

func TestPostsInAChannelAreSpacedAndOtherChannelsAreNotHeldUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(SlackLimits{PostEvery: time.Second}, time.Now)
		ctx := context.Background()
		start := time.Now()
		for range 3 {
			if err := p.wait(ctx, "chat.postMessage", limitKey("chat.postMessage", "C1"), false); err != nil {
				t.Fatal(err)
			}
			p.release(limitKey("chat.postMessage", "C1"))
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("three posts in one channel took %s, want 2s", got)
		}
		before := time.Now()
		if err := p.wait(ctx, "chat.postMessage", limitKey("chat.postMessage", "C2"), false); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(before); got != 0 {
			t.Errorf("a post in another channel waited %s", got)
		}
	})
}

func TestAPostWaitsForTheAnswerToTheChannelsPreviousPostSoA429PausesItFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(SlackLimits{PostEvery: time.Millisecond}, time.Now)
		ctx := context.Background()
		key := limitKey("chat.postMessage", "C1")
		if err := p.wait(ctx, "chat.postMessage", key, false); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		second := make(chan time.Duration)
		go func() {
			if err := p.wait(ctx, "chat.postMessage", key, false); err != nil {
				t.Error(err)
			}
			second <- time.Since(start)
		}()
		// The first post is answered after 5 s with a 429 of 30 s.
		time.Sleep(5 * time.Second)
		p.pause(key, 30*time.Second)
		p.release(key)
		if got := <-second; got != 35*time.Second {
			t.Errorf("the second post left after %s, want 35s: after the first's answer and its Retry-After", got)
		}
		// Another method's calls are not held by a post under way.
		if err := p.wait(ctx, "chat.update", "chat.update", false); err != nil {
			t.Fatal(err)
		}
		if err := p.wait(ctx, "chat.update", "chat.update", false); err != nil {
			t.Fatal(err)
		}
	})
}

func TestARetryAfterHoldsItsKeyUntilItExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var paused []string
		p := newPacer(SlackLimits{Every: map[string]time.Duration{"chat.update": time.Millisecond}}, time.Now)
		p.onWait = func(key string, _ time.Time) { paused = append(paused, key) }
		ctx := context.Background()
		p.pause("chat.update", 30*time.Second)
		p.pause("chat.update", 10*time.Second) // shorter: changes nothing
		start := time.Now()
		if err := p.wait(ctx, "chat.update", "chat.update", false); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 30*time.Second {
			t.Errorf("waited %s after a 30s Retry-After", got)
		}
		if fmt.Sprint(paused) != "[chat.update]" {
			t.Errorf("pauses told: %v, want one", paused)
		}
		cctx, cancel := context.WithCancel(ctx)
		p.pause("chat.update", time.Hour)
		cancel()
		if err := p.wait(cctx, "chat.update", "chat.update", false); !errors.Is(err, context.Canceled) {
			t.Errorf("wait with an ended context = %v", err)
		}
	})
}

func TestAnUrgentCallGoesAheadOfBulkOnesWaitingOnItsKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(SlackLimits{PostEvery: time.Second}, time.Now)
		ctx := context.Background()
		key := limitKey("chat.postMessage", "C1")
		_ = p.wait(ctx, "chat.postMessage", key, false) // takes the slot of now
		p.release(key)
		var mu sync.Mutex
		var order []string
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				_ = p.wait(ctx, "chat.postMessage", key, false)
				mu.Lock()
				order = append(order, fmt.Sprint("bulk", i))
				mu.Unlock()
				p.release(key)
			})
		}
		synctest.Wait()
		wg.Go(func() {
			_ = p.wait(ctx, "chat.postMessage", key, true)
			mu.Lock()
			order = append(order, "urgent")
			mu.Unlock()
			p.release(key)
		})
		wg.Wait()
		if order[0] != "urgent" {
			t.Errorf("order %v, want the urgent call first", order)
		}
	})
}

func TestSlackFailuresAreClassifiedByWhetherSlackTookTheCall(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		err  error
		want failure
		code string
	}{
		{"a 429", &slack.RateLimitedError{RetryAfter: 3 * time.Second}, failRateLimit, "ratelimited"},
		{"a 503", slack.StatusCodeError{Code: http.StatusServiceUnavailable, Status: "503"}, failTransient, "Service Unavailable"},
		{"a 404", slack.StatusCodeError{Code: http.StatusNotFound, Status: "404"}, failPermanent, "Not Found"},
		{"not_in_channel", slack.SlackErrorResponse{Err: "not_in_channel"}, failPermanent, "not_in_channel"},
		{"a revoked token", slack.SlackErrorResponse{Err: "token_revoked"}, failPermanent, "token_revoked"},
		{"Slack's internal_error", slack.SlackErrorResponse{Err: "internal_error"}, failTransient, "internal_error"},
		{"connection refused", fmt.Errorf("post: %w", syscall.ECONNREFUSED), failTransient, "connection_refused"},
		{"a timeout", context.DeadlineExceeded, failTransient, "no_reply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, code := classify(ctx, tc.err)
			if f != tc.want || code != tc.code {
				t.Errorf("classify = %d %q, want %d %q", f, code, tc.want, tc.code)
			}
		})
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if f, _, _ := classify(stopped, context.Canceled); f != failStopped {
		t.Errorf("an ended context classifies as %d, want failStopped", f)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for n := range 20 {
		d := backoff(n)
		ceiling := min(250*time.Millisecond<<min(n, 8), 30*time.Second)
		if d < ceiling/2 || d > ceiling {
			t.Errorf("backoff(%d) = %s, want within [%s, %s]", n, d, ceiling/2, ceiling)
		}
	}
}
