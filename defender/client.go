package defender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to the MDE API. Create it with [NewClient]; it is safe for
// concurrent use. Its services group the endpoints the way MDE does.
type Client struct {
	// Machines finds machines.
	Machines *MachinesService
	// Actions runs machine actions and reads their status.
	Actions *ActionsService
	// Indicators blocks and unblocks files.
	Indicators *IndicatorsService

	baseURL     *url.URL
	httpClient  *http.Client
	tokens      TokenSource
	clock       Clock
	userAgent   string
	maxAttempts int
	limiters    map[Family]*limiter
	observer    Observer
	// maxBudgetWait, when positive, is the longest a call waits for its
	// budget before failing with a *BudgetError (see WithMaxBudgetWait).
	maxBudgetWait time.Duration
	// background marks a client whose calls yield to other calls of the
	// same family (see Background).
	background bool
}

// Option configures a Client.
type Option func(*config) error

type config struct {
	baseURL     string
	httpClient  *http.Client
	tokens      TokenSource
	clock       Clock
	userAgent   string
	maxAttempts int
	budgets     map[Family]Budget
	observer    Observer
}

// WithBaseURL sets the MDE API base URL (default [DefaultBaseURL]); paths
// such as /api/machines are appended to it.
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithHTTPClient sets the HTTP client used for API calls (default: a client
// with a 60 s timeout).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error { c.httpClient = hc; return nil }
}

// WithTokenSource sets where bearer tokens come from (required); see
// [NewMSALTokenSource].
func WithTokenSource(ts TokenSource) Option {
	return func(c *config) error { c.tokens = ts; return nil }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

// WithRateLimit replaces the client-side budget of one API family (default
// [DefaultBudget]); a zero Budget disables it.
func WithRateLimit(f Family, b Budget) Option {
	return func(c *config) error {
		if b.PerMinute < 0 || b.PerHour < 0 {
			return fmt.Errorf("defender: negative rate limit for %s", f)
		}
		c.budgets[f] = b
		return nil
	}
}

// WithoutRateLimits disables every client-side budget (tests). A 429 still
// pauses its family until Retry-After.
func WithoutRateLimits() Option {
	return func(c *config) error {
		for _, f := range Families() {
			c.budgets[f] = Budget{}
		}
		return nil
	}
}

// NewClient returns a Client configured by opts. A token source is
// required.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{
		baseURL:     DefaultBaseURL,
		clock:       systemClock{},
		userAgent:   "mdebot-defender",
		maxAttempts: 4,
		budgets:     map[Family]Budget{},
	}
	for _, f := range Families() {
		cfg.budgets[f] = DefaultBudget(f)
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.tokens == nil {
		return nil, errors.New("defender: a token source is required (WithTokenSource)")
	}
	u, err := url.Parse(strings.TrimRight(cfg.baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("defender: base URL %q is not an http(s) URL", truncate(cfg.baseURL, 100))
	}
	if cfg.httpClient == nil {
		cfg.httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	c := &Client{
		baseURL:     u,
		httpClient:  cfg.httpClient,
		tokens:      cfg.tokens,
		clock:       cfg.clock,
		userAgent:   cfg.userAgent,
		maxAttempts: cfg.maxAttempts,
		limiters:    map[Family]*limiter{},
		observer:    cfg.observer,
	}
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	for f, b := range cfg.budgets {
		c.limiters[f] = newLimiter(f, b)
	}
	c.Machines = &MachinesService{c: c}
	c.Actions = &ActionsService{c: c}
	c.Indicators = &IndicatorsService{c: c}
	return c, nil
}

// request describes one API call.
type request struct {
	family Family
	method string
	path   string     // escaped path under the base URL, e.g. "/api/machines/x"; or an absolute URL (nextLink)
	query  url.Values // may be nil
	body   any        // JSON-encoded when non-nil
	// retryUnsafe marks a call that must not be re-sent after it may have
	// reached MDE (an action POST): only 401 and 429 are retried.
	retryUnsafe bool
}

// sendError marks a failure after the request may have reached the server
// (transport error or timeout while sending or reading the reply).
type sendError struct{ err error }

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// do sends req and decodes a 2xx reply's JSON body into out (if non-nil).
// It waits for the family's budget, adds the bearer token (re-acquired once
// after a 401), retries what is safe to retry, and turns any other reply
// into an *Error.
func (c *Client) do(ctx context.Context, req request, out any) (int, error) {
	target, displayPath, err := c.resolve(req)
	if err != nil {
		return 0, err
	}
	var body []byte
	if req.body != nil {
		if body, err = json.Marshal(req.body); err != nil {
			return 0, fmt.Errorf("defender: encoding the %s %s body: %w", req.method, displayPath, err)
		}
	}
	lim := c.limiters[req.family]
	refreshed, refreshNow := false, false
	var lastErr error
	for attempt := 1; ; attempt++ {
		done := func() {}
		if lim != nil {
			start := c.clock.Now()
			d, err := lim.waitAtMost(ctx, c.clock, c.maxBudgetWait, c.background)
			if err != nil {
				return 0, errors.Join(err, lastErr)
			}
			done = d
			c.observer.RateLimitWait(req.family, c.clock.Now().Sub(start))
		}
		token, err := c.token(ctx, refreshNow)
		refreshNow = false
		if err != nil {
			done()
			return 0, err
		}
		sent := c.clock.Now()
		status, retry, err := c.send(ctx, req, target, displayPath, body, token, out)
		done()
		c.observer.MDECall(req.family, req.method, status, c.clock.Now().Sub(sent))
		if err == nil {
			return status, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return status, err
		}
		var apiErr *Error
		isAPI := errors.As(err, &apiErr)
		switch {
		case isAPI && apiErr.StatusCode == http.StatusUnauthorized && !refreshed:
			// The token was revoked or expired early: re-acquire it once,
			// bypassing any cache. A 401 means the call was refused, so
			// re-sending it is safe.
			refreshed, refreshNow = true, true
			attempt--
			continue
		case isAPI && apiErr.StatusCode == http.StatusTooManyRequests:
			wait := apiErr.RetryAfter
			if wait <= 0 {
				wait = defaultRetryAfter
			}
			if lim != nil {
				lim.pauseUntil(c.clock.Now().Add(wait))
			}
			if attempt >= c.maxAttempts || wait > maxRetryAfterWait {
				return status, err
			}
			if lim == nil {
				if err := c.clock.Sleep(ctx, wait); err != nil {
					return status, errors.Join(err, lastErr)
				}
			}
			continue
		case retry && !req.retryUnsafe && attempt < c.maxAttempts:
			if err := c.clock.Sleep(ctx, backoff(attempt)); err != nil {
				return status, errors.Join(err, lastErr)
			}
			continue
		}
		return status, err
	}
}

const (
	defaultRetryAfter = 10 * time.Second // a 429 without Retry-After
	maxRetryAfterWait = 2 * time.Minute  // longer pauses are returned to the caller
	backoffBase       = 500 * time.Millisecond
	backoffMax        = 16 * time.Second
)

// backoff returns a jittered exponential delay before retry number attempt.
func backoff(attempt int) time.Duration {
	d := backoffBase << min(attempt-1, 10)
	d = min(d, backoffMax)
	return d/2 + rand.N(d/2+1)
}

// resolve turns req's path into an absolute URL string and the path shown
// in errors.
func (c *Client) resolve(req request) (string, string, error) {
	if strings.HasPrefix(req.path, "https://") || strings.HasPrefix(req.path, "http://") {
		u, err := url.Parse(req.path)
		if err != nil {
			return "", "", fmt.Errorf("defender: bad next link: %w", err)
		}
		return u.String(), u.EscapedPath(), nil
	}
	full := c.baseURL.String() + req.path
	if len(req.query) > 0 {
		full += "?" + req.query.Encode() // spaces as '+', which MDE documents
	}
	p, _, _ := strings.Cut(req.path, "?")
	return full, strings.TrimSuffix(c.baseURL.EscapedPath(), "/") + p, nil
}

func (c *Client) token(ctx context.Context, refresh bool) (string, error) {
	var tok string
	var err error
	if r, ok := c.tokens.(TokenRefresher); ok && refresh {
		tok, err = r.RefreshToken(ctx)
	} else {
		tok, err = c.tokens.Token(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("defender: getting a token: %w", err)
	}
	return tok, nil
}

// send makes one HTTP exchange. retry reports whether the failure is
// transient (transport error or 5xx).
func (c *Client) send(ctx context.Context, req request, target, path string, body []byte, token string, out any) (status int, retry bool, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, target, rd)
	if err != nil {
		return 0, false, fmt.Errorf("defender: building %s %s: %w", req.method, path, err)
	}
	hreq.Header.Set("Authorization", "Bearer "+token)
	hreq.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		hreq.Header.Set("User-Agent", c.userAgent)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient.Do(hreq)
	if err != nil {
		return 0, true, &sendError{fmt.Errorf("defender: %s %s: %w", req.method, path, redactURLError(err))}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if rerr != nil && resp.StatusCode < 500 {
			return resp.StatusCode, true, &sendError{fmt.Errorf("defender: %s %s: reading the %d reply: %w", req.method, path, resp.StatusCode, rerr)}
		}
		e := parseError(req.method, path, resp.StatusCode, resp.Header, b, c.clock.Now)
		e.redact(token)
		return resp.StatusCode, resp.StatusCode >= 500, e
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return resp.StatusCode, false, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if errors.Is(err, io.EOF) && resp.StatusCode == http.StatusNoContent {
			return resp.StatusCode, false, nil
		}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.EOF) && resp.ContentLength == 0 {
			return resp.StatusCode, false, fmt.Errorf("defender: %s %s: decoding the %d reply: %w", req.method, path, resp.StatusCode, err)
		}
		// The body broke off mid-way: a transport failure after the
		// server acted.
		return resp.StatusCode, true, &sendError{fmt.Errorf("defender: %s %s: reading the %d reply: %w", req.method, path, resp.StatusCode, err)}
	}
	return resp.StatusCode, false, nil
}

// redactURLError drops the query string from a *url.Error's URL, so a
// transport error never repeats a signed URL or a filter.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			u.User = nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}
