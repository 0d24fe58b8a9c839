package defender

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Family names one of MDE's rate-limited APIs. MDE counts calls per API
// ("100 calls per minute and 1,500 calls per hour" stands on each
// action's own page), so each action POST has its own budget and a burst
// of isolations does not starve scans; the client keeps one budget per
// family.
type Family string

// The API families and their MDE limits.
const (
	FamilyMachines Family = "machines" // GET machines, findbyip, findbytag: 100/min, 1,500/h

	// One family per action POST, each 100/min, 1,500/h.
	FamilyIsolate           Family = "isolate"
	FamilyUnisolate         Family = "unisolate"
	FamilyRestrict          Family = "restrictCodeExecution"
	FamilyUnrestrict        Family = "unrestrictCodeExecution"
	FamilyScan              Family = "runAntiVirusScan"
	FamilyCollect           Family = "collectInvestigationPackage"
	FamilyStopAndQuarantine Family = "StopAndQuarantineFile"
	FamilyOffboard          Family = "offboard"
	FamilyCancel            Family = "cancel" // POST machineactions/{id}/cancel: 100/min, 1,500/h

	FamilyMachineActions Family = "machineactions" // GET machineactions (one or a list): 100/min, 1,500/h
	FamilyPackageURI     Family = "packageuri"     // getPackageUri: 2/min, 120/h
	FamilyIndicators     Family = "indicators"     // indicators POST, DELETE, GET: 100/min, 1,500/h
)

// Families lists every Family.
func Families() []Family {
	return []Family{
		FamilyMachines,
		FamilyIsolate, FamilyUnisolate, FamilyRestrict, FamilyUnrestrict, FamilyScan,
		FamilyCollect, FamilyStopAndQuarantine, FamilyOffboard, FamilyCancel,
		FamilyMachineActions, FamilyPackageURI, FamilyIndicators,
	}
}

// ActionFamily returns the family whose budget an action POST of type t
// spends ("" for a type mdebot does not send).
func ActionFamily(t ActionType) Family {
	switch t {
	case ActionIsolate:
		return FamilyIsolate
	case ActionUnisolate:
		return FamilyUnisolate
	case ActionRestrictCodeExecution:
		return FamilyRestrict
	case ActionUnrestrictCodeExecution:
		return FamilyUnrestrict
	case ActionRunAntiVirusScan:
		return FamilyScan
	case ActionCollectInvestigationPackage:
		return FamilyCollect
	case ActionStopAndQuarantineFile:
		return FamilyStopAndQuarantine
	case ActionOffboard:
		return FamilyOffboard
	}
	return ""
}

// Budget is a call limit per minute and per hour; zero means unlimited.
type Budget struct {
	PerMinute, PerHour int
}

// DefaultBudget returns MDE's documented limit for f.
func DefaultBudget(f Family) Budget {
	if f == FamilyPackageURI {
		return Budget{PerMinute: 2, PerHour: 120}
	}
	return Budget{PerMinute: 100, PerHour: 1500}
}

// Clock is the time source of the client: rate-limit accounting,
// Retry-After pauses, backoff and the "did this action predate my call"
// check use it. The default is the system clock.
type Clock interface {
	Now() time.Time
	// Sleep waits until d has passed on Now's timeline, or until ctx is
	// done (returning ctx.Err()). A fake clock's Sleep must advance Now.
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiter enforces one family's Budget and server-requested pauses.
//
// A token bucket allows burst + rate×T events in any window T, so each
// window gets burst = limit/10 (minute) or limit/25 (hour), at least 1, and
// rate = (limit − burst) per window: 100/min becomes 90/min burst 10,
// 1,500/h becomes 1,440/h burst 60, and no 60 s (1 h) window ever holds
// more than the limit.
type limiter struct {
	family  Family
	perMin  *rate.Limiter // nil: unlimited
	perHour *rate.Limiter

	mu        sync.Mutex
	notBefore time.Time // no call before this instant (a 429's Retry-After)
}

func newLimiter(f Family, b Budget) *limiter {
	return &limiter{
		family:  f,
		perMin:  windowLimiter(b.PerMinute, time.Minute, 10),
		perHour: windowLimiter(b.PerHour, time.Hour, 25),
	}
}

func windowLimiter(limit int, window time.Duration, burstDivisor int) *rate.Limiter {
	if limit <= 0 {
		return nil
	}
	burst := max(1, limit/burstDivisor)
	if limit == 1 {
		// One call per window: a burst of 1 refilled once per window would
		// allow two calls in one window; refill over twice the window.
		return rate.NewLimiter(rate.Every(2*window), 1)
	}
	return rate.NewLimiter(rate.Every(window/time.Duration(limit-burst)), burst)
}

// pauseUntil makes every later wait return no earlier than t.
func (l *limiter) pauseUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.notBefore) {
		l.notBefore = t
	}
}

// waitAtMost blocks until a call of this family may be made: after any
// pause, then after a slot in both windows. It fails fast when the wait
// would outlast ctx's deadline and, when maxWait > 0, when it would be
// longer than maxWait, returning a *BudgetError at once and leaving the
// budget as it was.
func (l *limiter) waitAtMost(ctx context.Context, clock Clock, maxWait time.Duration) error {
	start := clock.Now()
	if err := l.waitPause(ctx, clock, maxWait); err != nil {
		return err
	}
	now := clock.Now()
	var delay time.Duration
	var rs []*rate.Reservation
	for _, lim := range []*rate.Limiter{l.perMin, l.perHour} {
		if lim == nil {
			continue
		}
		r := lim.ReserveN(now, 1)
		rs = append(rs, r)
		delay = max(delay, r.DelayFrom(now))
	}
	cancel := func() {
		at := clock.Now()
		for _, r := range rs {
			r.CancelAt(at)
		}
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(delay).After(dl) {
		cancel()
		return fmt.Errorf("defender: the %s budget needs a wait of %s, past the context deadline: %w", l.family, delay.Round(time.Millisecond), ErrRateLimited)
	}
	if maxWait > 0 && now.Sub(start)+delay > maxWait {
		cancel()
		return &BudgetError{Family: l.family, RetryAfter: delay}
	}
	if err := clock.Sleep(ctx, delay); err != nil {
		cancel()
		return err
	}
	// A 429 seen by another call while this one slept pauses it too.
	return l.waitPause(ctx, clock, maxWait)
}

// waitPause waits out a server-requested pause; when maxWait > 0 and the
// pause lasts longer, it returns a *BudgetError at once.
func (l *limiter) waitPause(ctx context.Context, clock Clock, maxWait time.Duration) error {
	for {
		l.mu.Lock()
		nb := l.notBefore
		l.mu.Unlock()
		now := clock.Now()
		if !now.Before(nb) {
			return ctx.Err()
		}
		if dl, ok := ctx.Deadline(); ok && nb.After(dl) {
			return fmt.Errorf("defender: the %s API asked to pause until %s, past the context deadline: %w", l.family, nb.Format(time.RFC3339), ErrRateLimited)
		}
		if maxWait > 0 && nb.Sub(now) > maxWait {
			return &BudgetError{Family: l.family, RetryAfter: nb.Sub(now)}
		}
		if err := clock.Sleep(ctx, nb.Sub(now)); err != nil {
			return err
		}
	}
}

// BudgetError is returned, instead of waiting, by a client made with
// [Client.WithMaxBudgetWait] when a call would wait longer than its limit
// for its family's budget or for a pause MDE asked for (a 429's
// Retry-After). Nothing was sent. It matches [ErrRateLimited].
type BudgetError struct {
	// Family is the API family whose budget is busy.
	Family Family
	// RetryAfter is how long the call would have waited: trying again
	// after it finds a slot, unless other calls take it first.
	RetryAfter time.Duration
}

// Error says which budget is busy and for how long.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("defender: the %s API budget is busy for %s", e.Family, e.RetryAfter.Round(time.Millisecond))
}

// Is reports whether target is ErrRateLimited.
func (e *BudgetError) Is(target error) bool { return target == ErrRateLimited }

// WithMaxBudgetWait returns a client that shares c's budgets and pauses,
// token source, HTTP client and observer, but whose calls never wait
// longer than d for a budget: they fail at once with a *BudgetError
// carrying the wait. Use it for reads a person is waiting on, so that a
// busy budget frees the caller instead of holding it; submissions of
// approved actions use a client that waits its turn (d ≤ 0, the default).
func (c *Client) WithMaxBudgetWait(d time.Duration) *Client {
	cc := *c
	cc.maxBudgetWait = max(d, 0)
	cc.Machines = &MachinesService{c: &cc}
	cc.Actions = &ActionsService{c: &cc}
	cc.Indicators = &IndicatorsService{c: &cc}
	return &cc
}
