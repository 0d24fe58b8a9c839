package approvals_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
)

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy approvals.Policy
		ok     bool
	}{
		{"a policy with approvers is valid", approvals.Policy{Approvers: []string{"U1A", "W2B", "S3C"}}, true},
		{"a policy where nothing needs approval may have no approvers", approvals.Policy{Approvals: map[approvals.Kind]int{
			"isolate": 0, "unisolate": 0, "restrict": 0, "unrestrict": 0, "quarantine": 0, "block": 0, "unblock": 0, "offboard": 0}}, true},
		{"a policy needing approvals without approvers is invalid", approvals.Policy{}, false},
		{"an unknown kind is invalid", approvals.Policy{Approvers: []string{"U1"}, Approvals: map[approvals.Kind]int{"release": 1}}, false},
		{"a negative count is invalid", approvals.Policy{Approvers: []string{"U1"}, Approvals: map[approvals.Kind]int{"scan": -1}}, false},
		{"an approver that is not a Slack id is invalid", approvals.Policy{Approvers: []string{"alice"}}, false},
		{"a channel id as approver is invalid", approvals.Policy{Approvers: []string{"C123"}}, false},
		{"a malformed channel is invalid", approvals.Policy{Approvers: []string{"U1A"}, Channels: []string{"#sec"}}, false},
		{"a negative TTL is invalid", approvals.Policy{Approvers: []string{"U1A"}, TTL: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, approvals.ErrInvalidPolicy) {
				t.Errorf("error %v does not match ErrInvalidPolicy", err)
			}
		})
	}
}

func TestIsGroupIDTellsUserGroupsFromUsers(t *testing.T) {
	tests := map[string]bool{
		"S0APPROVERS":                       true,
		"S01":                               true,
		"S0123456789ABCDEFGHIJKLMNOPQRSTU":  true, // 32 characters
		"U0REQUESTER":                       false,
		"W0ENTERPRISE":                      false,
		"S0":                                false,
		"S0123456789ABCDEFGHIJKLMNOPQRSTUV": false, // 33 characters
		"s0approvers":                       false,
		"S0APPROVERS>":                      false,
		"<!subteam^S0APPROVERS>":            false,
		"":                                  false,
	}
	for id, want := range tests {
		if got := approvals.IsGroupID(id); got != want {
			t.Errorf("IsGroupID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestNewRefusesGroupsWithoutAResolver(t *testing.T) {
	_, err := approvals.New(approvals.Options{Policy: testPolicy(), Store: &approvalstest.Store{}})
	if !errors.Is(err, approvals.ErrInvalidPolicy) {
		t.Errorf("New = %v, want ErrInvalidPolicy", err)
	}
}

type failingGroups struct{}

func (failingGroups) Members(context.Context, string) ([]string, error) {
	return nil, errors.New("slack: ratelimited")
}

func TestAGroupLookupFailureIsReportedNotTreatedAsDenial(t *testing.T) {
	ctx := context.Background()
	svc, err := approvals.New(approvals.Options{
		Policy: approvals.Policy{Approvers: []string{"SAPPROVERS"}}, Store: &approvalstest.Store{}, Groups: failingGroups{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Open(ctx, draft(approvals.KindIsolate))
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Approve(ctx, res.Request.ID, approver1, res.Request.Fingerprint())
	wantCode(t, err, approvals.CodeGroupLookup)
	if err == nil || !contains(err.Error(), "ratelimited") {
		t.Errorf("error %v hides the cause", err)
	}
}

func TestParseKindAcceptsOnlyTheExactNames(t *testing.T) {
	for _, k := range approvals.Kinds() {
		if got, err := approvals.ParseKind(" " + string(k) + " "); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := approvals.ParseKind("release"); !errors.Is(err, approvals.ErrInvalid) {
		t.Errorf("ParseKind(release) = %v, want ErrInvalid (the alias is the bot's business)", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestEveryAttemptRefusedBecauseAGroupLookupFailedIsAudited(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		try  func(svc *approvals.Service, r *approvals.Request) error
	}{
		{"approve", func(svc *approvals.Service, r *approvals.Request) error {
			_, err := svc.Approve(ctx, r.ID, approver1, r.Fingerprint())
			return err
		}},
		{"deny", func(svc *approvals.Service, r *approvals.Request) error {
			_, err := svc.Deny(ctx, r.ID, approver1, "wrong machine")
			return err
		}},
		{"withdraw", func(svc *approvals.Service, r *approvals.Request) error {
			_, err := svc.Withdraw(ctx, r.ID, approver1)
			return err
		}},
		{"cancel", func(svc *approvals.Service, r *approvals.Request) error {
			_, err := svc.Cancel(ctx, r.ID, approver1, "not needed")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &approvalstest.Store{}
			svc, err := approvals.New(approvals.Options{
				Policy: approvals.Policy{Approvers: []string{"SAPPROVERS"}}, Store: store, Groups: failingGroups{}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Open(ctx, draft(approvals.KindIsolate))
			if err != nil {
				t.Fatal(err)
			}
			before := len(store.Events())
			wantCode(t, tc.try(svc, res.Request), approvals.CodeGroupLookup)
			ev := store.Events()
			if len(ev) != before+1 {
				t.Fatalf("%d events audited, want 1 refusal", len(ev)-before)
			}
			got := ev[len(ev)-1]
			if got.Type != approvals.EventRefused || got.Code != approvals.CodeGroupLookup || got.Actor != approver1 ||
				got.RequestID != res.Request.ID || !contains(got.Detail, tc.name) {
				t.Errorf("audited %+v, want a group_lookup refusal of %s by %s on %s", got, tc.name, approver1, res.Request.ID)
			}
		})
	}
	t.Run("open", func(t *testing.T) {
		st := &approvalstest.Store{}
		svc, err := approvals.New(approvals.Options{
			Policy: approvals.Policy{Approvers: []string{approver1}, Requesters: []string{"SREQUESTERS"}}, Store: st, Groups: failingGroups{}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Open(ctx, draft(approvals.KindIsolate))
		wantCode(t, err, approvals.CodeGroupLookup)
		ev := st.Events()
		if len(ev) != 1 || ev[0].Type != approvals.EventRefused || ev[0].Code != approvals.CodeGroupLookup || ev[0].Actor != requester {
			t.Errorf("audited %+v, want one group_lookup refusal of the requester", ev)
		}
	})
}

func TestAPolicyTightenedWhileARequestWaitsRaisesItsCount(t *testing.T) {
	ctx := context.Background()
	store := &approvalstest.Store{}
	clk := &clock{t: t0}
	service := func(isolate int) *approvals.Service {
		p := testPolicy()
		p.Approvals = map[approvals.Kind]int{approvals.KindIsolate: isolate}
		svc, err := approvals.New(approvals.Options{Policy: p, Store: store, Now: clk.Now, Groups: groups{"SAPPROVERS": {approver3}}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	// Opened under isolate: 1, then mdebot restarts with isolate: 2.
	res, err := service(1).Open(ctx, draft(approvals.KindIsolate))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	svc := service(2)

	res, err = svc.Approve(ctx, r.ID, approver1, r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	got := res.Request
	if res.Executable || got.State != approvals.StateAwaiting || got.Required != 2 || got.RequiredAtOpen != 1 {
		t.Fatalf("one approval under a policy raised to 2: executable %v, state %s, required %d (at open %d); want awaiting, 2 (1)",
			res.Executable, got.State, got.Required, got.RequiredAtOpen)
	}
	if ev := store.Events()[len(store.Events())-1]; ev.Detail != "approval 1 of 2 (the policy now needs 2 for isolate; 1 when requested)" {
		t.Errorf("audit detail = %q", ev.Detail)
	}
	res, err = svc.Approve(ctx, r.ID, approver2, got.Fingerprint())
	if err != nil || !res.Executable {
		t.Fatalf("second approval: executable %v, %v; want executable", res.Executable, err)
	}

	// A policy loosened meanwhile never lowers the stored count.
	d := draft(approvals.KindIsolate)
	d.Params.Machine = machine2
	res, err = service(2).Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	r = res.Request
	res, err = service(1).Approve(ctx, r.ID, approver1, r.Fingerprint())
	if err != nil || res.Executable || res.Request.Required != 2 || res.Request.RequiredAtOpen != 0 {
		t.Errorf("one approval under a policy lowered to 1: executable %v, required %d (at open %d), %v; want awaiting 2 (0)",
			res.Executable, res.Request.Required, res.Request.RequiredAtOpen, err)
	}
}
