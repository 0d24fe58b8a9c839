package defender

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// countAt returns how many of ts equal at.
func countAt(ts []time.Time, at time.Time) int {
	n := 0
	for _, t := range ts {
		if t.Equal(at) {
			n++
		}
	}
	return n
}

func TestABurstOf150CallsSends100AtOnceAndTheRestAsTheWindowFrees(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var calls []time.Time
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			calls = append(calls, time.Now())
			mu.Unlock()
			return reply(http.StatusCreated, `{"id":"`+testAction+`","type":"RunAntiVirusScan","status":"Pending","requestorComment":"c"}`, nil), nil
		}, WithRateLimit(FamilyScan, DefaultBudget(FamilyScan)))
		start := time.Now()
		var wg sync.WaitGroup
		for range 150 {
			wg.Go(func() {
				if _, err := c.Actions.RunAntivirusScan(context.Background(), testMachine, ScanQuick, "c"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := countAt(calls, start); n != 100 {
			t.Errorf("%d calls in the first instant, want 100", n)
		}
		freed := start.Add(time.Minute + windowEpsilon)
		if n := countAt(calls, freed); n != 50 {
			t.Errorf("%d calls when the first minute's window freed (%v later), want 50", n, freed.Sub(start))
		}
		if n := maxInWindow(calls, time.Minute); n > 100 {
			t.Errorf("%d calls in one 60 s window, limit 100", n)
		}
	})
}

func TestConcurrentCallersOverTwoHoursNeverExceedEitherWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var calls []time.Time
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			calls = append(calls, time.Now())
			n := len(calls)
			mu.Unlock()
			// Replies take from 0 to 3 s.
			time.Sleep(time.Duration(n%4) * time.Second)
			return reply(200, `{"value":[]}`, nil), nil
		}, WithRateLimit(FamilyMachineActions, DefaultBudget(FamilyMachineActions)))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
		defer cancel()
		var wg sync.WaitGroup
		for i := range 20 {
			cl := c
			if i%2 == 1 {
				cl = c.Background()
			}
			wg.Go(func() {
				for ctx.Err() == nil {
					time.Sleep(time.Duration(i+1) * 100 * time.Millisecond)
					_, _ = cl.Actions.Statuses(ctx, []string{testAction})
				}
			})
		}
		wg.Wait()
		perMin, perHour := maxInWindow(calls, time.Minute), maxInWindow(calls, time.Hour)
		t.Logf("%d calls in 2 h; busiest minute %d, busiest hour %d", len(calls), perMin, perHour)
		if perMin > 100 || perHour > 1500 {
			t.Errorf("busiest minute %d (limit 100), busiest hour %d (limit 1,500)", perMin, perHour)
		}
		if perMin < 100 || perHour < 1500 {
			t.Errorf("busiest minute %d, busiest hour %d: the budget was not used to its limit", perMin, perHour)
		}
	})
}

func TestACallIsCountedUntilItsReplyArrives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls []time.Time
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			calls = append(calls, time.Now())
			if len(calls) == 1 {
				time.Sleep(10 * time.Second) // a slow reply
			}
			return reply(200, `{"id":"`+string(testMachine)+`"}`, nil), nil
		}, WithRateLimit(FamilyMachines, Budget{PerMinute: 1}))
		ctx := context.Background()
		start := time.Now()
		for range 2 {
			if _, err := c.Machines.Get(ctx, testMachine); err != nil {
				t.Fatal(err)
			}
		}
		// MDE may have counted the first call as late as its reply.
		if got, want := calls[1].Sub(start), 10*time.Second+time.Minute+windowEpsilon; got != want {
			t.Errorf("second call %v after the first, want %v (60 s after the first reply)", got, want)
		}
	})
}

const (
	pollAction = "00000000-0000-4000-8000-00000000000a"
	newAction  = "00000000-0000-4000-8000-00000000000b"
)

func TestNewCallsGoBeforeBackgroundPollingWhichStillGetsAShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var order []string
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			who := ""
			switch {
			case strings.Contains(r.URL.RawQuery, pollAction):
				who = "poll"
			case strings.Contains(r.URL.RawQuery, newAction):
				who = "new"
			}
			mu.Lock()
			order = append(order, who)
			mu.Unlock()
			return reply(200, `{"value":[]}`, nil), nil
		}, WithRateLimit(FamilyMachineActions, Budget{PerMinute: 1}))
		poll := c.Background()
		ctx := context.Background()
		// Spend the budget, then queue 3 polls and 10 new calls behind it.
		if _, err := c.Actions.Statuses(ctx, []string{testAction}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := func(cl *Client, id string) {
			wg.Go(func() {
				if _, err := cl.Actions.Statuses(ctx, []string{id}); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait() // queued in this order
		}
		for range 3 {
			start(poll, pollAction)
		}
		for range 10 {
			start(c, newAction)
		}
		wg.Wait()
		want := []string{"", "new", "new", "new", "new", "poll", "new", "new", "new", "new", "poll", "new", "new", "poll"}
		if len(order) != len(want) {
			t.Fatalf("order = %v, want %v", order, want)
		}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("order = %v, want %v", order, want)
			}
		}
	})
}
