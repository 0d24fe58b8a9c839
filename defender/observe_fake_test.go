package defender_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

// recorder is an Observer keeping what it was told.
type recorder struct {
	mu     sync.Mutex
	calls  []string
	waits  map[defender.Family]int
	waited map[defender.Family]time.Duration
}

func (r *recorder) MDECall(f defender.Family, method string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, string(f)+" "+method+" "+http.StatusText(status))
}

func (r *recorder) RateLimitWait(f defender.Family, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waits == nil {
		r.waits, r.waited = map[defender.Family]int{}, map[defender.Family]time.Duration{}
	}
	r.waits[f]++
	r.waited[f] += d
}

func TestTheObserverSeesEachExchangeWithItsFamilyAndStatusA429Included(t *testing.T) {
	srv, _ := setup(t)
	rec := &recorder{}
	clock := &stepClock{now: time.Now()}
	c := newClient(t, srv, defender.SecretCredential(defendertest.ClientSecret), defender.WithObserver(rec),
		defender.WithClock(clock),
		defender.WithRateLimit(defender.FamilyMachines, defender.Budget{PerMinute: 100, PerHour: 1500}))
	srv.FailNext("machines.get", 1, http.StatusTooManyRequests,
		`{"error":{"code":"TooManyRequests","message":"slow down"}}`, http.Header{"Retry-After": {"0"}})
	if _, err := c.Machines.Get(t.Context(), ws42); err != nil {
		t.Fatal(err)
	}
	want := []string{"machines GET Too Many Requests", "machines GET OK"}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if diff := cmp.Diff(want, rec.calls); diff != "" {
		t.Errorf("observed calls (-want +got):\n%s", diff)
	}
	if rec.waits[defender.FamilyMachines] != 2 {
		t.Errorf("%d budget waits on machines, want one per attempt (2)", rec.waits[defender.FamilyMachines])
	}
	if rec.waited[defender.FamilyMachines] < 10*time.Second {
		t.Errorf("waited %s on machines, want the 10s pause a 429 without a usable Retry-After asks", rec.waited[defender.FamilyMachines])
	}
}

// stepClock is a Clock whose Sleep moves Now forward at once.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
	return ctx.Err()
}
