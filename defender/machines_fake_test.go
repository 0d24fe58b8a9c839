package defender_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
)

func names(ms []defender.Machine) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ComputerDNSName)
	}
	slices.Sort(out)
	return out
}

func TestMachinesAreFoundByIDNameIPAndTag(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()

	m, err := c.Machines.Get(ctx, ws42)
	if err != nil {
		t.Fatal(err)
	}
	if m.ComputerDNSName != "ws-0042.contoso.local" || m.OSPlatform != "Windows11" || m.LastSeen.IsZero() {
		t.Errorf("Get = %+v", m)
	}
	if _, err := c.Machines.Get(ctx, "0000000000000000000000000000000000000000"); !errors.Is(err, defender.ErrNotFound) {
		t.Errorf("Get(unknown) err = %v, want ErrNotFound", err)
	}
	if _, err := c.Machines.Get(ctx, "ws-0042"); err == nil {
		t.Errorf("Get(a name) was sent as an id")
	}

	tests := []struct {
		name string
		find func() ([]defender.Machine, error)
		want []string
	}{
		{"an exact DNS name", func() ([]defender.Machine, error) { return c.Machines.FindByName(ctx, "ws-0042.contoso.local") },
			[]string{"ws-0042.contoso.local"}},
		{"a DNS name in another case", func() ([]defender.Machine, error) { return c.Machines.FindByName(ctx, "WS-0042.Contoso.Local") },
			[]string{"ws-0042.contoso.local"}},
		{"a short name matching two domains", func() ([]defender.Machine, error) { return c.Machines.FindByName(ctx, "ws-0100") },
			[]string{"ws-0100.contoso.local", "ws-0100.fabrikam.local"}},
		{"a short name that is only a prefix of others", func() ([]defender.Machine, error) { return c.Machines.FindByName(ctx, "ws-00") },
			nil},
		{"an injection attempt in a name", func() ([]defender.Machine, error) {
			return c.Machines.FindByName(ctx, "x' or computerDnsName ne '")
		}, nil},
		{"an injection attempt in a short name", func() ([]defender.Machine, error) {
			return c.Machines.FindByName(ctx, "x') or startswith(computerDnsName,'ws")
		}, nil},
		{"the last IP", func() ([]defender.Machine, error) {
			return c.Machines.FindByLastIP(ctx, netip.MustParseAddr("10.20.30.41"))
		}, []string{"ws-0042.contoso.local"}},
		{"an IP seen recently", func() ([]defender.Machine, error) {
			return c.Machines.FindByIP(ctx, netip.MustParseAddr("10.20.30.41"), time.Now().Add(-5*time.Minute))
		}, []string{"ws-0042.contoso.local"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := tt.find()
			if err != nil {
				t.Fatal(err)
			}
			got := names(ms)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("found (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindByIPRefusesTimesOlderThan30Days(t *testing.T) {
	srv, c := setup(t)
	_, err := c.Machines.FindByIP(context.Background(), netip.MustParseAddr("10.20.30.41"), time.Now().Add(-31*24*time.Hour))
	if err == nil {
		t.Fatal("a 31-day-old time was accepted")
	}
	if n := srv.CallCount("machines.findbyip"); n != 0 {
		t.Errorf("%d findbyip calls, want 0 (refused client-side)", n)
	}
}

func TestHostileNamesAreEscapedNotRefused(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for _, name := range []string{"x' or computerDnsName ne '", "o'brien", "''", "a' or 'a' eq 'a"} {
		ms, err := c.Machines.FindByName(ctx, name)
		if err != nil || len(ms) != 0 {
			t.Errorf("FindByName(%q) = %v, %v; want nothing, no error", name, names(ms), err)
		}
	}
	if n := srv.CallCount("machines.list"); n != 4 {
		t.Errorf("%d machine list calls, want 4 (every hostile name reaches MDE escaped)", n)
	}
	for _, call := range routeCalls(srv, "machines.list") {
		if call.Status != 200 {
			t.Errorf("GET %s?%s answered %d", call.Path, call.RawQuery, call.Status)
		}
	}
}
