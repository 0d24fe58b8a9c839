package approvals_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
	"github.com/mdebot/mdebot/mde"
)

const (
	machine    = mde.MachineID("0123456789abcdef0123456789abcdef01234567")
	machine2   = mde.MachineID("89abcdef0123456789abcdef0123456789abcdef")
	sha256Hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	requester  = "UREQ1"
	approver1  = "UAPP1"
	approver2  = "UAPP2"
	approver3  = "UAPP3"
	outsider   = "UOUT1"
	channel    = "CSEC1"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// groups is a static Groups.
type groups map[string][]string

func (g groups) Members(ctx context.Context, id string) ([]string, error) {
	m, ok := g[id]
	if !ok {
		return nil, errors.New("no such group")
	}
	return m, nil
}

type fixture struct {
	svc   *approvals.Service
	store *approvalstest.Store
	clock *clock
}

func testPolicy() approvals.Policy {
	return approvals.Policy{Approvers: []string{approver1, approver2, "SAPPROVERS"}}
}

func newFixture(t *testing.T, p approvals.Policy) *fixture {
	t.Helper()
	f := &fixture{store: &approvalstest.Store{}, clock: &clock{t: t0}}
	svc, err := approvals.New(approvals.Options{
		Policy: p, Store: f.store, Now: f.clock.Now, History: f.store,
		Groups: groups{"SAPPROVERS": {approver3}, "SREQUESTERS": {requester}, "SAUDITORS": {"UGRPAUD"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func draft(k approvals.Kind) approvals.Draft {
	d := approvals.Draft{Kind: k, Requester: requester, Channel: channel, Reason: "ransomware alert 42"}
	switch {
	case k == approvals.KindBlock || k == approvals.KindUnblock:
		d.Params.FileHash = sha256Hash
	case k == approvals.KindQuarantine:
		d.Params = approvals.Params{Machine: machine, FileHash: sha256Hash}
	default:
		d.Params.Machine = machine
	}
	switch k {
	case approvals.KindIsolate:
		d.Params.Isolation = mde.IsolationFull
	case approvals.KindScan:
		d.Params.Scan = mde.ScanQuick
	}
	return d
}

func (f *fixture) open(t *testing.T, d approvals.Draft) *approvals.Request {
	t.Helper()
	res, err := f.svc.Open(context.Background(), d)
	if err != nil {
		t.Fatalf("Open(%s): %v", d.Kind, err)
	}
	return res.Request
}

// inState returns a request of kind k driven into state s.
func (f *fixture) inState(t *testing.T, k approvals.Kind, s approvals.State) *approvals.Request {
	t.Helper()
	ctx := context.Background()
	r := f.open(t, draft(k))
	must := func(res approvals.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		r = res.Request
	}
	approveAll := func() {
		for _, a := range []string{approver1, approver2}[:r.Required] {
			must(f.svc.Approve(ctx, r.ID, a, r.Fingerprint()))
		}
	}
	switch s {
	case approvals.StateAwaiting:
	case approvals.StateApproved:
		approveAll()
	case approvals.StateSubmitted:
		approveAll()
		must(f.svc.MarkSubmitted(ctx, r.ID, "act-1"))
	case approvals.StateSucceeded, approvals.StateTimedOut:
		approveAll()
		must(f.svc.MarkSubmitted(ctx, r.ID, "act-1"))
		st := mde.StatusSucceeded
		if s == approvals.StateTimedOut {
			st = mde.StatusTimeOut
		}
		must(f.svc.RecordStatus(ctx, r.ID, st, ""))
	case approvals.StateFailed:
		approveAll()
		must(f.svc.MarkFailed(ctx, r.ID, "400 bad request", approvals.Note{Kind: approvals.NoteSubmitFailed, Text: "400 bad request"}))
	case approvals.StateCancelled:
		approveAll()
		must(f.svc.Cancel(ctx, r.ID, requester, "not needed"))
	case approvals.StateDenied:
		must(f.svc.Deny(ctx, r.ID, approver1, "wrong machine"))
	case approvals.StateWithdrawn:
		must(f.svc.Withdraw(ctx, r.ID, requester))
	case approvals.StateExpired:
		f.clock.Advance(time.Hour)
		if _, err := f.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		r = got
	default:
		t.Fatalf("no way to reach %s", s)
	}
	if r.State != s {
		t.Fatalf("setup reached %s, want %s", r.State, s)
	}
	return r
}

// wantCode fails unless err is an *approvals.Error with code c.
func wantCode(t *testing.T, err error, c approvals.Code) *approvals.Error {
	t.Helper()
	if c == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return nil
	}
	var e *approvals.Error
	if !errors.As(err, &e) || e.Code != c {
		t.Fatalf("error = %v, want code %s", err, c)
	}
	if !errors.Is(err, &approvals.Error{Code: c}) {
		t.Fatalf("errors.Is does not match code %s", c)
	}
	return e
}

// lastEvent returns the store's last audit event.
func (f *fixture) lastEvent(t *testing.T) approvals.AuditEvent {
	t.Helper()
	ev := f.store.Events()
	if len(ev) == 0 {
		t.Fatal("no audit events")
	}
	return ev[len(ev)-1]
}
