package defender_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func TestEveryMachineActionSendsMDEsBodyAndReturnsTheNewAction(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	a := c.Actions
	tests := []struct {
		route, typ string
		run        func(id defender.MachineID, comment string) (defender.Submission, error)
		body       map[string]string
	}{
		{"actions.isolate", "Isolate", func(id defender.MachineID, cm string) (defender.Submission, error) {
			return a.Isolate(ctx, id, defender.IsolationFull, cm)
		}, map[string]string{"IsolationType": "Full"}},
		{"actions.unisolate", "Unisolate", func(id defender.MachineID, cm string) (defender.Submission, error) { return a.Unisolate(ctx, id, cm) }, nil},
		{"actions.restrictCodeExecution", "RestrictCodeExecution", func(id defender.MachineID, cm string) (defender.Submission, error) {
			return a.RestrictCodeExecution(ctx, id, cm)
		}, nil},
		{"actions.unrestrictCodeExecution", "UnrestrictCodeExecution", func(id defender.MachineID, cm string) (defender.Submission, error) {
			return a.UnrestrictCodeExecution(ctx, id, cm)
		}, nil},
		{"actions.runAntiVirusScan", "RunAntiVirusScan", func(id defender.MachineID, cm string) (defender.Submission, error) {
			return a.RunAntivirusScan(ctx, id, defender.ScanQuick, cm)
		}, map[string]string{"ScanType": "Quick"}},
		{"actions.collectInvestigationPackage", "CollectInvestigationPackage", func(id defender.MachineID, cm string) (defender.Submission, error) {
			return a.CollectInvestigationPackage(ctx, id, cm)
		}, nil},
		{"actions.StopAndQuarantineFile", "StopAndQuarantineFile", func(id defender.MachineID, cm string) (defender.Submission, error) {
			return a.StopAndQuarantineFile(ctx, id, strings.ToUpper(sha1Hash), cm)
		}, map[string]string{"Sha1": sha1Hash}},
		{"actions.offboard", "Offboard", func(id defender.MachineID, cm string) (defender.Submission, error) { return a.Offboard(ctx, id, cm) }, nil},
	}
	for i, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			comment := fmt.Sprintf("%s for INC-1 [req %d]", tt.typ, i)
			sub, err := tt.run(ws42, comment)
			if err != nil {
				t.Fatal(err)
			}
			if sub.Existing || string(sub.Action.Type) != tt.typ || sub.Action.Status != defender.StatusPending ||
				sub.Action.MachineID != ws42 || sub.Action.RequestorComment != comment || sub.Action.ID == "" {
				t.Errorf("submission = %+v", sub)
			}
			calls := routeCalls(srv, tt.route)
			if len(calls) != 1 {
				t.Fatalf("%d calls to %s, want 1", len(calls), tt.route)
			}
			var body map[string]string
			if err := json.Unmarshal(calls[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"Comment": comment}
			for k, v := range tt.body {
				want[k] = v
			}
			if diff := cmp.Diff(want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsolationAndScanTypesAreSentAsMDESpellsThem(t *testing.T) {
	// UnManagedDevice contains a device that is not onboarded ("Isolate
	// machine API").
	byod := defendertest.Machine{ComputerDNSName: "byod.contoso.local", OnboardingStatus: "CanBeOnboarded"}
	srv, c := setup(t, defendertest.WithMachines(append(defendertest.DefaultMachines(), byod)...))
	ctx := context.Background()
	for i, it := range []defender.IsolationType{defender.IsolationSelective, defender.IsolationUnmanaged} {
		id := machineID(fmt.Sprintf("ws-%04d.contoso.local", 3*(i+1)))
		if it == defender.IsolationUnmanaged {
			id = machineID(byod.ComputerDNSName)
		}
		if _, err := c.Actions.Isolate(ctx, id, it, fmt.Sprintf("isolate [req %d]", i)); err != nil {
			t.Fatalf("%s: %v", it, err)
		}
	}
	if _, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanFull, "full scan [req 9]"); err != nil {
		t.Fatal(err)
	}
	var scopes []string
	for _, a := range srv.Actions() {
		scopes = append(scopes, a.Scope)
	}
	if diff := cmp.Diff([]string{"Selective", "UnManagedDevice", "Full"}, scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if _, err := c.Actions.Isolate(ctx, ws42, "Partial", "x"); err == nil {
		t.Error("an unknown isolation type was sent")
	}
	if _, err := c.Actions.StopAndQuarantineFile(ctx, ws42, sha256H, "x"); err == nil {
		t.Error("a SHA-256 was sent to StopAndQuarantineFile")
	}
	if _, err := c.Actions.Unisolate(ctx, ws42, "  "); err == nil {
		t.Error("an empty comment was sent")
	}
}

func TestAnActionOnMacOSIsErrOSNotSupported(t *testing.T) {
	_, c := setup(t)
	// Isolation is supported on macOS today ("Isolate machine API"); app
	// restriction is not.
	_, err := c.Actions.RestrictCodeExecution(context.Background(), machineID("mac-0007.contoso.local"), "restrict the mac [req 1]")
	if !errors.Is(err, defender.ErrOSNotSupported) || !errors.Is(err, defender.ErrBadRequest) {
		t.Errorf("err = %v, want ErrOSNotSupported", err)
	}
}

func TestAnActionOnAnUnknownMachineIsErrNotFound(t *testing.T) {
	_, c := setup(t)
	_, err := c.Actions.Unisolate(context.Background(), "0000000000000000000000000000000000000001", "release [req 1]")
	if !errors.Is(err, defender.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestADuplicateActionReturnsThePendingOneInBothMDEModes(t *testing.T) {
	for _, mode := range []struct {
		name string
		m    defendertest.DuplicateMode
	}{{"400 ActiveRequestAlreadyExists", defendertest.RejectDuplicates}, {"the pending action returned", defendertest.ReturnPending}} {
		t.Run(mode.name, func(t *testing.T) {
			srv, c := setup(t, defendertest.WithDuplicateMode(mode.m))
			ctx := context.Background()
			first, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "isolate [req A]")
			if err != nil || first.Existing {
				t.Fatalf("first = %+v, %v", first, err)
			}
			second, err := c.Actions.Isolate(ctx, ws42, defender.IsolationSelective, "isolate [req B]")
			if err != nil {
				t.Fatalf("second isolate: %v", err)
			}
			if !second.Existing || second.Action.ID != first.Action.ID || second.Action.RequestorComment != "isolate [req A]" {
				t.Errorf("second = %+v, want the pending action %s marked Existing", second, first.Action.ID)
			}
			if n := len(srv.Actions()); n != 1 {
				t.Errorf("%d actions exist, want 1", n)
			}
			// Another type is not a duplicate.
			other, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "scan [req C]")
			if err != nil || other.Existing {
				t.Errorf("scan = %+v, %v", other, err)
			}
		})
	}
}

func TestADuplicateWhosePendingActionVanishedIsErrActionInProgress(t *testing.T) {
	srv, c := setup(t)
	srv.FailNext("actions.unisolate", 1, http.StatusBadRequest,
		`{"error":{"code":"ActiveRequestAlreadyExists","message":"Action is already in progress","target":"x"}}`, nil)
	_, err := c.Actions.Unisolate(context.Background(), ws42, "release [req 1]")
	if !errors.Is(err, defender.ErrActionInProgress) {
		t.Errorf("err = %v, want ErrActionInProgress", err)
	}
}

func TestAnAmbiguousFailureNeverResendsTheAction(t *testing.T) {
	for _, status := range []int{0, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		t.Run(fmt.Sprintf("status %d, nothing created", status), func(t *testing.T) {
			srv, c := setup(t)
			srv.FailNext("actions.isolate", 1, status, "", nil)
			_, err := c.Actions.Isolate(context.Background(), ws42, defender.IsolationFull, "isolate [req 1]")
			if !errors.Is(err, defender.ErrOutcomeUnknown) {
				t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
			}
			if n := srv.CallCount("actions.isolate"); n != 1 {
				t.Errorf("%d isolate requests, want exactly 1", n)
			}
			if srv.CallCount("machineactions.list") == 0 {
				t.Error("the client did not look for the action")
			}
		})
		t.Run(fmt.Sprintf("status %d, action created", status), func(t *testing.T) {
			srv, c := setup(t)
			ctx := context.Background()
			// The first request reached MDE and created the action; the
			// reply to the one the client sees is lost.
			created, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "isolate [req 2]")
			if err != nil {
				t.Fatal(err)
			}
			srv.FailNext("actions.isolate", 1, status, "", nil)
			sub, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "isolate [req 2]")
			if err != nil {
				t.Fatalf("err = %v, want the created action", err)
			}
			if sub.Existing || sub.Action.ID != created.Action.ID {
				t.Errorf("submission = %+v, want action %s as ours", sub, created.Action.ID)
			}
			if n := srv.CallCount("actions.isolate"); n != 2 {
				t.Errorf("%d isolate requests, want 2 (no re-send)", n)
			}
		})
	}
}

func TestAnUnreadableSuccessIsResolvedByLookingTheActionUp(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	created, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "scan [req 1]")
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("actions.runAntiVirusScan", 1, http.StatusCreated, `{"id":"`, nil)
	sub, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "scan [req 1]")
	if err != nil || sub.Action.ID != created.Action.ID || sub.Existing {
		t.Errorf("submission = %+v, %v; want action %s as ours", sub, err, created.Action.ID)
	}
	srv.FailNext("actions.restrictCodeExecution", 1, http.StatusCreated, `not json`, nil)
	if _, err := c.Actions.RestrictCodeExecution(ctx, ws42, "restrict [req 2]"); !errors.Is(err, defender.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrOutcomeUnknown", err)
	}
}

func TestAnAmbiguousFailureDoesNotClaimSomeoneElsesAction(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	if _, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "isolate [req other]"); err != nil {
		t.Fatal(err)
	}
	srv.FailNext("actions.isolate", 1, http.StatusBadGateway, "", nil)
	_, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "isolate [req mine]")
	if !errors.Is(err, defender.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrOutcomeUnknown", err)
	}
}

func TestCancelEndsAPendingAction(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	sub, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanFull, "scan [req 1]")
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Actions.Cancel(ctx, sub.Action.ID, "cancelled by @alice [req 2]")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != defender.StatusCancelled || a.CancellationComment != "cancelled by @alice [req 2]" || a.CancellationDateTimeUTC.IsZero() {
		t.Errorf("cancelled action = %+v", a)
	}
	if _, err := c.Actions.Cancel(ctx, sub.Action.ID, "again"); !errors.Is(err, defender.ErrBadRequest) {
		t.Errorf("cancelling a final action: err = %v, want ErrBadRequest", err)
	}
	if _, err := c.Actions.Cancel(ctx, "00000000-0000-0000-0000-000000000000", "x"); !errors.Is(err, defender.ErrNotFound) {
		t.Errorf("cancelling an unknown action: err = %v, want ErrNotFound", err)
	}
	if n := srv.CallCount("machineactions.cancel"); n != 3 {
		t.Errorf("%d cancel calls, want 3", n)
	}
}

func TestThePackageURIIsASecretWithoutStrayQuotes(t *testing.T) {
	srv, c := setup(t, defendertest.WithRateLimits(0, 0)) // 2/min would make the third call wait a minute
	ctx := context.Background()
	sub, err := c.Actions.CollectInvestigationPackage(ctx, ws42, "collect [req 1]")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Actions.PackageURI(ctx, sub.Action.ID); !errors.Is(err, defender.ErrNotFound) {
		t.Fatalf("before the collection succeeded: err = %v, want ErrNotFound", err)
	}
	if err := srv.SetStatus(sub.Action.ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	uri, err := c.Actions.PackageURI(ctx, sub.Action.ID)
	if err != nil {
		t.Fatal(err)
	}
	u := uri.Reveal()
	if !strings.HasPrefix(u, "https://") || strings.Contains(u, `"`) {
		t.Errorf("package URI %q", u)
	}
	if s := fmt.Sprintf("%v %+v %s", uri, uri, uri); strings.Contains(s, "https") {
		t.Errorf("the URI printed: %s", s)
	}
	scan, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "scan [req 2]")
	if err != nil {
		t.Fatal(err)
	}
	srv.SetStatus(scan.Action.ID, "Succeeded")
	if _, err := c.Actions.PackageURI(ctx, scan.Action.ID); !errors.Is(err, defender.ErrBadRequest) {
		t.Errorf("the package of a scan: err = %v, want ErrBadRequest (InvalidInput)", err)
	}
}

func TestListingActionsFiltersAndPages(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	var ids []string
	for i := 1; i <= 5; i++ {
		id := machineID(fmt.Sprintf("ws-%04d.contoso.local", 3*i))
		sub, err := c.Actions.Isolate(ctx, id, defender.IsolationFull, fmt.Sprintf("isolate [req %d]", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.Action.ID)
	}
	if _, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "scan [req 6]"); err != nil {
		t.Fatal(err)
	}
	srv.SetStatus(ids[0], "Succeeded")

	list, err := c.Actions.List(ctx, defender.ActionFilter{
		Types:    []defender.ActionType{defender.ActionIsolate},
		Statuses: []defender.ActionStatus{defender.StatusPending, defender.StatusInProgress},
	}, defender.ListOptions{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.ID)
	}
	if diff := cmp.Diff(ids[1:], got); diff != "" {
		t.Errorf("pending isolations (-want +got):\n%s", diff)
	}
	if n := srv.CallCount("machineactions.list"); n != 3 {
		t.Errorf("%d list calls for 4 results in pages of 2, want 3 (the empty third page ends it)", n)
	}

	one, err := c.Actions.List(ctx, defender.ActionFilter{MachineID: ws42}, defender.ListOptions{})
	if err != nil || len(one) != 1 || one[0].Type != defender.ActionRunAntiVirusScan {
		t.Errorf("actions on ws-0042 = %+v, %v", one, err)
	}
	a, err := c.Actions.Get(ctx, ids[0])
	if err != nil || a.Status != defender.StatusSucceeded {
		t.Errorf("Get = %+v, %v", a, err)
	}
	if _, err := c.Actions.Get(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, defender.ErrNotFound) {
		t.Errorf("Get(unknown) err = %v, want ErrNotFound", err)
	}
	hostile, err := c.Actions.List(ctx, defender.ActionFilter{Requestor: "x' or requestor ne '"}, defender.ListOptions{})
	if err != nil || len(hostile) != 0 {
		t.Errorf("hostile requestor matched %d actions, %v", len(hostile), err)
	}
}

func TestStatusesReadsManyActionsInFewCalls(t *testing.T) {
	srv, c := setup(t, defendertest.WithRateLimits(0, 0))
	ctx := context.Background()
	var ids []string
	for i := 1; i <= 30; i++ {
		id := machineID(fmt.Sprintf("ws-%04d.contoso.local", 3*i))
		if i == 14 {
			id = ws42
		}
		for _, run := range []func() (defender.Submission, error){
			func() (defender.Submission, error) { return c.Actions.Isolate(ctx, id, defender.IsolationFull, "i") },
			func() (defender.Submission, error) {
				return c.Actions.RunAntivirusScan(ctx, id, defender.ScanQuick, "s")
			},
			func() (defender.Submission, error) { return c.Actions.RestrictCodeExecution(ctx, id, "r") },
			func() (defender.Submission, error) { return c.Actions.CollectInvestigationPackage(ctx, id, "c") },
		} {
			sub, err := run()
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sub.Action.ID)
		}
	}
	srv.SetStatus(ids[7], "Failed")
	unknown := "00000000-0000-0000-0000-000000000000"
	before := srv.CallCount("machineactions.list")
	got, err := c.Actions.Statuses(ctx, append(append([]string{}, ids...), unknown, strings.ToUpper(ids[0])))
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.CallCount("machineactions.list") - before
	if want := (len(ids) + 1 + 29) / 30; calls > want {
		t.Errorf("%d calls for %d ids, want at most %d", calls, len(ids)+1, want)
	}
	if len(got) != len(ids) {
		t.Errorf("%d actions read, want %d", len(got), len(ids))
	}
	if got[ids[7]].Status != defender.StatusFailed || got[ids[0]].Status != defender.StatusPending {
		t.Errorf("statuses %s, %s", got[ids[7]].Status, got[ids[0]].Status)
	}
	for _, call := range routeCalls(srv, "machineactions.list")[before:] {
		if len(call.RawQuery) > 2100 {
			t.Errorf("a status query of %d bytes", len(call.RawQuery))
		}
	}
}

func TestStatusesHalvesABatchMDERefusesAndKeepsTheSizeThatWorked(t *testing.T) {
	// Ten "id eq '<guid>'" terms joined by " or " fit in 500 characters; eleven do not.
	srv, c := setup(t, defendertest.WithRateLimits(0, 0), defendertest.WithMaxFilterLength(500))
	ctx := context.Background()
	var ids []string
	for i := 1; i <= 30; i++ {
		id := machineID(fmt.Sprintf("ws-%04d.contoso.local", 3*i))
		if i == 14 {
			id = ws42
		}
		sub, err := c.Actions.RunAntivirusScan(ctx, id, defender.ScanQuick, "s")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.Action.ID)
	}
	got, err := c.Actions.Statuses(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Errorf("%d actions read, want %d", len(got), len(ids))
	}
	sizes := func(calls []defendertest.Call) []int {
		var out []int
		for _, call := range calls {
			q, _ := url.ParseQuery(call.RawQuery)
			out = append(out, strings.Count(q.Get("$filter"), "id eq"))
		}
		return out
	}
	// 30 ids: 30 refused, 15 refused, 7 accepted, then 7s from the size that worked.
	if diff := cmp.Diff([]int{30, 15, 7, 7, 7, 7, 2}, sizes(routeCalls(srv, "machineactions.list"))); diff != "" {
		t.Errorf("ids per call (-want +got):\n%s", diff)
	}
	before := len(routeCalls(srv, "machineactions.list"))
	if _, err := c.Actions.Statuses(ctx, ids[:10]); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{7, 3}, sizes(routeCalls(srv, "machineactions.list")[before:])); diff != "" {
		t.Errorf("a later call does not start from the size that worked (-want +got):\n%s", diff)
	}
}

func TestStatusesDownToOneIdStillRefusedIsAnError(t *testing.T) {
	srv, c := setup(t, defendertest.WithRateLimits(0, 0), defendertest.WithMaxFilterLength(10))
	ctx := context.Background()
	sub, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "s")
	if err != nil {
		t.Fatal(err)
	}
	sub2, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "i")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Actions.Statuses(ctx, []string{sub.Action.ID, sub2.Action.ID}); !errors.Is(err, defender.ErrBadRequest) {
		t.Errorf("err = %v, want MDE's 400", err)
	}
	if n := srv.CallCount("machineactions.list"); n != 2 {
		t.Errorf("%d calls, want 2 (both ids, then one)", n)
	}
}
