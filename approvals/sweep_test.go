package approvals_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
)

func TestSweepExpiresOnlyRequestsPastTheirWindow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	old := f.open(t, draft(approvals.KindIsolate))
	approved := f.inState(t, approvals.KindRestrict, approvals.StateApproved)
	f.clock.Advance(10 * time.Minute)
	d := draft(approvals.KindIsolate)
	d.Params.Machine = machine2
	young := f.open(t, d)

	f.clock.Advance(20*time.Minute - time.Nanosecond)
	if got, err := f.svc.Sweep(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Sweep before any window ended = %d requests, %v", len(got), err)
	}
	f.clock.Advance(time.Nanosecond)
	got, err := f.svc.Sweep(ctx)
	if err != nil || len(got) != 1 || got[0].ID != old.ID || got[0].State != approvals.StateExpired {
		t.Fatalf("Sweep = %+v, %v; want only %s expired", got, err, old.ID)
	}
	if ev := f.lastEvent(t); ev.Type != approvals.EventExpired || ev.RequestID != old.ID || ev.Actor != approvals.SystemActor {
		t.Errorf("expiry not audited: %+v", ev)
	}
	for _, r := range []*approvals.Request{approved, young} {
		if g, _ := f.svc.Get(ctx, r.ID); g.State != r.State {
			t.Errorf("%s went from %s to %s", r.Kind, r.State, g.State)
		}
	}
	if got, _ := f.svc.Sweep(ctx); len(got) != 0 {
		t.Errorf("a second sweep expired %d requests again", len(got))
	}
}

func TestSweepLeavesARequestDecidedAfterItWasListed(t *testing.T) {
	// The sweeper lists live requests, then expires each in its own
	// transaction; a decision in between wins, and the sweep skips it.
	ctx := context.Background()
	st := &racingStore{Store: &approvalstest.Store{}}
	c := &clock{t: t0}
	svc, err := approvals.New(approvals.Options{Policy: plainPolicy(), Store: st, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Open(ctx, draft(approvals.KindIsolate))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	st.beforeUpdate = func() {
		st.beforeUpdate = nil
		c.Advance(-time.Second) // the withdrawal came in just inside the window
		if _, err := svc.Withdraw(ctx, r.ID, requester); err != nil {
			t.Error(err)
		}
		c.Advance(time.Second)
	}
	c.Advance(30 * time.Minute)
	got, err := svc.Sweep(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("Sweep = %d requests, %v; want none", len(got), err)
	}
	if g, _ := svc.Get(ctx, r.ID); g.State != approvals.StateWithdrawn {
		t.Errorf("state %s, want withdrawn", g.State)
	}
}

// racingStore runs beforeUpdate before each Update.
type racingStore struct {
	*approvalstest.Store
	beforeUpdate func()
}

func (s *racingStore) Update(ctx context.Context, id string, fn func(*approvals.Request) ([]approvals.AuditEvent, error)) (*approvals.Request, error) {
	if s.beforeUpdate != nil {
		s.beforeUpdate()
	}
	return s.Store.Update(ctx, id, fn)
}

func TestRunSweeperExpiresOnItsTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		store := &approvalstest.Store{}
		svc, err := approvals.New(approvals.Options{Policy: plainPolicy(), Store: store})
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Open(ctx, draft(approvals.KindIsolate))
		if err != nil {
			t.Fatal(err)
		}
		batches := make(chan []*approvals.Request, 10)
		done := make(chan error)
		go func() {
			done <- svc.RunSweeper(ctx, time.Minute, func(_ context.Context, rs []*approvals.Request) { batches <- rs })
		}()
		time.Sleep(29*time.Minute + 30*time.Second) // fake time: 29 ticks, window not over
		synctest.Wait()
		if len(batches) != 0 {
			t.Fatalf("expired %d batches before the window ended", len(batches))
		}
		time.Sleep(time.Minute) // the tick at 30 min expires it
		synctest.Wait()
		select {
		case b := <-batches:
			if len(b) != 1 || b[0].ID != res.Request.ID || b[0].State != approvals.StateExpired {
				t.Errorf("batch = %+v", b)
			}
		default:
			t.Fatal("no batch after the window ended")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("RunSweeper returned %v", err)
		}
	})
}

// unreadableStore fails every Live, as a store whose disk went away would.
type unreadableStore struct{ approvalstest.Store }

func (s *unreadableStore) Live(context.Context) ([]*approvals.Request, error) {
	return nil, errors.New("disk gone")
}

func TestRunSweeperLogsAFailedSweepUnderTheKeyError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var logged bytes.Buffer
		svc, err := approvals.New(approvals.Options{Policy: plainPolicy(), Store: &unreadableStore{},
			Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- svc.RunSweeper(ctx, time.Minute, nil) }()
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		cancel()
		<-done
		var line map[string]any
		if err := json.Unmarshal(bytes.SplitN(logged.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
			t.Fatalf("log %q: %v", logged.String(), err)
		}
		if line["error"] != "disk gone" {
			t.Errorf("log line %v, want the failure under the key \"error\"", line)
		}
	})
}

func TestRunSweeperRefusesANonPositiveInterval(t *testing.T) {
	f := newFixture(t, testPolicy())
	if err := f.svc.RunSweeper(context.Background(), 0, nil); err == nil {
		t.Error("no error for a zero interval")
	}
}

func plainPolicy() approvals.Policy {
	return approvals.Policy{Approvers: []string{approver1, approver2}}
}
