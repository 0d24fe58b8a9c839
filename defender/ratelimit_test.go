package defender

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// maxInWindow returns the most events any window of length w holds
// (events at t and t+w both count, the strictest reading).
func maxInWindow(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) > w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func TestBudgetNeverExceedsTheMinuteOrTheHourLimit(t *testing.T) {
	for _, f := range []Family{FamilyIsolate, FamilyPackageURI} {
		t.Run(string(f), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := DefaultBudget(f)
				l := newLimiter(f, b)
				ctx := context.Background()
				end := time.Now().Add(2 * time.Hour)
				var calls []time.Time
				for time.Now().Before(end) {
					if err := l.wait(ctx, systemClock{}); err != nil {
						t.Fatal(err)
					}
					calls = append(calls, time.Now())
				}
				perMin, perHour := maxInWindow(calls, time.Minute), maxInWindow(calls, time.Hour)
				t.Logf("%d calls in 2 h; busiest minute %d, busiest hour %d", len(calls), perMin, perHour)
				if perMin > b.PerMinute || perHour > b.PerHour {
					t.Errorf("busiest minute %d (limit %d), busiest hour %d (limit %d)", perMin, b.PerMinute, perHour, b.PerHour)
				}
				// The budget must not be uselessly tight either (at 2/min
				// a strict bucket can sustain only 1/min).
				if b.PerMinute >= 10 && perHour < b.PerHour*9/10 || perHour < b.PerHour/2 {
					t.Errorf("busiest hour %d, want at least 90%% of %d", perHour, b.PerHour)
				}
			})
		})
	}
}

func TestBudgetWaitFailsFastPastTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(FamilyPackageURI, DefaultBudget(FamilyPackageURI))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for range 2 {
			if err := l.wait(ctx, systemClock{}); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		err := l.wait(ctx, systemClock{})
		if !errors.Is(err, ErrRateLimited) {
			t.Fatalf("third getPackageUri within 10 s: err = %v, want ErrRateLimited", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("waited %v before failing", waited)
		}
	})
}

func TestA429WithRetryAfterDelaysTheNextCallOfThatFamily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls []time.Time
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			calls = append(calls, time.Now())
			if len(calls) == 1 {
				return reply(429, `{"error":{"code":"TooManyRequests","message":"slow down"}}`, http.Header{"Retry-After": {"2"}}), nil
			}
			return reply(200, `{"id":"`+string(testMachine)+`"}`, nil), nil
		}, WithMaxAttempts(1))
		ctx := context.Background()
		_, err := c.Machines.Get(ctx, testMachine)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrRateLimited) || e.RetryAfter != 2*time.Second {
			t.Fatalf("first call: err = %v, want ErrRateLimited with RetryAfter 2s", err)
		}
		if _, err := c.Machines.Get(ctx, testMachine); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 2 {
			t.Fatalf("%d calls, want 2", len(calls))
		}
		if gap := calls[1].Sub(calls[0]); gap < 2*time.Second {
			t.Errorf("the call after a 429 with Retry-After: 2 came %v later, want ≥ 2s", gap)
		}
		// Another family is not paused.
		start := time.Now()
		if _, err := c.Actions.Get(ctx, testAction); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("a machineactions call waited %v after the machines family was paused", d)
		}
	})
}

func TestA429IsRetriedAfterRetryAfterEvenForAnActionPost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls []time.Time
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			calls = append(calls, time.Now())
			if len(calls) == 1 {
				return reply(429, `{"error":{"code":"TooManyRequests"}}`, http.Header{"Retry-After": {"3"}}), nil
			}
			return reply(201, `{"id":"`+testAction+`","type":"Isolate","status":"Pending","requestorComment":"c1","machineId":"`+string(testMachine)+`"}`, nil), nil
		})
		sub, err := c.Actions.Isolate(context.Background(), testMachine, IsolationFull, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if sub.Existing || sub.Action.ID != testAction {
			t.Errorf("submission %+v", sub)
		}
		if len(calls) != 2 || calls[1].Sub(calls[0]) < 3*time.Second {
			t.Errorf("calls at %v, want 2 calls at least 3s apart", calls)
		}
	})
}

func TestGetsRetryServerErrorsAndTransportErrorsWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			switch n.Add(1) {
			case 1:
				return reply(503, "", nil), nil
			case 2:
				return nil, errors.New("connection reset by peer")
			}
			return reply(200, `{"id":"`+testAction+`","status":"Succeeded"}`, nil), nil
		})
		start := time.Now()
		a, err := c.Actions.Get(context.Background(), testAction)
		if err != nil || a.Status != StatusSucceeded {
			t.Fatalf("Get = %+v, %v", a, err)
		}
		if n.Load() != 3 {
			t.Errorf("%d attempts, want 3", n.Load())
		}
		if time.Since(start) < backoffBase/2 {
			t.Errorf("retried without backing off")
		}
	})
}

func TestGetsGiveUpAfterMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			return reply(500, `{"error":{"code":"InternalServerError"}}`, nil), nil
		}, WithMaxAttempts(3))
		_, err := c.Actions.Get(context.Background(), testAction)
		if !errors.Is(err, ErrServer) || n.Load() != 3 {
			t.Errorf("err = %v after %d attempts, want ErrServer after 3", err, n.Load())
		}
	})
}

func TestRetriesStopWhenTheContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			cancel()
			return reply(502, "", nil), nil
		}, WithMaxAttempts(10))
		_, err := c.Actions.Get(ctx, testAction)
		if err == nil || n.Load() != 1 {
			t.Errorf("err = %v after %d attempts, want an error after 1", err, n.Load())
		}
	})
}

func TestTheClientSpacesCallsToStayWithinTheDefaultBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls []time.Time
		c, err := NewClient(
			WithBaseURL("https://mde.test"),
			WithTokenSource(StaticToken("t")),
			WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls = append(calls, time.Now())
				return reply(200, `{"value":[]}`, nil), nil
			})}),
		)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for range 250 {
			if _, err := c.Actions.Statuses(ctx, []string{testAction}); err != nil {
				t.Fatal(err)
			}
		}
		if n := maxInWindow(calls, time.Minute); n > 100 {
			t.Errorf("%d calls in one minute, limit 100", n)
		}
		// Other families have their own budgets.
		start := time.Now()
		if _, err := c.Machines.Get(ctx, testMachine); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("a machines call waited %v for the machineactions budget", d)
		}
	})
}

func TestEachActionPostHasItsOwnBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := func(r *http.Request) (*http.Response, error) {
			return reply(http.StatusCreated, `{"id":"`+testAction+`","type":"Isolate","status":"Pending","requestorComment":"c"}`, nil), nil
		}
		var opts []Option
		for _, f := range Families() {
			opts = append(opts, WithRateLimit(f, DefaultBudget(f)))
		}
		c := newTestClient(t, rt, opts...)
		ctx := context.Background()
		start := time.Now()
		// The isolate budget's burst is spent at once…
		for range DefaultBudget(FamilyIsolate).PerMinute {
			if _, err := c.Actions.Isolate(ctx, testMachine, IsolationFull, "c"); err != nil {
				t.Fatal(err)
			}
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("the burst waited %s", waited)
		}
		// …and neither a scan, a collection nor a cancel waits for it.
		if _, err := c.Actions.RunAntivirusScan(ctx, testMachine, ScanQuick, "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Actions.CollectInvestigationPackage(ctx, testMachine, "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Actions.Cancel(ctx, testAction, "c"); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("other actions waited %s behind the isolations", waited)
		}
		if _, err := c.Actions.Isolate(ctx, testMachine, IsolationFull, "c"); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited == 0 {
			t.Error("an isolation past its budget did not wait")
		}
	})
}

func TestEveryActionTypeMDEDocumentsHasAFamily(t *testing.T) {
	seen := map[Family]bool{}
	for _, typ := range []ActionType{ActionIsolate, ActionUnisolate, ActionRestrictCodeExecution, ActionUnrestrictCodeExecution,
		ActionRunAntiVirusScan, ActionCollectInvestigationPackage, ActionStopAndQuarantineFile, ActionOffboard} {
		f := ActionFamily(typ)
		if f == "" || seen[f] || !slices.Contains(Families(), f) {
			t.Errorf("%s: family %q (seen before %v)", typ, f, seen[f])
		}
		seen[f] = true
	}
}
