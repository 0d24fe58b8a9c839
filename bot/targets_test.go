package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

// inFlight counts the concurrent requests to MDE's API.
type inFlight struct {
	next      http.RoundTripper
	mu        sync.Mutex
	now, peak int
	fail      string // a $filter containing this fails with 400
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		return f.next.RoundTrip(r)
	}
	f.mu.Lock()
	f.now++
	f.peak = max(f.peak, f.now)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	}()
	if f.fail != "" && strings.Contains(r.URL.Query().Get("$filter"), f.fail) {
		r2 := r.Clone(r.Context())
		q := r2.URL.Query()
		q.Set("$top", "-1") // the fake refuses it: a 400 from MDE
		r2.URL.RawQuery = q.Encode()
		return f.next.RoundTrip(r2)
	}
	return f.next.RoundTrip(r)
}

func targetsOf(t *testing.T, text string) []command.Target {
	t.Helper()
	c, err := command.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return c.Targets
}

func TestResolveTargetsResolvesThirtyNamesATagAndAGroupOnceEach(t *testing.T) {
	flight := &inFlight{}
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeTransport = func(rt http.RoundTripper) http.RoundTripper { flight.next = rt; return flight }
	})
	b := h.detachedBot()
	var names []string
	byName := map[string]defendertest.Machine{}
	for _, m := range h.mde.Machines() {
		short, _, _ := strings.Cut(m.ComputerDNSName, ".")
		byName[short] = m
		if len(names) < 30 && strings.HasPrefix(short, "ws-00") && short != "ws-0100" && short != "ws-0077" {
			names = append(names, short)
		}
	}
	if len(names) != 30 {
		t.Fatalf("the fake has %d distinct workstations, want 30", len(names))
	}
	// The tag and the group overlap the names (and each other): every
	// machine comes once, first where it was first named.
	targets := targetsOf(t, "isolate "+strings.Join(names, ",")+",tag:vip,group:Servers,tag:tier1 -- outbreak")
	ms, err := b.resolveTargets(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range names {
		want = append(want, byName[n].ID)
	}
	for _, m := range h.mde.Machines() {
		if (slices.Contains(m.MachineTags, "vip") || m.RbacGroupName == "Servers") && !slices.Contains(want, m.ID) {
			want = append(want, m.ID)
		}
	}
	var got []string
	for _, m := range ms {
		got = append(got, string(m.ID))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
	if n := h.mde.CallCount("machines.list"); n != 31 {
		t.Errorf("%d machine list calls, want 31: one per name, one for the group", n)
	}
	if n := h.mde.CallCount("machines.findbytag"); n != 2 {
		t.Errorf("%d findbytag calls, want one per tag (2)", n)
	}
	if flight.peak > resolveParallel || flight.peak < 2 {
		t.Errorf("%d look-ups at once, want in parallel and at most %d", flight.peak, resolveParallel)
	}
}

func TestResolveTargetsListsEveryUnknownAmbiguousAndEmptyTarget(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = append(c.mdeOpts, defendertest.WithMachines(append(defendertest.DefaultMachines(),
			defendertest.Machine{ComputerDNSName: "lab-1.contoso.local", RbacGroupName: "Lab", RbacGroupID: 501},
			defendertest.Machine{ComputerDNSName: "lab-2.contoso.local", RbacGroupName: "LAB", RbacGroupID: 502})...))
	})
	b := h.detachedBot()
	targets := targetsOf(t, `collect ws-0042 ws-9999 ws-0100 10.99.99.99 tag:"No Such Tag" group:Nowhere group:lab ws-0003 -- case 7`)
	ms, err := b.resolveTargets(t.Context(), targets)
	var ue *UnresolvedError
	if !errors.As(err, &ue) {
		t.Fatalf("resolveTargets = %d machines, %v; want an *UnresolvedError", len(ms), err)
	}
	if ms != nil {
		t.Errorf("%d machines returned with the error", len(ms))
	}
	if diff := cmp.Diff([]string{"ws-9999", "10.99.99.99"}, ue.Unknown); diff != "" {
		t.Errorf("unknown (-want +got):\n%s", diff)
	}
	var amb []string
	for _, m := range ue.Ambiguous["ws-0100"] {
		amb = append(amb, m.ComputerDNSName)
	}
	if diff := cmp.Diff([]string{"ws-0100.contoso.local", "ws-0100.fabrikam.local"}, amb); diff != "" || len(ue.Ambiguous) != 1 {
		t.Errorf("ambiguous %v (-want +got):\n%s", ue.Ambiguous, diff)
	}
	if diff := cmp.Diff([]string{`tag:"No Such Tag"`}, ue.EmptyTags); diff != "" {
		t.Errorf("empty tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"group:Nowhere"}, ue.EmptyGroups); diff != "" {
		t.Errorf("empty groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]int64{"group:lab": {501, 502}}, ue.AmbiguousGroups); diff != "" {
		t.Errorf("ambiguous groups (-want +got):\n%s", diff)
	}
	for _, want := range []string{"unknown ws-9999, 10.99.99.99", "ws-0100 matches 2 machines", `no machines in tag:"No Such Tag", group:Nowhere`, "group:lab names device groups [501 502]"} {
		if !strings.Contains(ue.Error(), want) {
			t.Errorf("Error() = %q, want it to say %q", ue.Error(), want)
		}
	}
	// The view renders every problem.
	text := blocksTextOf(t, ue)
	for _, want := range []string{"ws-9999", "10.99.99.99", "ws-0100.fabrikam.local", "No Such Tag", "group:Nowhere", "group:501"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered refusal does not name %s", want)
		}
	}
}

func TestResolveTargetsReturnsAFailedLookUpAndStopsThere(t *testing.T) {
	flight := &inFlight{fail: "ws-0009"}
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeTransport = func(rt http.RoundTripper) http.RoundTripper { flight.next = rt; return flight }
	})
	b := h.detachedBot()
	var names []string
	for i := 1; i <= 30; i++ {
		names = append(names, fmt.Sprintf("ws-%04d", i*3))
	}
	_, err := b.resolveTargets(t.Context(), targetsOf(t, "scan "+strings.Join(names, ",")+" quick sweep"))
	var de *defender.Error
	if !errors.As(err, &de) || de.StatusCode != http.StatusBadRequest {
		t.Fatalf("err = %v, want MDE's 400", err)
	}
	if n := h.mde.CallCount("machines.list"); n >= 30 {
		t.Errorf("%d look-ups after the third failed, want the rest not started", n)
	}
}

func TestResolveTargetsRespectsItsContext(t *testing.T) {
	h := newHarness(t)
	b := h.detachedBot()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.resolveTargets(ctx, targetsOf(t, "scan ws-0003,ws-0006 quick x")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := h.mde.CallCount("machines.list"); n != 0 {
		t.Errorf("%d look-ups with a cancelled context", n)
	}
}

// blocksTextOf renders ue as the person would see it, as JSON.
func blocksTextOf(t *testing.T, ue *UnresolvedError) string {
	t.Helper()
	m := blocks.RenderUnresolvedTargets(ue.view())
	b, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkResolveThirtyNames resolves a 30-name outbreak list against the
// fake MDE, its rate limits raised so that the loop measures resolution
// (30 look-ups, resolveParallel at a time), not the budget.
func BenchmarkResolveThirtyNames(b *testing.B) {
	h := newHarness(b, func(c *harnessConfig) {
		c.mdeOpts = []defendertest.Option{defendertest.WithProgress(0, 0), defendertest.WithRateLimits(1_000_000, 1_000_000)}
	})
	bot := h.detachedBot()
	var names []string
	for i := 1; i <= 30; i++ {
		names = append(names, fmt.Sprintf("ws-%04d", i*3))
	}
	c, err := command.Parse("isolate " + strings.Join(names, ",") + " selective outbreak")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ms, err := bot.resolveTargets(b.Context(), c.Targets)
		if err != nil || len(ms) != 30 {
			b.Fatalf("%d machines, %v", len(ms), err)
		}
	}
}
