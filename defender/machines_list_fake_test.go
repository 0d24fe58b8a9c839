package defender_test

import (
	"testing"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func TestListWithALimitOfOneAsksForOneMachineOnly(t *testing.T) {
	srv, c := setup(t)
	ms, err := c.Machines.List(t.Context(), defender.ListOptions{PageSize: 1, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Errorf("%d machines, want 1", len(ms))
	}
	calls := routeCalls(srv, "machines.list")
	if len(calls) != 1 || calls[0].RawQuery != "%24top=1" {
		t.Errorf("calls %+v, want one GET with $top=1", calls)
	}
}

func TestListOfATenantWithoutRecentMachinesIsEmptyNotAnError(t *testing.T) {
	// MDE answers GET /api/machines with 404 when no machine was seen
	// recently; mdebot check must not report that as a failure.
	srv, c := setup(t, defendertest.WithMachines())
	ms, err := c.Machines.List(t.Context(), defender.ListOptions{PageSize: 1, Limit: 1})
	if err != nil || len(ms) != 0 {
		t.Fatalf("List = %d machines, %v; want none and no error", len(ms), err)
	}
	if n := srv.CallCount("machines.list"); n != 1 {
		t.Errorf("%d list calls, want 1", n)
	}
}
