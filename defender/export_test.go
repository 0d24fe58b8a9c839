package defender

import (
	"context"
	"fmt"
)

// Test seams: options and a token source that only tests use, so that
// they are not part of the package mdebot ships.

// WithClock replaces the system clock (tests).
func WithClock(clock Clock) Option {
	return func(c *config) error { c.clock = clock; return nil }
}

// WithMaxAttempts bounds how many times a call is sent (default 4): GETs
// and DELETEs are retried on transport errors, 5xx and 429; action POSTs
// only on 429. 1 disables retries.
func WithMaxAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("defender: max attempts must be at least 1, not %d", n)
		}
		c.maxAttempts = n
		return nil
	}
}

// StaticToken is a TokenSource that always returns the same token.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// wait is waitAtMost with no limit but ctx's deadline.
// The call is counted as answered at once.
func (l *limiter) wait(ctx context.Context, clock Clock) error {
	done, err := l.waitAtMost(ctx, clock, 0, false)
	if err == nil {
		done()
	}
	return err
}
