package defender

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

func TestAClientWithAMaxBudgetWaitFailsFastWithTheWaitInsteadOfHoldingTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			calls++
			return reply(200, `{"id":"`+string(testMachine)+`"}`, nil), nil
		}, WithRateLimit(FamilyMachines, Budget{PerMinute: 1}))
		fast := c.WithMaxBudgetWait(5 * time.Second)
		ctx := context.Background()
		if _, err := fast.Machines.Get(ctx, testMachine); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := fast.Machines.Get(ctx, testMachine)
		var be *BudgetError
		if !errors.As(err, &be) || !errors.Is(err, ErrRateLimited) {
			t.Fatalf("second lookup within the minute: err = %v, want a *BudgetError matching ErrRateLimited", err)
		}
		if be.Family != FamilyMachines || be.RetryAfter != time.Minute+windowEpsilon {
			t.Errorf("BudgetError = %+v, want family machines, RetryAfter 1m", be)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("failed after %v, want at once", waited)
		}
		if calls != 1 {
			t.Errorf("%d calls reached MDE, want 1", calls)
		}
		// The refused call left the budget as it was: a patient call (an
		// approved action's, say) waits the same minute, not longer.
		start = time.Now()
		if _, err := c.Machines.Get(ctx, testMachine); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != time.Minute+windowEpsilon {
			t.Errorf("a patient call waited %v, want 1m", waited)
		}
	})
}

func TestAClientWithAMaxBudgetWaitFailsFastDuringALongRetryAfterPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			calls++
			if calls == 1 {
				return reply(429, `{"error":{"code":"TooManyRequests"}}`, http.Header{"Retry-After": {"30"}}), nil
			}
			return reply(200, `{"id":"`+string(testMachine)+`"}`, nil), nil
		})
		fast := c.WithMaxBudgetWait(5 * time.Second)
		start := time.Now()
		_, err := fast.Machines.Get(context.Background(), testMachine)
		var be *BudgetError
		if !errors.As(err, &be) || be.RetryAfter != 30*time.Second {
			t.Fatalf("lookup answered 429 Retry-After 30: err = %v, want a *BudgetError with RetryAfter 30s", err)
		}
		if waited := time.Since(start); waited != 0 || calls != 1 {
			t.Errorf("failed after %v and %d calls, want at once after 1", waited, calls)
		}
		// A patient call of the same family waits the pause out.
		if _, err := c.Machines.Get(context.Background(), testMachine); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 30*time.Second {
			t.Errorf("a patient call came %v after the 429, want 30s", waited)
		}
	})
}

func TestAShortBudgetWaitIsStillWaitedByAClientWithAMaxBudgetWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			return reply(200, `{"id":"`+string(testMachine)+`"}`, nil), nil
		}, WithRateLimit(FamilyMachines, Budget{PerMinute: 1}))
		fast := c.WithMaxBudgetWait(2 * time.Minute)
		ctx := context.Background()
		start := time.Now()
		for range 2 {
			if _, err := fast.Machines.Get(ctx, testMachine); err != nil {
				t.Fatal(err)
			}
		}
		if waited := time.Since(start); waited != time.Minute+windowEpsilon {
			t.Errorf("two lookups took %v, want 1m (the second waits within the limit)", waited)
		}
	})
}
