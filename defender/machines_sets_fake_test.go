package defender_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func dnsNames(ms []defender.Machine) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ComputerDNSName)
	}
	return out
}

// fakeNames returns the names of the fake's machines that keep.
func fakeNames(srv *defendertest.Server, keep func(defendertest.Machine) bool) []string {
	out := []string{}
	for _, m := range srv.Machines() {
		if keep(m) {
			out = append(out, m.ComputerDNSName)
		}
	}
	return out
}

func TestFindByTagAsksFindbytagForTheExactTagOnTheMachinesBudget(t *testing.T) {
	srv, _ := setup(t)
	rec := &recorder{}
	c := newClient(t, srv, defender.SecretCredential(defendertest.ClientSecret), defender.WithObserver(rec))
	ms, err := c.Machines.FindByTag(t.Context(), "TIER1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"srv-sql01.contoso.local", "srv-file01.contoso.local"}, dnsNames(ms)); diff != "" {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
	calls := routeCalls(srv, "machines.findbytag")
	if len(calls) != 1 || calls[0].RawQuery != "%24top=10000&tag=TIER1&useStartsWithFilter=false" {
		t.Errorf("calls %+v, want one findbytag with the tag, no prefix match, paged", calls)
	}
	if diff := cmp.Diff([]string{"machines GET OK"}, rec.calls); diff != "" {
		t.Errorf("observed calls (-want +got):\n%s", diff)
	}
	// "tier" is a prefix of tier0 and tier1, but no machine's tag.
	if ms, err := c.Machines.FindByTag(t.Context(), "tier"); err != nil || len(ms) != 0 {
		t.Errorf("FindByTag(tier) = %v, %v; want none", dnsNames(ms), err)
	}
}

func TestFindByTagRefusesWhatCannotBeATag(t *testing.T) {
	srv, c := setup(t)
	for _, tag := range []string{"", "a\x00b", strings.Repeat("t", 1025)} {
		if _, err := c.Machines.FindByTag(t.Context(), tag); err == nil {
			t.Errorf("FindByTag(%.10q) succeeded", tag)
		}
	}
	if n := srv.CallCount("machines.findbytag"); n != 0 {
		t.Errorf("%d calls to MDE for refused tags", n)
	}
}

func TestFindByGroupByIDFiltersOnRbacGroupID(t *testing.T) {
	srv, c := setup(t)
	ms, err := c.Machines.FindByGroup(t.Context(), "150")
	if err != nil {
		t.Fatal(err)
	}
	want := fakeNames(srv, func(m defendertest.Machine) bool { return m.RbacGroupID == 150 })
	if diff := cmp.Diff(want, dnsNames(ms)); diff != "" || len(want) == 0 {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
	calls := routeCalls(srv, "machines.list")
	if len(calls) != 1 || calls[0].RawQuery != "%24filter=rbacGroupId+eq+150&%24top=10000" {
		t.Errorf("calls %+v, want one list filtered by rbacGroupId", calls)
	}
}

func TestFindByGroupByNameReadsTheMachineListOnce(t *testing.T) {
	srv, c := setup(t)
	ms, err := c.Machines.FindByGroup(t.Context(), "servers")
	if err != nil {
		t.Fatal(err)
	}
	want := fakeNames(srv, func(m defendertest.Machine) bool { return m.RbacGroupName == "Servers" })
	if diff := cmp.Diff(want, dnsNames(ms)); diff != "" || len(want) == 0 {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
	if i := slices.IndexFunc(ms, func(m defender.Machine) bool { return m.RBACGroupID != 150 }); i >= 0 {
		t.Errorf("%s is in group %d, not 150", ms[i].ComputerDNSName, ms[i].RBACGroupID)
	}
	calls := routeCalls(srv, "machines.list")
	if len(calls) != 1 || calls[0].RawQuery != "%24top=10000" {
		t.Errorf("calls %+v, want one unfiltered list (rbacGroupName cannot be filtered on)", calls)
	}
}

func TestFindByGroupTakesADigitNameWithoutSuchAnIDAsAName(t *testing.T) {
	srv, c := setup(t, defendertest.WithMachines(
		defendertest.Machine{ComputerDNSName: "lab-1.contoso.local", RbacGroupName: "2024", RbacGroupID: 300},
		defendertest.Machine{ComputerDNSName: "lab-2.contoso.local", RbacGroupName: "Lab", RbacGroupID: 2024},
		defendertest.Machine{ComputerDNSName: "lab-3.contoso.local", RbacGroupName: "1999", RbacGroupID: 301},
	))
	ms, err := c.Machines.FindByGroup(t.Context(), "2024")
	if err != nil || !slices.Equal(dnsNames(ms), []string{"lab-2.contoso.local"}) {
		t.Errorf("group 2024 = %v, %v; want the machine of group id 2024", dnsNames(ms), err)
	}
	ms, err = c.Machines.FindByGroup(t.Context(), "1999")
	if err != nil || !slices.Equal(dnsNames(ms), []string{"lab-3.contoso.local"}) {
		t.Errorf("group 1999 = %v, %v; want the machine of the group named 1999", dnsNames(ms), err)
	}
	if n := srv.CallCount("machines.list"); n != 3 {
		t.Errorf("%d list calls, want 3 (an id found; an id not found, then the names)", n)
	}
}

func TestFindByGroupRefusesANameOfSeveralGroupsAndFindsNoneForAnUnknownOne(t *testing.T) {
	_, c := setup(t, defendertest.WithMachines(
		defendertest.Machine{ComputerDNSName: "a.contoso.local", RbacGroupName: "Lab", RbacGroupID: 1},
		defendertest.Machine{ComputerDNSName: "b.contoso.local", RbacGroupName: "LAB", RbacGroupID: 2},
		defendertest.Machine{ComputerDNSName: "c.contoso.local", RbacGroupName: "Kiosks", RbacGroupID: 3},
		defendertest.Machine{ComputerDNSName: "d.contoso.local", RbacGroupName: "kiosks", RbacGroupID: 4},
	))
	var amb *defender.AmbiguousGroupError
	if _, err := c.Machines.FindByGroup(t.Context(), "lab"); !errors.As(err, &amb) || !slices.Equal(amb.IDs, []int64{1, 2}) {
		t.Errorf("group lab: %v, want an *AmbiguousGroupError naming groups 1 and 2", err)
	}
	// An exact name wins over names that differ only by case.
	if ms, err := c.Machines.FindByGroup(t.Context(), "Kiosks"); err != nil || !slices.Equal(dnsNames(ms), []string{"c.contoso.local"}) {
		t.Errorf("group Kiosks = %v, %v", dnsNames(ms), err)
	}
	if ms, err := c.Machines.FindByGroup(t.Context(), "Nowhere"); err != nil || len(ms) != 0 {
		t.Errorf("group Nowhere = %v, %v; want none", dnsNames(ms), err)
	}
}
