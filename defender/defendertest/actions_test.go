package defendertest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sha1Hex = "87662bc3d60e4200ceaf7aae249d1c343f4b83c8"

// machineID returns the id of a default machine by name.
func machineID(t *testing.T, srv *Server, name string) string {
	t.Helper()
	for _, m := range srv.Machines() {
		if m.ComputerDNSName == name {
			return m.ID
		}
	}
	t.Fatalf("no machine %s", name)
	return ""
}

func TestAnActionIsCreatedWithTheRealBody(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	res := postJSON(t, srv, accessToken(t, srv), "/api/machines/"+ws42+"/isolate", `{"Comment":"Isolate due to alert 1234","IsolationType":"Selective"}`)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(res.body)))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	want := []string{"@odata.context", "id", "type", "title", "requestor", "requestorComment", "status", "machineId",
		"computerDnsName", "creationDateTimeUtc", "lastUpdateDateTimeUtc", "cancellationRequestor", "cancellationComment",
		"cancellationDateTimeUtc", "errorHResult", "scope", "externalId", "requestSource", "relatedFileInfo", "commands",
		"troubleshootInfo"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("property order (-want +got):\n%s", diff)
	}
	a := res.json(t)
	if a["type"] != "Isolate" || a["status"] != "Pending" || a["scope"] != "Selective" || a["machineId"] != ws42 ||
		a["requestor"] != AppDisplayName || a["requestSource"] != "PublicApi" ||
		a["creationDateTimeUtc"] != "2026-11-23T10:00:00.1234567Z" {
		t.Errorf("action = %v", a)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a["id"].(string)) {
		t.Errorf("id %v is not a GUID", a["id"])
	}
	got := srv.Actions()
	if len(got) != 1 || got[0].ID != a["id"] || got[0].RequestorComment != "Isolate due to alert 1234" {
		t.Errorf("Actions() = %+v", got)
	}
}

func TestActionBodiesAreValidatedExactly(t *testing.T) {
	srv := newTestServer(t, WithProgress(0, 0))
	tok := accessToken(t, srv)
	tests := []struct {
		name, action, body string
		code               string // "" = 201
	}{
		{"no body", "isolate", ``, "MissingRequiredParameter"},
		{"an empty comment", "unisolate", `{"Comment":"  "}`, "MissingRequiredParameter"},
		{"a lower-case comment", "restrictCodeExecution", `{"comment":"x"}`, "MissingRequiredParameter"},
		{"a lower-case isolation type", "isolate", `{"Comment":"x","isolationType":"Full"}`, "InvalidRequestBody"},
		{"an unknown isolation type", "isolate", `{"Comment":"x","IsolationType":"Partial"}`, "InvalidRequestBody"},
		{"a lower-case isolation value", "isolate", `{"Comment":"x","IsolationType":"full"}`, "InvalidRequestBody"},
		{"a numeric comment", "offboard", `{"Comment":5}`, "InvalidRequestBody"},
		{"broken JSON", "offboard", `{"Comment":"x"`, "InvalidRequestBody"},
		{"a JSON array", "offboard", `["Comment"]`, "InvalidRequestBody"},
		{"a scan without type", "runAntiVirusScan", `{"Comment":"x"}`, "MissingRequiredParameter"},
		{"a scan of an unknown type", "runAntiVirusScan", `{"Comment":"x","ScanType":"Deep"}`, "InvalidRequestBody"},
		{"a quarantine without hash", "StopAndQuarantineFile", `{"Comment":"x"}`, "MissingRequiredParameter"},
		{"a quarantine of a SHA-256", "StopAndQuarantineFile", `{"Comment":"x","Sha1":"` + strings.Repeat("a", 64) + `"}`, "InvalidHashValue"},
		{"a quarantine of a non-hex hash", "StopAndQuarantineFile", `{"Comment":"x","Sha1":"` + strings.Repeat("g", 40) + `"}`, "InvalidHashValue"},
		{"a valid scan", "runAntiVirusScan", `{"Comment":"x","ScanType":"Quick"}`, ""},
		{"a valid quarantine", "StopAndQuarantineFile", `{"Comment":"x","Sha1":"` + strings.ToUpper(sha1Hex) + `"}`, ""},
		{"an isolation without type", "isolate", `{"Comment":"x","Unknown":1}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postJSON(t, srv, tok, "/api/machines/"+ws42+"/"+tt.action, tt.body)
			if tt.code == "" {
				if res.status != http.StatusCreated {
					t.Fatalf("got %d %s, want 201", res.status, res.body)
				}
				return
			}
			code, _ := res.errorCode(t)
			if res.status != http.StatusBadRequest || code != tt.code {
				t.Errorf("got %d %s, want 400 %s", res.status, res.body, tt.code)
			}
		})
	}
	if got := srv.Actions()[1].Sha1; got != sha1Hex {
		t.Errorf("Sha1 = %q, want it lower-cased", got)
	}
}

func TestAnActionBodyMustBeSentAsJSON(t *testing.T) {
	srv := newTestServer(t)
	res := do(t, srv, "POST", "/api/machines/"+ws42+"/offboard", accessToken(t, srv), "text/plain", `{"Comment":"x"}`)
	if res.status != http.StatusUnsupportedMediaType || len(srv.Actions()) != 0 {
		t.Errorf("text/plain body: %d %s", res.status, res.body)
	}
	res = do(t, srv, "POST", "/api/machines/"+ws42+"/offboard", accessToken(t, srv), "application/json; charset=utf-8", `{"Comment":"x"}`)
	if res.status != http.StatusCreated {
		t.Errorf("JSON with a charset: %d %s", res.status, res.body)
	}
}

func TestActionsOnAnUnknownMachineAreNotFound(t *testing.T) {
	srv := newTestServer(t)
	res := postJSON(t, srv, accessToken(t, srv), "/api/machines/ffffffffffffffffffffffffffffffffffffffff/isolate", `{"Comment":"x","IsolationType":"Full"}`)
	if code, msg := res.errorCode(t); res.status != 404 || code != "ResourceNotFound" || msg != "Machine ffffffffffffffffffffffffffffffffffffffff was not found" {
		t.Errorf("got %d %s %q", res.status, code, msg)
	}
}

func TestOperatingSystemsLimitActions(t *testing.T) {
	srv := newTestServer(t, WithProgress(0, 0))
	tok := accessToken(t, srv)
	tests := []struct {
		machine, action, body string
		code                  string
	}{
		// Microsoft's current pages (isolate, "Take response actions on a
		// device", offboard) list macOS and Linux where our reference did
		// not: the pages win.
		{"mac-0007.contoso.local", "isolate", `{"Comment":"x","IsolationType":"Full"}`, ""},
		{"mac-0007.contoso.local", "runAntiVirusScan", `{"Comment":"x","ScanType":"Quick"}`, ""},
		{"mac-0007.contoso.local", "collectInvestigationPackage", `{"Comment":"x"}`, ""},
		{"mac-0007.contoso.local", "offboard", `{"Comment":"x"}`, ""},
		{"mac-0007.contoso.local", "restrictCodeExecution", `{"Comment":"x"}`, "OsPlatformNotSupported"},
		{"mac-0007.contoso.local", "StopAndQuarantineFile", `{"Comment":"x","Sha1":"3395856ce81f2b7382dee72602f798b642f14140"}`, "OsPlatformNotSupported"},
		{"lnx-web01.contoso.local", "isolate", `{"Comment":"x","IsolationType":"Full"}`, ""},
		{"lnx-web01.contoso.local", "isolate", `{"Comment":"x","IsolationType":"Selective"}`, "OsPlatformNotSupported"},
		{"lnx-web01.contoso.local", "isolate", `{"Comment":"x","IsolationType":"UnManagedDevice"}`, "InvalidInput"},
		{"lnx-web01.contoso.local", "restrictCodeExecution", `{"Comment":"x"}`, "OsPlatformNotSupported"},
		{"lnx-web01.contoso.local", "runAntiVirusScan", `{"Comment":"x","ScanType":"Full"}`, ""},
		{"lnx-web01.contoso.local", "offboard", `{"Comment":"x"}`, ""},
		{"srv-file01.contoso.local", "restrictCodeExecution", `{"Comment":"x"}`, "OsPlatformNotSupported"},
		{"srv-sql01.contoso.local", "restrictCodeExecution", `{"Comment":"x"}`, ""},
		{"ws-legacy.contoso.local", "isolate", `{"Comment":"x","IsolationType":"Selective"}`, "ClientVersionNotSupported"},
		{"ws-legacy.contoso.local", "runAntiVirusScan", `{"Comment":"x","ScanType":"Full"}`, "ClientVersionNotSupported"},
		{"srv-file01.contoso.local", "offboard", `{"Comment":"x"}`, ""},
	}
	for _, tt := range tests {
		res := postJSON(t, srv, tok, "/api/machines/"+machineID(t, srv, tt.machine)+"/"+tt.action, tt.body)
		if tt.code == "" {
			if res.status != http.StatusCreated {
				t.Errorf("%s %s: got %d %s, want 201", tt.machine, tt.action, res.status, res.body)
			}
			continue
		}
		if code, _ := res.errorCode(t); res.status != 400 || code != tt.code {
			t.Errorf("%s %s %s: got %d %s, want 400 %s", tt.machine, tt.action, tt.body, res.status, res.body, tt.code)
		}
	}
}

func TestClientVersionsAndManagementLimitActions(t *testing.T) {
	srv := newTestServer(t, WithProgress(0, 0), WithMachines(
		Machine{ComputerDNSName: "mac-old", OSPlatform: "macOS", Version: "13.6", AgentVersion: "101.98.30"},
		Machine{ComputerDNSName: "mac-new", OSPlatform: "macOS", Version: "14.5", AgentVersion: "101.98.84"},
		Machine{ComputerDNSName: "byod", OSPlatform: "Windows11", OnboardingStatus: "CanBeOnboarded"},
	))
	tok := accessToken(t, srv)
	tests := []struct{ machine, action, body, code string }{
		{"mac-old", "isolate", `{"Comment":"x","IsolationType":"Selective"}`, "ClientVersionNotSupported"},
		{"mac-old", "offboard", `{"Comment":"x"}`, "ClientVersionNotSupported"},
		{"mac-new", "isolate", `{"Comment":"x","IsolationType":"Selective"}`, ""},
		{"byod", "isolate", `{"Comment":"x","IsolationType":"Full"}`, "InvalidInput"},
		{"byod", "isolate", `{"Comment":"x","IsolationType":"UnManagedDevice"}`, ""},
	}
	for _, tt := range tests {
		res := postJSON(t, srv, tok, "/api/machines/"+machineID(t, srv, tt.machine)+"/"+tt.action, tt.body)
		code, _ := res.errorCode(t)
		if tt.code == "" && res.status != http.StatusCreated || tt.code != "" && (res.status != 400 || code != tt.code) {
			t.Errorf("%s %s %s: got %d %s, want %q", tt.machine, tt.action, tt.body, res.status, res.body, tt.code)
		}
	}
}

func TestADuplicateActionIsRejectedWhileTheFirstIsActive(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	path := "/api/machines/" + ws42 + "/isolate"
	body := `{"Comment":"x","IsolationType":"Full"}`
	if res := postJSON(t, srv, tok, path, body); res.status != 201 {
		t.Fatal(res.status)
	}
	res := postJSON(t, srv, tok, path, body)
	if code, msg := res.errorCode(t); res.status != 400 || code != "ActiveRequestAlreadyExists" || msg != "Action is already in progress" {
		t.Errorf("duplicate: %d %s %q", res.status, code, msg)
	}
	if res := postJSON(t, srv, tok, "/api/machines/"+ws42+"/unisolate", `{"Comment":"x"}`); res.status != 201 {
		t.Errorf("another type on the same machine: %d", res.status)
	}
	clock.Advance(7 * time.Second)
	if res := postJSON(t, srv, tok, path, body); res.status != 201 {
		t.Errorf("after the first succeeded: %d %s", res.status, res.body)
	}
}

func TestReturnPendingAnswersTheActiveAction(t *testing.T) {
	srv := newTestServer(t, WithDuplicateMode(ReturnPending), WithProgress(0, 0))
	tok := accessToken(t, srv)
	first := postJSON(t, srv, tok, "/api/machines/"+ws42+"/runAntiVirusScan", `{"Comment":"a","ScanType":"Quick"}`).json(t)
	second := postJSON(t, srv, tok, "/api/machines/"+ws42+"/runAntiVirusScan", `{"Comment":"b","ScanType":"Quick"}`)
	if second.status != 201 || second.json(t)["id"] != first["id"] || len(srv.Actions()) != 1 {
		t.Errorf("second scan: %d %s", second.status, second.body)
	}
	// A running collection is always refused.
	postJSON(t, srv, tok, "/api/machines/"+ws42+"/collectInvestigationPackage", `{"Comment":"a"}`)
	if res := postJSON(t, srv, tok, "/api/machines/"+ws42+"/collectInvestigationPackage", `{"Comment":"a"}`); res.status != 400 {
		t.Errorf("second collection: %d", res.status)
	}
}

func TestActionsProgressOnTheServerClock(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithProgress(2*time.Second, 5*time.Second))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/runAntiVirusScan", `{"Comment":"x","ScanType":"Full"}`).json(t)["id"].(string)
	start := clock.Now()
	steps := []struct {
		after  time.Duration
		status string
		update time.Duration
	}{
		{1999 * time.Millisecond, "Pending", 0},
		{2 * time.Second, "InProgress", 2 * time.Second},
		{6 * time.Second, "InProgress", 2 * time.Second},
		{7 * time.Second, "Succeeded", 7 * time.Second},
		{50 * time.Minute, "Succeeded", 7 * time.Second},
	}
	for _, st := range steps {
		clock.Advance(start.Add(st.after).Sub(clock.Now()))
		a := get(t, srv, tok, "/api/machineactions/"+id).json(t)
		if a["status"] != st.status || a["lastUpdateDateTimeUtc"] != mdeTime(start.Add(st.update)) {
			t.Errorf("after %v: status %v updated %v, want %s at %s", st.after, a["status"], a["lastUpdateDateTimeUtc"], st.status, mdeTime(start.Add(st.update)))
		}
	}
}

func TestMachineOutcomesDecideHowActionsEnd(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithMachines(
		Machine{ComputerDNSName: "ok.contoso.local"},
		Machine{ComputerDNSName: "offline.contoso.local", HealthStatus: "Inactive", Outcome: Outcome{Status: "TimeOut", Delay: time.Hour}},
		Machine{ComputerDNSName: "broken.contoso.local", Outcome: Outcome{Status: "Failed", Error: "Isolation failed"}},
	))
	tok := accessToken(t, srv)
	for _, m := range srv.Machines() {
		postJSON(t, srv, tok, "/api/machines/"+m.ID+"/isolate", `{"Comment":"x","IsolationType":"Full"}`)
	}
	statuses := func() []string {
		var out []string
		for _, a := range srv.Actions() {
			out = append(out, a.Status)
		}
		return out
	}
	clock.Advance(3 * time.Second)
	if diff := cmp.Diff([]string{"InProgress", "Pending", "InProgress"}, statuses()); diff != "" {
		t.Errorf("after 3s (-want +got):\n%s", diff)
	}
	clock.Advance(10 * time.Second)
	if diff := cmp.Diff([]string{"Succeeded", "Pending", "Failed"}, statuses()); diff != "" {
		t.Errorf("after 13s (-want +got):\n%s", diff)
	}
	clock.Advance(time.Hour)
	if diff := cmp.Diff([]string{"Succeeded", "TimeOut", "Failed"}, statuses()); diff != "" {
		t.Errorf("after an hour (-want +got):\n%s", diff)
	}
	failed := get(t, srv, accessToken(t, srv), "/api/machineactions/"+srv.Actions()[2].ID).json(t)
	if failed["troubleshootInfo"] != "Isolation failed" || failed["errorHResult"] == float64(0) {
		t.Errorf("failed action = %v", failed)
	}
}

func TestQuarantineOfAProtectedFileFails(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	srv.QuarantineFails(strings.ToUpper(sha1Hex), "Microsoft-signed file")
	tok := accessToken(t, srv)
	res := postJSON(t, srv, tok, "/api/machines/"+ws42+"/StopAndQuarantineFile", `{"Comment":"x","Sha1":"`+sha1Hex+`"}`)
	if fi := res.json(t)["relatedFileInfo"]; !cmp.Equal(fi, map[string]any{"fileIdentifier": sha1Hex, "fileIdentifierType": "Sha1"}) {
		t.Errorf("relatedFileInfo = %v", fi)
	}
	other := strings.Repeat("1", 40)
	postJSON(t, srv, tok, "/api/machines/"+ws42+"/StopAndQuarantineFile", `{"Comment":"x","Sha1":"`+other+`"}`)
	clock.Advance(time.Minute)
	got := srv.Actions()
	if got[0].Status != "Failed" || got[0].Error != "Microsoft-signed file" || got[1].Status != "Succeeded" {
		t.Errorf("actions = %+v", got)
	}
}

func TestSetStatusForcesATransitionAndProgressResumes(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/offboard", `{"Comment":"x"}`).json(t)["id"].(string)
	clock.Advance(time.Second)
	if err := srv.SetStatus(strings.ToUpper(id), "InProgress"); err != nil {
		t.Fatal(err)
	}
	if a := srv.Actions()[0]; a.Status != "InProgress" || !a.Updated.Equal(clock.Now()) {
		t.Errorf("after SetStatus: %+v", a)
	}
	clock.Advance(5 * time.Second)
	if a := srv.Actions()[0]; a.Status != "Succeeded" {
		t.Errorf("5s after InProgress: %s", a.Status)
	}
	if err := srv.SetStatus(id, "Canceled"); err == nil {
		t.Error("SetStatus accepted the misspelling Canceled")
	}
	if err := srv.SetStatus("8af71966-4671-4734-a777-a855875c0ec4", "Failed"); err == nil {
		t.Error("SetStatus accepted an unknown id")
	}
}

func TestManualProgressKeepsActionsPending(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithProgress(0, 0))
	postJSON(t, srv, accessToken(t, srv), "/api/machines/"+ws42+"/isolate", `{"Comment":"x","IsolationType":"Full"}`)
	clock.Advance(1000 * time.Hour)
	if a := srv.Actions()[0]; a.Status != "Pending" {
		t.Errorf("status %s, want Pending", a.Status)
	}
}

func TestCancellingAnAction(t *testing.T) {
	srv := newTestServer(t, WithProgress(0, 0))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/isolate", `{"Comment":"x","IsolationType":"Full"}`).json(t)["id"].(string)
	res := postJSON(t, srv, tok, "/api/machineactions/"+id+"/cancel", `{"Comment":"changed my mind"}`)
	a := res.json(t)
	if res.status != 200 || a["status"] != "Cancelled" || a["cancellationComment"] != "changed my mind" ||
		a["cancellationRequestor"] != AppDisplayName || a["cancellationDateTimeUtc"] == nil {
		t.Errorf("cancel: %d %v", res.status, a)
	}
	again := postJSON(t, srv, tok, "/api/machineactions/"+id+"/cancel", `{"Comment":"again"}`)
	if code, _ := again.errorCode(t); again.status != 400 || code != "BadRequest" {
		t.Errorf("cancel of a final action: %d %s", again.status, again.body)
	}
	if res := postJSON(t, srv, tok, "/api/machineactions/8af71966-4671-4734-a777-a855875c0ec4/cancel", `{"Comment":"x"}`); res.status != 404 {
		t.Errorf("cancel of an unknown action: %d", res.status)
	}
	if got := srv.Actions()[0]; !got.Cancelled || got.CancellationComment != "changed my mind" {
		t.Errorf("Actions() = %+v", got)
	}
}

func TestANonGUIDActionIDIsABadRequest(t *testing.T) {
	srv := newTestServer(t)
	res := get(t, srv, accessToken(t, srv), "/api/machineactions/"+ws42)
	code, msg := res.errorCode(t)
	if res.status != 400 || code != "BadRequest" ||
		msg != "The key value ("+ws42+") from request is not valid. The key value should be format of type 'Edm.Guid'." {
		t.Errorf("got %d %s %q", res.status, code, msg)
	}
}

func TestThePackageURIIsAvailableOnceTheCollectionSucceeded(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/collectInvestigationPackage", `{"Comment":"x"}`).json(t)["id"].(string)
	if res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri"); res.status != 404 {
		t.Errorf("before success: %d", res.status)
	}
	clock.Advance(time.Minute)
	srv.SetPackageURI(id, "https://blob.example/pkg.zip?sig=abc")
	res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri")
	if body := res.json(t); res.status != 200 || body["value"] != `"https://blob.example/pkg.zip?sig=abc"` ||
		body["@odata.context"] != srv.URL()+"/api/$metadata#Edm.String" {
		t.Errorf("after success: %d %s", res.status, res.body)
	}
	scan := postJSON(t, srv, tok, "/api/machines/"+ws42+"/runAntiVirusScan", `{"Comment":"x","ScanType":"Quick"}`).json(t)["id"].(string)
	res = get(t, srv, tok, "/api/machineactions/"+scan+"/getPackageUri")
	if code, msg := res.errorCode(t); res.status != 400 || code != "InvalidInput" || msg != "Provided Guid is not a valid id for a CollectInvestigationPackage action" {
		t.Errorf("for a scan: %d %s %q", res.status, code, msg)
	}
}

func TestListingActionsWithOData(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	var ids []string
	for _, name := range []string{"ws-0042.contoso.local", "ws-0003.contoso.local", "ws-0042.contoso.local"} {
		action := "isolate"
		if len(ids) == 2 {
			action = "unisolate"
		}
		res := postJSON(t, srv, tok, "/api/machines/"+machineID(t, srv, name)+"/"+action, `{"Comment":"x","IsolationType":"Full"}`)
		ids = append(ids, res.json(t)["id"].(string))
		clock.Advance(time.Second)
	}
	srv.SetStatus(ids[0], "Failed")
	tests := []struct {
		filter string
		want   []string
	}{
		{"machineId eq '" + ws42 + "'", []string{ids[0], ids[2]}},
		{"machineId eq '" + ws42 + "' and (status eq 'Pending' or status eq 'InProgress')", []string{ids[2]}},
		{"type eq 'Isolate' and not (status eq 'Failed')", []string{ids[1]}},
		{"creationDateTimeUtc ge " + clock.Now().Add(-2*time.Second).Format(time.RFC3339Nano), []string{ids[1], ids[2]}},
		{"requestor eq 'mdebot'", ids},
		{"id eq '" + ids[1] + "'", []string{ids[1]}},
	}
	for _, tt := range tests {
		res := get(t, srv, tok, "/api/machineactions?$filter="+strings.ReplaceAll(tt.filter, " ", "+")+"&$top=10")
		if diff := cmp.Diff(tt.want, valueIDs(t, res)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.filter, diff)
		}
	}
	res := get(t, srv, tok, "/api/machineactions?$filter=lastUpdateDateTimeUtc+gt+2026-01-01Z")
	if res.status != 400 || !strings.Contains(string(res.body), "The property 'lastUpdateDateTimeUtc' cannot be used in the $filter query option.") {
		t.Errorf("unfilterable field: %d %s", res.status, res.body)
	}
}

func TestAFreshActionCanBrieflyBeNotFound(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithActionReadLag(time.Second))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/offboard", `{"Comment":"x"}`).json(t)["id"].(string)
	if res := get(t, srv, tok, "/api/machineactions/"+id); res.status != http.StatusNotFound {
		t.Errorf("right after creation: %d", res.status)
	}
	if ids := valueIDs(t, get(t, srv, tok, "/api/machineactions")); len(ids) != 1 {
		t.Errorf("list right after creation: %v", ids)
	}
	clock.Advance(time.Second)
	if res := get(t, srv, tok, "/api/machineactions/"+id); res.status != http.StatusOK {
		t.Errorf("a second later: %d", res.status)
	}
}

func TestWithPackageURIAnswersItsLinkForACollectedPackage(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithPackageURI(func(id string) string { return "https://pkg.example/" + id + ".zip" }))
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/machines/"+ws42+"/collectInvestigationPackage", `{"Comment":"x"}`).json(t)["id"].(string)
	if res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri"); res.status != 404 {
		t.Errorf("before success: %d", res.status)
	}
	clock.Advance(time.Minute)
	res := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri")
	if body := res.json(t); res.status != 200 || body["value"] != `"https://pkg.example/`+id+`.zip"` {
		t.Errorf("after success: %d %s", res.status, res.body)
	}
	srv.SetPackageURI(id, "https://blob.example/pkg.zip?sig=abc") // SetPackageURI still wins
	if body := get(t, srv, tok, "/api/machineactions/"+id+"/getPackageUri").json(t); body["value"] != `"https://blob.example/pkg.zip?sig=abc"` {
		t.Errorf("after SetPackageURI: %v", body["value"])
	}
}
