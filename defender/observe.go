package defender

import "time"

// Observer is told about every HTTP exchange with MDE and every wait for a
// family's rate budget, for metrics. Its methods must be fast and safe for
// concurrent use. Package defender does not know what it does with them.
type Observer interface {
	// MDECall is one HTTP exchange on family: the HTTP status MDE answered
	// (0 when no reply came: a transport error or timeout) and how long it
	// took. Retries are separate calls, so a 429 followed by a success is
	// two calls.
	MDECall(family Family, method string, status int, took time.Duration)
	// RateLimitWait is how long a call on family waited for its budget
	// (or a Retry-After pause) before it was sent; zero when it did not.
	RateLimitWait(family Family, waited time.Duration)
}

// WithObserver sets the Observer told about each call; nil (the default)
// observes nothing.
func WithObserver(o Observer) Option {
	return func(c *config) error { c.observer = o; return nil }
}

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) MDECall(Family, string, int, time.Duration) {}
func (nopObserver) RateLimitWait(Family, time.Duration)        {}
