package defender_test

import (
	"testing"

	"github.com/mdebot/mdebot/defender"
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
