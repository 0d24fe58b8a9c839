package defender

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
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

// limiter enforces one family's Budget exactly, as MDE counts it: a
// sliding window of 60 s and one of an hour over the calls made. A call
// may go when fewer than the limit of calls lie in the last 60 s and in the
// last hour, so a burst of up to the per-minute limit goes out at once and
// no window ever holds more than the limit.
//
// A call occupies its slot from the moment it is let through until its
// reply has been read (it reached MDE somewhere in between), and is counted
// from the end of that span: the window is measured against the latest
// instant MDE can have counted it, so network delay cannot push two calls
// that mdebot spaced by 60 s into one of MDE's windows.
//
// Waiting calls are served in order, normal calls before background ones
// (polling), except that a background call waiting behind
// backgroundEvery normal grants goes next: new actions first, and polling
// still gets a share.
type limiter struct {
	family Family
	budget Budget

	mu        sync.Mutex
	notBefore time.Time   // no call before this instant (a 429's Retry-After)
	answered  []time.Time // when the replies of the last hour's calls were read, oldest first
	inFlight  int         // calls let through whose reply is not read yet
	queue     []*waiter   // waiting calls, in arrival order
	passed    int         // normal grants since a background call began waiting
}

// waiter is one call waiting for its turn.
type waiter struct {
	background bool
	wake       chan struct{} // closed (and replaced) to make the waiter look again
}

// backgroundEvery is how many normal calls may go ahead of a waiting
// background call before it is served.
const backgroundEvery = 4

// windowEpsilon keeps a call just outside the window of the call it
// follows: MDE's window may count both ends.
const windowEpsilon = time.Millisecond

func newLimiter(f Family, b Budget) *limiter {
	return &limiter{family: f, budget: b}
}

// pauseUntil makes every later wait return no earlier than t.
func (l *limiter) pauseUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.notBefore) {
		l.notBefore = t
	}
	l.wakeAllLocked()
}

// waitAtMost blocks until a call of this family may be made: after any
// pause, then after a slot in both windows, taking it. done must be called
// once the call's reply has been read (or the call failed); it is nil when
// err is not. It fails fast when the wait would outlast ctx's deadline
// and, when maxWait > 0, when it would be longer than maxWait, returning a
// *BudgetError at once and leaving the budget as it was.
func (l *limiter) waitAtMost(ctx context.Context, clock Clock, maxWait time.Duration, background bool) (done func(), err error) {
	start := clock.Now()
	w := &waiter{background: background, wake: make(chan struct{})}
	l.mu.Lock()
	l.queue = append(l.queue, w)
	l.mu.Unlock()
	defer func() {
		if err != nil {
			l.mu.Lock()
			l.removeLocked(w)
			l.mu.Unlock()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l.mu.Lock()
		now := clock.Now()
		pos := l.positionLocked(w)
		delay, known := l.delayLocked(now, pos)
		if known && delay <= 0 && pos == 0 {
			l.inFlight++
			l.grantLocked(w)
			l.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { l.finish(clock) }) }, nil
		}
		wake := w.wake
		l.mu.Unlock()
		if known {
			if dl, ok := ctx.Deadline(); ok && now.Add(delay).After(dl) {
				return nil, fmt.Errorf("defender: the %s budget needs a wait of %s, past the context deadline: %w", l.family, delay.Round(time.Millisecond), ErrRateLimited)
			}
			if maxWait > 0 && now.Sub(start)+delay > maxWait {
				return nil, &BudgetError{Family: l.family, RetryAfter: delay}
			}
		}
		if !known || pos > 0 {
			// Behind another call, or behind calls still in flight: wait
			// to be woken by a grant or a reply.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-wake:
			}
			continue
		}
		sctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-wake:
				cancel()
			case <-sctx.Done():
			}
		}()
		err := clock.Sleep(sctx, delay)
		cancel()
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// finish counts a call answered at the clock's now and lets waiters look
// again.
func (l *limiter) finish(clock Clock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := clock.Now()
	i, _ := slices.BinarySearchFunc(l.answered, now, time.Time.Compare)
	for i < len(l.answered) && l.answered[i].Equal(now) {
		i++
	}
	l.answered = slices.Insert(l.answered, i, now)
	l.inFlight--
	l.wakeAllLocked()
}

// positionLocked returns how many waiters are served before w.
func (l *limiter) positionLocked(w *waiter) int {
	next := l.nextLocked()
	if next == w {
		return 0
	}
	pos := 1
	for _, o := range l.queue {
		if o == w {
			return pos
		}
		if o != next && (!o.background || w.background) {
			pos++
		}
	}
	return pos
}

// nextLocked returns the waiter served next: the first normal one, unless
// a background one has been passed over backgroundEvery times.
func (l *limiter) nextLocked() *waiter {
	var firstBG *waiter
	for _, o := range l.queue {
		if !o.background {
			if firstBG != nil && l.passed >= backgroundEvery {
				return firstBG
			}
			return o
		}
		if firstBG == nil {
			firstBG = o
		}
	}
	return firstBG
}

// grantLocked removes w, which took a slot, from the queue.
func (l *limiter) grantLocked(w *waiter) {
	if w.background {
		l.passed = 0
	} else if l.hasBackgroundLocked(w) {
		l.passed++
	}
	l.removeLocked(w)
}

func (l *limiter) hasBackgroundLocked(except *waiter) bool {
	for _, o := range l.queue {
		if o != except && o.background {
			return true
		}
	}
	return false
}

// removeLocked takes w out of the queue and wakes the others (the order
// changed).
func (l *limiter) removeLocked(w *waiter) {
	if i := slices.Index(l.queue, w); i >= 0 {
		l.queue = slices.Delete(l.queue, i, i+1)
	}
	if !l.hasBackgroundLocked(nil) {
		l.passed = 0
	}
	l.wakeAllLocked()
}

func (l *limiter) wakeAllLocked() {
	for _, o := range l.queue {
		close(o.wake)
		o.wake = make(chan struct{})
	}
}

// delayLocked returns how long from now until pos calls ahead and then one
// more may go: the pause, and the time until both windows have room for
// pos+1 calls. known is false when that depends on calls still in flight.
func (l *limiter) delayLocked(now time.Time, pos int) (time.Duration, bool) {
	l.pruneLocked(now)
	delay := max(l.notBefore.Sub(now), 0)
	for _, win := range []struct {
		limit  int
		length time.Duration
	}{{l.budget.PerMinute, time.Minute}, {l.budget.PerHour, time.Hour}} {
		if win.limit <= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(l.answered, now.Add(-win.length), time.Time.Compare)
		in := l.answered[i:] // counted in the window ending now
		// pos+1 more calls fit once this many of the counted ones have left.
		leave := l.inFlight + len(in) + pos + 1 - win.limit
		if leave <= 0 {
			continue
		}
		if leave > len(in) {
			return 0, false
		}
		delay = max(delay, in[leave-1].Add(win.length+windowEpsilon).Sub(now))
	}
	return delay, true
}

// pruneLocked forgets answered calls older than the longest window.
func (l *limiter) pruneLocked(now time.Time) {
	i := 0
	for i < len(l.answered) && now.Sub(l.answered[i]) > time.Hour+windowEpsilon {
		i++
	}
	l.answered = l.answered[i:]
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

// Background returns a client that shares c's budgets, pauses, token
// source, HTTP client and observer, but whose calls yield: while calls of
// a normal client wait for the same API's budget they go first, and a
// background call is served after at most four of them. mdebot polls the
// status of running actions through it, so polling shares the
// machineactions budget with the look-ups that new actions need, and new
// actions come first.
func (c *Client) Background() *Client {
	cc := *c
	cc.background = true
	cc.Machines = &MachinesService{c: &cc}
	cc.Actions = &ActionsService{c: &cc}
	cc.Indicators = &IndicatorsService{c: &cc}
	return &cc
}
