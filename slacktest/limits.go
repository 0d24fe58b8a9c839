package slacktest

import (
	"math"
	"net/http"
	"time"
)

// Limits are the Web API rate limits the fake enforces (WithRateLimits).
// A call over a limit is not processed: it answers HTTP 429 with a
// Retry-After header in whole seconds, as Slack does, and is recorded in
// Calls with Error "ratelimited".
type Limits struct {
	// PostEvery and PostBurst limit chat.postMessage per channel: a burst
	// of PostBurst, then one every PostEvery.
	PostEvery time.Duration
	PostBurst int
	// PerWindow limits the other methods it names (Slack's tiers): at most
	// that many calls in any Window, per method, workspace-wide.
	PerWindow map[string]int
	Window    time.Duration
}

// SlackLimits are Slack's documented limits for the methods the bot sends
// with: chat.postMessage about one message per second per channel with a
// short burst; chat.update and conversations.open Tier 3 (50 a minute);
// chat.postEphemeral and views.publish Tier 4 (100 a minute).
func SlackLimits() Limits {
	return Limits{
		PostEvery: time.Second, PostBurst: 3,
		PerWindow: map[string]int{"chat.update": 50, "conversations.open": 50, "chat.postEphemeral": 100, "views.publish": 100},
		Window:    time.Minute,
	}
}

// Scaled returns l with every period divided by f, for tests that want
// Slack's shape faster (Retry-After stays whole seconds, at least 1).
func (l Limits) Scaled(f float64) Limits {
	l.PostEvery = time.Duration(float64(l.PostEvery) / f)
	l.Window = time.Duration(float64(l.Window) / f)
	return l
}

// WithRateLimits makes the fake enforce l (see SlackLimits). Without it
// the fake answers every call.
func WithRateLimits(l Limits) Option {
	return func(s *Server) {
		s.limits = &limiter{l: l, posts: map[string]time.Time{}, windows: map[string][]time.Time{}, paused: map[string]time.Time{}}
	}
}

// limiter is the state of the rate limits; the Server's lock guards it.
type limiter struct {
	l          Limits
	posts      map[string]time.Time   // channel → theoretical arrival time (GCRA)
	windows    map[string][]time.Time // method → its calls in the last Window
	paused     map[string]time.Time   // limit key → when its last Retry-After expires
	violations []APICall              // calls made before their Retry-After expired
}

// check admits the call c at now, or returns how long to wait; it also
// records a call made while a Retry-After it answered still ran.
func (lm *limiter) check(c *call, now time.Time) time.Duration {
	key := limitKey(c)
	if until, ok := lm.paused[key]; ok && now.Before(until) {
		lm.violations = append(lm.violations, APICall{Method: c.method, Params: c.params, JSON: c.body, At: now})
	}
	wait := lm.admit(c, key, now)
	if wait > 0 {
		ra := retryAfter(wait)
		lm.paused[key] = now.Add(ra)
		return ra
	}
	return 0
}

// pauseLocked records a Retry-After of ra answered to c at now.
func (lm *limiter) pauseLocked(c *call, now time.Time, ra time.Duration) {
	if until := now.Add(ra); until.After(lm.paused[limitKey(c)]) {
		lm.paused[limitKey(c)] = until
	}
}

// limitKey is what c is limited under: its method, and for
// chat.postMessage its channel.
func limitKey(c *call) string {
	if c.method == "chat.postMessage" {
		return c.method + "/" + c.param("channel")
	}
	return c.method
}

func (lm *limiter) admit(c *call, key string, now time.Time) time.Duration {
	if c.method == "chat.postMessage" {
		if lm.l.PostEvery <= 0 {
			return 0
		}
		tat := lm.posts[key]
		if tat.Before(now) {
			tat = now
		}
		allowAt := tat.Add(-time.Duration(max(lm.l.PostBurst, 1)-1) * lm.l.PostEvery)
		if now.Before(allowAt) {
			return allowAt.Sub(now)
		}
		lm.posts[key] = tat.Add(lm.l.PostEvery)
		return 0
	}
	n, ok := lm.l.PerWindow[c.method]
	if !ok || lm.l.Window <= 0 {
		return 0
	}
	calls := lm.windows[key]
	for len(calls) > 0 && !calls[0].After(now.Add(-lm.l.Window)) {
		calls = calls[1:]
	}
	if len(calls) >= n {
		lm.windows[key] = calls
		return calls[0].Add(lm.l.Window).Sub(now)
	}
	lm.windows[key] = append(calls, now)
	return 0
}

// retryAfter rounds d up to whole seconds, at least one: what a
// Retry-After header can say.
func retryAfter(d time.Duration) time.Duration {
	return time.Duration(max(1, math.Ceil(d.Seconds()))) * time.Second
}

// RetryAfterViolations returns the calls made to a method (for
// chat.postMessage, a channel) while a Retry-After the fake answered for
// it had not expired yet: a client that honours Retry-After makes none.
func (s *Server) RetryAfterViolations() []APICall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		return nil
	}
	return append([]APICall(nil), s.limits.violations...)
}

// RateLimited counts the calls the fake answered with HTTP 429, by method.
func (s *Server) RateLimited() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, c := range s.calls {
		if c.Error == "ratelimited" {
			out[c.Method]++
		}
	}
	return out
}

// FailNextHTTP makes the next n calls of method answer HTTP status (a 5xx:
// 500, 502, 503) without processing them, as Slack's edge does when it is
// unwell.
func (s *Server) FailNextHTTP(method string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpFailures[method] = &httpFailure{n: n, status: status}
}

// SlowNext makes the next n calls of method be processed at once but
// answered only after d: a client whose timeout is shorter sees a timeout
// for a call Slack took (the ambiguous case).
func (s *Server) SlowNext(method string, n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpFailures[method] = &httpFailure{n: n, delay: d}
}

// httpFailure is a scripted HTTP-level failure of a method's next calls.
type httpFailure struct {
	n      int
	status int           // answer this status unprocessed
	delay  time.Duration // or process, then answer after this long
}

// takeHTTPFailureLocked consumes one scripted HTTP failure of method.
func (s *Server) takeHTTPFailureLocked(method string) (httpFailure, bool) {
	f := s.httpFailures[method]
	if f == nil || f.n <= 0 {
		return httpFailure{}, false
	}
	f.n--
	return *f, true
}

// writeStatus answers an unprocessed call with an HTTP error status.
func writeStatus(w http.ResponseWriter, status int) {
	http.Error(w, http.StatusText(status), status)
}
