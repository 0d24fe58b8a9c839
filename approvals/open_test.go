package approvals_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

func TestOpenValidatesTheDraft(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *approvals.Draft)
	}{
		{"an unknown kind is refused", func(d *approvals.Draft) { d.Kind = "release" }},
		{"a requester that is not a user id is refused", func(d *approvals.Draft) { d.Requester = "bob" }},
		{"a missing channel is refused", func(d *approvals.Draft) { d.Channel = "" }},
		{"an empty reason is refused", func(d *approvals.Draft) { d.Reason = "  " }},
		{"an overlong reason is refused", func(d *approvals.Draft) { d.Reason = strings.Repeat("x", approvals.MaxReasonLen+1) }},
		{"a malformed machine id is refused", func(d *approvals.Draft) { d.Params.Machine = "abc" }},
		{"an isolate without isolation type is refused", func(d *approvals.Draft) { d.Params.Isolation = "" }},
		{"an isolate with a scan type is refused", func(d *approvals.Draft) { d.Params.Scan = mde.ScanFull }},
		{"an isolate with a file hash is refused", func(d *approvals.Draft) { d.Params.FileHash = sha256Hash }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			d := draft(approvals.KindIsolate)
			tt.change(&d)
			_, err := f.svc.Open(context.Background(), d)
			wantCode(t, err, approvals.CodeInvalid)
			if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Code != approvals.CodeInvalid {
				t.Errorf("refusal not audited: %+v", ev)
			}
		})
	}
	kindTests := []struct {
		name   string
		kind   approvals.Kind
		change func(d *approvals.Draft)
	}{
		{"a scan without scan type is refused", approvals.KindScan, func(d *approvals.Draft) { d.Params.Scan = "" }},
		{"a block with a machine is refused", approvals.KindBlock, func(d *approvals.Draft) { d.Params.Machine = machine }},
		{"a block without a hash is refused", approvals.KindBlock, func(d *approvals.Draft) { d.Params.FileHash = "" }},
		{"a quarantine with a mismatched hash type is refused", approvals.KindQuarantine, func(d *approvals.Draft) { d.Params.HashType = mde.HashSHA1 }},
		{"a quarantine without a machine is refused", approvals.KindQuarantine, func(d *approvals.Draft) { d.Params.Machine = "" }},
	}
	for _, tt := range kindTests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			d := draft(tt.kind)
			tt.change(&d)
			_, err := f.svc.Open(context.Background(), d)
			wantCode(t, err, approvals.CodeInvalid)
		})
	}
}

func TestOpenNormalizesAndRecordsTheRequest(t *testing.T) {
	f := newFixture(t, testPolicy())
	d := draft(approvals.KindQuarantine)
	d.Params.Machine = mde.MachineID(strings.ToUpper(string(machine)))
	d.Params.FileHash = strings.ToUpper(sha256Hash)
	d.Reason = "  suspicious dropper  "
	r := f.open(t, d)
	want := &approvals.Request{
		ID: r.ID, Kind: approvals.KindQuarantine,
		Params:    approvals.Params{Machine: machine, FileHash: sha256Hash, HashType: mde.HashSHA256},
		Requester: requester, Channel: channel, Reason: "suspicious dropper",
		Created: t0, Expires: t0.Add(approvals.DefaultTTL), Required: 1,
		State: approvals.StateAwaiting, Updated: t0,
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(r.ID, "R-") || len(r.ID) != 12 {
		t.Errorf("id %q is not R- and 10 characters", r.ID)
	}
}

func TestOpenAppliesThePolicy(t *testing.T) {
	tests := []struct {
		name     string
		policy   approvals.Policy
		kind     approvals.Kind
		wantCode approvals.Code
		wantExec bool
		wantReq  int
		wantTTL  time.Duration
	}{
		{name: "a scan needs no approval and is executable at once", policy: testPolicy(), kind: approvals.KindScan, wantExec: true},
		{name: "a collect needs no approval by default", policy: testPolicy(), kind: approvals.KindCollect, wantExec: true},
		{name: "an isolate needs one approval by default", policy: testPolicy(), kind: approvals.KindIsolate, wantReq: 1},
		{name: "an offboard needs two approvals by default", policy: testPolicy(), kind: approvals.KindOffboard, wantReq: 2},
		{name: "the policy can require approval for a scan",
			policy: approvals.Policy{Approvers: []string{approver1}, Approvals: map[approvals.Kind]int{approvals.KindScan: 1}},
			kind:   approvals.KindScan, wantReq: 1},
		{name: "the policy's TTL sets the expiry",
			policy: approvals.Policy{Approvers: []string{approver1}, TTL: 5 * time.Minute},
			kind:   approvals.KindIsolate, wantReq: 1, wantTTL: 5 * time.Minute},
		{name: "a requester outside the requester list is refused",
			policy: approvals.Policy{Approvers: []string{approver1}, Requesters: []string{"UOTHER"}},
			kind:   approvals.KindScan, wantCode: approvals.CodeNotPermitted},
		{name: "a requester in a requester group may request",
			policy: approvals.Policy{Approvers: []string{approver1}, Requesters: []string{"SREQUESTERS"}},
			kind:   approvals.KindIsolate, wantReq: 1},
		{name: "a request from a channel that is not allowed is refused",
			policy: approvals.Policy{Approvers: []string{approver1}, Channels: []string{"COTHER"}},
			kind:   approvals.KindScan, wantCode: approvals.CodeNotPermitted},
		{name: "a request from an allowed channel is accepted",
			policy: approvals.Policy{Approvers: []string{approver1}, Channels: []string{"COTHER", channel}},
			kind:   approvals.KindScan, wantExec: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.policy)
			res, err := f.svc.Open(context.Background(), draft(tt.kind))
			wantCode(t, err, tt.wantCode)
			if err != nil {
				if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Actor != requester {
					t.Errorf("refusal not audited: %+v", ev)
				}
				return
			}
			r := res.Request
			wantState := approvals.StateAwaiting
			if tt.wantExec {
				wantState = approvals.StateApproved
			}
			if res.Executable != tt.wantExec || r.State != wantState || r.Required != tt.wantReq {
				t.Errorf("executable %v state %s required %d, want %v %s %d", res.Executable, r.State, r.Required, tt.wantExec, wantState, tt.wantReq)
			}
			if tt.wantTTL == 0 {
				tt.wantTTL = approvals.DefaultTTL
			}
			if got := r.Expires.Sub(r.Created); got != tt.wantTTL {
				t.Errorf("window %s, want %s", got, tt.wantTTL)
			}
		})
	}
}

func TestOpenAllowsOneLiveRequestPerTarget(t *testing.T) {
	k := func(s string) approvals.Kind { return approvals.Kind(s) }
	tests := []struct {
		name       string
		first      approvals.Kind
		firstState approvals.State
		second     approvals.Kind
		otherTgt   bool // the second targets another machine / hash
		advance    time.Duration
		conflict   bool
	}{
		{name: "a second isolate while one awaits approval is refused", first: "isolate", firstState: approvals.StateAwaiting, second: "isolate", conflict: true},
		{name: "a second isolate while one is approved is refused", first: "isolate", firstState: approvals.StateApproved, second: "isolate", conflict: true},
		{name: "a second isolate while one is submitted is refused", first: "isolate", firstState: approvals.StateSubmitted, second: "isolate", conflict: true},
		{name: "an isolate after the first succeeded is accepted", first: "isolate", firstState: approvals.StateSucceeded, second: "isolate"},
		{name: "an isolate after the first was denied is accepted", first: "isolate", firstState: approvals.StateDenied, second: "isolate"},
		{name: "an isolate after the first expired is accepted", first: "isolate", firstState: approvals.StateExpired, second: "isolate"},
		{name: "an isolate after the first's window passed unswept is accepted", first: "isolate", firstState: approvals.StateAwaiting, second: "isolate", advance: 31 * time.Minute},
		{name: "an isolate of another machine is accepted", first: "isolate", firstState: approvals.StateAwaiting, second: "isolate", otherTgt: true},
		{name: "an isolate while an unisolate is live is refused", first: "unisolate", firstState: approvals.StateAwaiting, second: "isolate", conflict: true},
		{name: "an unisolate while an isolate is submitted is refused", first: "isolate", firstState: approvals.StateSubmitted, second: "unisolate", conflict: true},
		{name: "a restrict while an unrestrict is live is refused", first: "unrestrict", firstState: approvals.StateAwaiting, second: "restrict", conflict: true},
		{name: "a block while an unblock of the same hash is live is refused", first: "unblock", firstState: approvals.StateAwaiting, second: "block", conflict: true},
		{name: "a block of another hash is accepted", first: "block", firstState: approvals.StateAwaiting, second: "block", otherTgt: true},
		{name: "a second scan while one is approved is refused", first: "scan", firstState: approvals.StateApproved, second: "scan", conflict: true},
		{name: "a scan while an isolate is live is accepted", first: "isolate", firstState: approvals.StateAwaiting, second: "scan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			first := f.inState(t, k(string(tt.first)), tt.firstState)
			f.clock.Advance(tt.advance)
			d := draft(tt.second)
			if tt.otherTgt {
				if d.Params.Machine != "" {
					d.Params.Machine = machine2
				} else {
					d.Params.FileHash = strings.Repeat("a", 64)
				}
			}
			d.Requester = "UREQ2"
			_, err := f.svc.Open(context.Background(), d)
			if !tt.conflict {
				wantCode(t, err, "")
				return
			}
			e := wantCode(t, err, approvals.CodeConflict)
			if e.Existing != first.ID {
				t.Errorf("conflict points at %q, want %q", e.Existing, first.ID)
			}
			if ev := f.lastEvent(t); ev.Type != approvals.EventRefused || ev.Actor != "UREQ2" || ev.Code != approvals.CodeConflict {
				t.Errorf("refusal not audited: %+v", ev)
			}
		})
	}
}

func TestFingerprintCoversWhatIsShown(t *testing.T) {
	f := newFixture(t, testPolicy())
	r := f.open(t, draft(approvals.KindIsolate))
	changes := map[string]func(r *approvals.Request){
		"kind":      func(r *approvals.Request) { r.Kind = approvals.KindRestrict },
		"machine":   func(r *approvals.Request) { r.Params.Machine = machine2 },
		"name":      func(r *approvals.Request) { r.Params.MachineName = "other" },
		"isolation": func(r *approvals.Request) { r.Params.Isolation = mde.IsolationSelective },
		"reason":    func(r *approvals.Request) { r.Reason += "!" },
		"requester": func(r *approvals.Request) { r.Requester = "UOTHER" },
		"id":        func(r *approvals.Request) { r.ID = "R-OTHER" },
		"required":  func(r *approvals.Request) { r.Required = 0 },
	}
	for name, change := range changes {
		c := r.Clone()
		change(c)
		if c.Fingerprint() == r.Fingerprint() {
			t.Errorf("changing the %s keeps the fingerprint", name)
		}
	}
	c := r.Clone()
	c.State, c.Card = approvals.StateDenied, approvals.Card{Channel: "C1", TS: "1.2"}
	if c.Fingerprint() != r.Fingerprint() {
		t.Error("the fingerprint depends on lifecycle fields")
	}
}

func TestNewIDsAreShortAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := approvals.NewID()
		if len(id) != 12 || seen[id] {
			t.Fatalf("id %q is malformed or repeated", id)
		}
		seen[id] = true
	}
}
