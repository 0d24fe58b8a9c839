package defendertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGettingAMachine(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	res := get(t, srv, tok, "/api/machines/"+ws42)
	if res.status != http.StatusOK || res.header.Get("OData-Version") != "4.0" ||
		!strings.HasPrefix(res.header.Get("Content-Type"), "application/json; odata.metadata=minimal") {
		t.Fatalf("got %d %v", res.status, res.header)
	}
	m := res.json(t)
	if m["computerDnsName"] != "ws-0042.contoso.local" || m["osPlatform"] != "Windows11" ||
		m["@odata.context"] != srv.URL()+"/api/$metadata#Machines/$entity" {
		t.Errorf("machine = %v", m)
	}
	if !strings.HasPrefix(string(res.body), `{"@odata.context":`) || !strings.Contains(string(res.body), `"id":"`+ws42+`","mergedIntoMachineId":null`) {
		t.Errorf("property order: %s", res.body)
	}
}

func TestAnUnknownMachineIsNotFound(t *testing.T) {
	srv := newTestServer(t)
	res := get(t, srv, accessToken(t, srv), "/api/machines/0000000000000000000000000000000000000000")
	code, msg := res.errorCode(t)
	if res.status != http.StatusNotFound || code != "ResourceNotFound" ||
		msg != "Machine 0000000000000000000000000000000000000000 was not found" {
		t.Errorf("got %d %s %q", res.status, code, msg)
	}
	if res.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", res.header.Get("Content-Type"))
	}
}

func machineNames(t *testing.T, r response) []string {
	t.Helper()
	var body struct {
		Value []struct {
			Name string `json:"computerDnsName"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	names := []string{}
	for _, v := range body.Value {
		names = append(names, v.Name)
	}
	return names
}

func TestListingMachinesWithOData(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	tests := []struct {
		query string
		want  []string
	}{
		{"$filter=computerDnsName eq 'ws-0042.contoso.local'", []string{"ws-0042.contoso.local"}},
		{"$filter=startswith(computerDnsName,'ws-0100')", []string{"ws-0100.contoso.local", "ws-0100.fabrikam.local"}},
		{"$filter=lastIpAddress eq '10.20.30.41'", []string{"ws-0042.contoso.local"}},
		{"$filter=machineTags/any(tag: tag eq 'vip')&$top=2", []string{"ws-0012.contoso.local", "ws-0033.contoso.local"}},
		{"$filter=osPlatform+eq+'Linux'+or+osPlatform+eq+'macOS'", []string{"lnx-web01.contoso.local", "mac-0007.contoso.local"}},
		{"$filter=healthStatus ne 'Active'", []string{"ws-0077.contoso.local"}},
		{"$filter=rbacGroupId eq 210", []string{"ws-0100.fabrikam.local"}},
		{"$filter=computerDnsName eq 'WS-0042.contoso.local'", []string{}},
		{"$top=2&$skip=1", []string{"ws-0006.contoso.local", "ws-0009.contoso.local"}},
		{"$top=0", []string{}},
		{"$skip=1000", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q := strings.ReplaceAll(tt.query, " ", "%20")
			res := get(t, srv, tok, "/api/machines?"+q)
			if diff := cmp.Diff(tt.want, machineNames(t, res)); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAMachineListFilterBeforeLastSeenWorks(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	q := url.Values{"$filter": {"lastSeen lt " + clock.Now().Add(-24*time.Hour).Format(time.RFC3339)}}
	res := get(t, srv, accessToken(t, srv), "/api/machines?"+q.Encode())
	if diff := cmp.Diff([]string{"ws-0077.contoso.local"}, machineNames(t, res)); diff != "" {
		t.Errorf("machines not seen for a day (-want +got):\n%s", diff)
	}
}

func TestFindingMachinesByIP(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	at := func(d time.Duration) string { return clock.Now().Add(d).UTC().Format(time.RFC3339) }
	tests := []struct {
		name   string
		args   string
		status int
		want   []string
	}{
		{"now", "ip='10.20.30.41',timestamp=" + at(0), 200, []string{"ws-0042.contoso.local"}},
		{"a week ago", "ip='10.20.30.41',timestamp=" + at(-7*24*time.Hour), 200, []string{"ws-0042.contoso.local"}},
		{"an unknown IP", "ip='10.99.99.99',timestamp=" + at(0), 200, []string{}},
		{"an offline machine after it was last seen", "ip='10.20.31.77',timestamp=" + at(0), 200, []string{}},
		{"an offline machine while it was seen", "ip='10.20.31.77',timestamp=" + at(-10*24*time.Hour), 200, []string{"ws-0077.contoso.local"}},
		{"more than 30 days ago", "ip='10.20.30.41',timestamp=" + at(-31*24*time.Hour), 400, nil},
		{"a bad IP", "ip='10.20.30',timestamp=" + at(0), 400, nil},
		{"no timestamp", "ip='10.20.30.41'", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, srv, tok, "/api/machines/findbyip("+tt.args+")")
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, machineNames(t, res)); diff != "" {
					t.Errorf("names (-want +got):\n%s", diff)
				}
			}
		})
	}
	if n := srv.CallCount("machines.findbyip"); n != len(tests) {
		t.Errorf("findbyip calls = %d, want %d", n, len(tests))
	}
}

func TestFindingMachinesByTag(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	exact := machineNames(t, get(t, srv, tok, "/api/machines/findbytag?tag=tier1"))
	if diff := cmp.Diff([]string{"srv-sql01.contoso.local", "srv-file01.contoso.local"}, exact); diff != "" {
		t.Errorf("tag=tier1 (-want +got):\n%s", diff)
	}
	prefix := machineNames(t, get(t, srv, tok, "/api/machines/findbytag?tag=tier&useStartsWithFilter=true"))
	if diff := cmp.Diff([]string{"srv-dc01.contoso.local", "srv-sql01.contoso.local", "srv-file01.contoso.local"}, prefix); diff != "" {
		t.Errorf("tag=tier* (-want +got):\n%s", diff)
	}
	if none := machineNames(t, get(t, srv, tok, "/api/machines/findbytag?tag=tier")); len(none) != 0 {
		t.Errorf("exact tag=tier matched %v", none)
	}
	if res := get(t, srv, tok, "/api/machines/findbytag"); res.status != http.StatusBadRequest {
		t.Errorf("no tag: %d", res.status)
	}
}

func TestDefaultMachinesHaveUniqueIDsAndTheDocumentedSpecimens(t *testing.T) {
	srv := newTestServer(t)
	ms := srv.Machines()
	if len(ms) < 24 {
		t.Errorf("only %d machines", len(ms))
	}
	ids := map[string]bool{}
	byName := map[string]Machine{}
	for _, m := range ms {
		if ids[m.ID] || len(m.ID) != 40 {
			t.Errorf("bad or duplicate id %q", m.ID)
		}
		ids[m.ID] = true
		byName[m.ComputerDNSName] = m
	}
	if byName["ws-0042.contoso.local"].ID != ws42 {
		t.Error("ws-0042 does not have the documented id")
	}
	if byName["ws-0077.contoso.local"].HealthStatus != "Inactive" || byName["ws-0077.contoso.local"].Outcome.Status != "TimeOut" {
		t.Error("ws-0077 is not the offline machine")
	}
	for _, n := range []string{"ws-0100.contoso.local", "ws-0100.fabrikam.local", "mac-0007.contoso.local", "lnx-web01.contoso.local", "srv-dc01.contoso.local"} {
		if _, ok := byName[n]; !ok {
			t.Errorf("%s missing", n)
		}
	}
}

func TestAMachineCanBeReadByNameButActionsNeedItsID(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	if m := get(t, srv, tok, "/api/machines/ws-0042.contoso.local").json(t); m["id"] != ws42 {
		t.Errorf("by name: %v", m["id"])
	}
	if res := get(t, srv, tok, "/api/machines/ws-0100"); res.status != http.StatusNotFound {
		t.Errorf("an ambiguous short name: %d", res.status)
	}
	if res := postJSON(t, srv, tok, "/api/machines/ws-0042.contoso.local/offboard", `{"Comment":"x"}`); res.status != http.StatusNotFound {
		t.Errorf("an action by name: %d", res.status)
	}
}

func TestALinuxMachineHasNoWindowsOnlyFields(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	m := get(t, srv, tok, "/api/machines/"+machineID(t, srv, "lnx-web01.contoso.local")).json(t)
	if m["osBuild"] != nil || m["aadDeviceId"] != nil || m["isAadJoined"] != false || m["osPlatform"] != "Linux" {
		t.Errorf("linux machine = %v", m)
	}
	w := get(t, srv, tok, "/api/machines/"+ws42).json(t)
	if w["osBuild"] != float64(22631) || w["aadDeviceId"] == nil || w["rbacGroupId"] != float64(140) {
		t.Errorf("windows machine = %v", w)
	}
}

func TestATenantWithoutMachinesAnswersTheMachineListWith404(t *testing.T) {
	srv := newTestServer(t, WithMachines())
	res := get(t, srv, accessToken(t, srv), "/api/machines?$top=1")
	if res.status != http.StatusNotFound {
		t.Fatalf("status %d, want 404 (MDE: no recent machines): %s", res.status, res.body)
	}
	if code, _ := res.errorCode(t); code != "ResourceNotFound" {
		t.Errorf("code %q, want ResourceNotFound", code)
	}
}

func TestFindingMachinesByTagPagesAndRefusesAsMDEDoes(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	// Every seventh seeded workstation carries "hr".
	all := machineNames(t, get(t, srv, tok, "/api/machines/findbytag?tag=HR&useStartsWithFilter=false"))
	if len(all) < 3 {
		t.Fatalf("tag=HR found %v, want several machines", all)
	}
	first := machineNames(t, get(t, srv, tok, "/api/machines/findbytag?tag=hr&useStartsWithFilter=false&$top=2"))
	rest := machineNames(t, get(t, srv, tok, "/api/machines/findbytag?tag=hr&useStartsWithFilter=false&$top=2&$skip=2"))
	if diff := cmp.Diff(all, append(first, rest...)); diff != "" || len(first) != 2 {
		t.Errorf("$top=2 then $skip=2 (-all +pages):\n%s", diff)
	}
	tests := []struct {
		name, query, code string
	}{
		{"a missing tag", "useStartsWithFilter=false", "MissingRequiredParameter"},
		{"an empty tag", "tag=&useStartsWithFilter=false", "MissingRequiredParameter"},
		{"a non-boolean useStartsWithFilter", "tag=hr&useStartsWithFilter=maybe", "InvalidInput"},
		{"a $top over the limit", "tag=hr&$top=10001", "ODataError"},
		{"an unknown $ option", "tag=hr&$stop=1", "ODataError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, srv, tok, "/api/machines/findbytag?"+tt.query)
			code, msg := res.errorCode(t)
			if res.status != http.StatusBadRequest || code != tt.code && !(tt.code == "ODataError" && code == "") {
				t.Errorf("status %d code %q %q, want 400 %s", res.status, code, msg, tt.code)
			}
		})
	}
}

func TestANextLinkKeepsTheRequestsOwnParameters(t *testing.T) {
	srv := newTestServer(t)
	q, err := parseODataQuery("", machineSchema)
	if err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(srv.nextLink("/api/machines/findbytag", url.Values{"tag": {"R&D"}, "useStartsWithFilter": {"false"}, "$top": {"5"}}, q, 10000))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"tag": {"R&D"}, "useStartsWithFilter": {"false"}, "$skip": {"10000"}}
	if diff := cmp.Diff(want, link.Query()); diff != "" {
		t.Errorf("next link query (-want +got):\n%s", diff)
	}
}
