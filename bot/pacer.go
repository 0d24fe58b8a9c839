package bot

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/slack-go/slack"
)

// SlackLimits is how fast the bot sends to Slack: Slack's documented rate
// limits, which the bot keeps to rather than discovers (a 429 still pauses
// the method, or the channel, for its Retry-After).
type SlackLimits struct {
	// PostEvery is the spacing of chat.postMessage in one channel (Slack:
	// about one message per second per channel).
	PostEvery time.Duration
	// Every is the spacing of each other paced method, workspace-wide:
	// its Slack tier's calls per minute, spread evenly.
	Every map[string]time.Duration
}

// DefaultSlackLimits are Slack's limits: one post per second per channel;
// chat.update and conversations.open Tier 3 (50 a minute);
// chat.postEphemeral and views.publish Tier 4 (100 a minute).
func DefaultSlackLimits() SlackLimits {
	return SlackLimits{
		PostEvery: time.Second,
		Every: map[string]time.Duration{
			"chat.update": time.Minute / 50, "conversations.open": time.Minute / 50,
			"chat.postEphemeral": time.Minute / 100, "views.publish": time.Minute / 100,
		},
	}
}

// pacer spaces the calls of each limit key (a method, or
// chat.postMessage/<channel>) and holds a key paused after a 429 until its
// Retry-After. Urgent callers (someone waits for the answer) go ahead of
// the others waiting on the same key.
type pacer struct {
	limits SlackLimits
	now    func() time.Time
	onWait func(key string, until time.Time) // told once per pause

	mu   sync.Mutex
	keys map[string]*paceKey
}

type paceKey struct {
	next   time.Time // the earliest time of the next call
	paused time.Time // a Retry-After runs until then
	urgent int       // urgent callers waiting
	// busy is set while a post to this key's channel is under way: the
	// next one waits for its answer, so a 429 it gets pauses the key
	// before another post leaves (a post in flight would arrive inside
	// the Retry-After).
	busy  bool
	freed chan struct{} // closed when busy is cleared, if someone waits
}

func newPacer(l SlackLimits, now func() time.Time) *pacer {
	return &pacer{limits: l, now: now, keys: map[string]*paceKey{}}
}

// limitKey is the key method's calls to channel are paced under.
func limitKey(method, channel string) string {
	if method == "chat.postMessage" {
		return method + "/" + channel
	}
	return method
}

func (p *pacer) every(key, method string) time.Duration {
	if method == "chat.postMessage" {
		return p.limits.PostEvery
	}
	return p.limits.Every[method]
}

// wait returns when a call of method under key may be made, having taken
// its slot, or ctx's error.
func (p *pacer) wait(ctx context.Context, method, key string, urgent bool) error {
	every := p.every(key, method)
	p.mu.Lock()
	k := p.keys[key]
	if k == nil {
		k = &paceKey{}
		p.keys[key] = k
	}
	if urgent {
		k.urgent++
		defer func() { p.mu.Lock(); k.urgent--; p.mu.Unlock() }()
	}
	exclusive := method == "chat.postMessage"
	for {
		if exclusive && k.busy {
			if k.freed == nil {
				k.freed = make(chan struct{})
			}
			freed := k.freed
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-freed:
			}
			p.mu.Lock()
			continue
		}
		now := p.now()
		at := k.next
		if k.paused.After(at) {
			at = k.paused
		}
		if !urgent && k.urgent > 0 && !at.After(now) {
			// Let the urgent callers take this slot.
			at = now.Add(max(every, time.Millisecond))
		}
		if !at.After(now) {
			k.next = now.Add(every)
			k.busy = exclusive
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		t := time.NewTimer(at.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		p.mu.Lock()
	}
}

// release ends the call that wait let through under key: the next post
// to its channel may go (once its slot and any pause allow).
func (p *pacer) release(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.keys[key]
	if k == nil || !k.busy {
		return
	}
	k.busy = false
	if k.freed != nil {
		close(k.freed)
		k.freed = nil
	}
}

// pause holds key until now+d (a Retry-After).
func (p *pacer) pause(key string, d time.Duration) {
	p.mu.Lock()
	k := p.keys[key]
	if k == nil {
		k = &paceKey{}
		p.keys[key] = k
	}
	until := p.now().Add(d)
	fresh := until.After(k.paused)
	if fresh {
		k.paused = until
	}
	onWait := p.onWait
	p.mu.Unlock()
	if fresh && onWait != nil {
		onWait(key, until)
	}
}

// failure is how a Slack call failed, for deciding what to do next.
type failure int

const (
	failNone      failure = iota
	failRateLimit         // HTTP 429: not taken; wait Retry-After, then retry
	failTransient         // 5xx, connection refused, timeout: retry with backoff
	failPermanent         // Slack's answer will not change: do not retry
	failStopped           // our own context ended
)

// transientSlackErrors are error strings Slack answers for its own trouble.
var transientSlackErrors = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true, "ratelimited": true,
}

// classify says how err, from a Slack Web API call made under ctx, failed,
// with the Retry-After of a 429 and the Slack error code of a refusal.
// failTransient with code "no_reply" is ambiguous (a timeout or a reset:
// Slack may have taken the call); "connection_refused" is not.
func classify(ctx context.Context, err error) (f failure, retryAfter time.Duration, code string) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
		return failNone, 0, ""
	case errors.As(err, &rl):
		return failRateLimit, max(rl.RetryAfter, time.Second), "ratelimited"
	case ctx.Err() != nil:
		return failStopped, 0, ""
	case errors.As(err, &sc):
		if sc.Code >= http.StatusInternalServerError {
			return failTransient, 0, http.StatusText(sc.Code)
		}
		return failPermanent, 0, http.StatusText(sc.Code)
	case errors.As(err, &se):
		if transientSlackErrors[se.Err] {
			return failTransient, 0, se.Err
		}
		return failPermanent, 0, se.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return failTransient, 0, "connection_refused"
	default:
		// No answer: a timeout, a reset connection.
		return failTransient, 0, "no_reply"
	}
}

// backoff is the wait before retry attempt n (0-based) after a transient
// failure: capped exponential, with full jitter.
func backoff(n int) time.Duration {
	const base, ceiling = 250 * time.Millisecond, 30 * time.Second
	d := base << min(n, 8)
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

// sendError is a Slack call that failed for good (permanent, or out of
// attempts); Code is Slack's error string.
type sendError struct {
	Method    string
	Code      string
	Permanent bool
	Err       error
}

func (e *sendError) Error() string { return e.Method + ": " + e.Err.Error() }
func (e *sendError) Unwrap() error { return e.Err }

// send makes one Slack Web API call of method (to channel, for the
// per-channel post limit) through the one delivery path: paced by Slack's
// limits, paused for a 429's Retry-After and retried (a 429 means Slack did
// not take it), retried with backoff after a transient failure up to
// attempts times (0: until ctx ends), never retried after a permanent one.
// urgent calls (an answer someone waits for) go ahead of bulk ones.
//
// A post (chat.postMessage, chat.postEphemeral) is made at most once:
// after an ambiguous failure (a timeout once the call was sent) send gives
// up with code "ambiguous" rather than risk posting it twice; edits are
// retried. claim, when set, records this across restarts: it is told true
// before each attempt and false after an answer that says Slack did not
// take it (429, 5xx, connection refused).
func (b *Bot) send(ctx context.Context, method, channel string, urgent bool, attempts int, claim func(ctx context.Context, on bool) error, fn func(ctx context.Context) error) error {
	key := limitKey(method, channel)
	for n := 0; ; n++ {
		if err := b.pace.wait(ctx, method, key, urgent); err != nil {
			return err
		}
		// A call under way is not cut off when ctx ends (Run stopping):
		// cutting it would leave Slack's answer unknown.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		if claim != nil {
			if err := claim(cctx, true); err != nil {
				cancel()
				b.pace.release(key)
				return err
			}
		}
		err := fn(cctx)
		f, ra, code := classify(ctx, err)
		if f == failRateLimit {
			// Paused before the key is released, so no post leaves
			// inside the Retry-After.
			b.slackObs.RateLimited(method)
			b.pace.pause(key, ra)
		}
		b.pace.release(key)
		if claim != nil && (f == failRateLimit || f == failTransient && code != "no_reply") {
			if cerr := claim(cctx, false); cerr != nil {
				b.log.WarnContext(ctx, "releasing an outbox claim failed", "error", cerr)
			}
		}
		cancel()
		switch f {
		case failNone:
			return nil
		case failRateLimit:
			continue
		case failPermanent:
			return &sendError{Method: method, Code: code, Permanent: true, Err: err}
		case failStopped:
			return err
		}
		if code == "no_reply" && (claim != nil || method == "chat.postMessage" || method == "chat.postEphemeral") {
			// Slack may have taken it: a post is never repeated.
			return &sendError{Method: method, Code: "ambiguous", Err: err}
		}
		if attempts > 0 && n+1 >= attempts {
			return &sendError{Method: method, Code: code, Err: err}
		}
		b.log.DebugContext(ctx, "slack call failed; retrying", "method", method, "attempt", n+1, "error", err)
		t := time.NewTimer(backoff(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sendTimeout bounds one Slack call.
const sendTimeout = 30 * time.Second

// urgentAttempts is how many times an answer someone waits for is tried
// after transient failures.
const urgentAttempts = 4
