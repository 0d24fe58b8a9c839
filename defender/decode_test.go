package defender

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const isolateReply = `{
  "@odata.context": "https://api.securitycenter.microsoft.com/api/$metadata#MachineActions/$entity",
  "id": "8af71966-4671-4734-a777-a855875c0ec4",
  "type": "Isolate",
  "title": null,
  "requestor": "mdebot (contoso.onmicrosoft.com)",
  "requestorComment": "Isolate due to alert 1234",
  "status": "Pending",
  "machineId": "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
  "computerDnsName": "ws-0042.contoso.local",
  "creationDateTimeUtc": "2026-01-23T20:10:40.8785235Z",
  "lastUpdateDateTimeUtc": "2026-01-23T20:10:40.87852Z",
  "cancellationRequestor": null,
  "cancellationComment": null,
  "cancellationDateTimeUtc": null,
  "errorHResult": 0,
  "scope": null,
  "externalId": null,
  "requestSource": "PublicApi",
  "relatedFileInfo": null,
  "commands": [],
  "troubleshootInfo": null
}`

func TestMachineActionDecodesMDEsReplyWithNullsAndSevenDigitFractions(t *testing.T) {
	var got MachineAction
	if err := json.Unmarshal([]byte(isolateReply), &got); err != nil {
		t.Fatal(err)
	}
	want := MachineAction{
		ID: testAction, Type: ActionIsolate, Requestor: "mdebot (contoso.onmicrosoft.com)",
		RequestorComment: "Isolate due to alert 1234", Status: StatusPending, MachineID: testMachine,
		ComputerDNSName:       "ws-0042.contoso.local",
		CreationDateTimeUTC:   time.Date(2026, 1, 23, 20, 10, 40, 878523500, time.UTC),
		LastUpdateDateTimeUTC: time.Date(2026, 1, 23, 20, 10, 40, 878520000, time.UTC),
		RequestSource:         "PublicApi",
		Commands:              []json.RawMessage{},
		TroubleshootInfo:      json.RawMessage("null"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded action (-want +got):\n%s", diff)
	}
}

func TestMachineActionKeepsUnknownTypesAndStatuses(t *testing.T) {
	var got MachineAction
	in := `{"id":"x","type":"Live Response","status":"Queued","errorHResult":"-2147024891","creationDateTimeUtc":"2026-01-23T20:10:40.8785235","externalID":"ext-1","relatedFileInfo":{"fileIdentifier":"abc","fileIdentifierType":"Sha1"}}`
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "Live Response" || got.Status != "Queued" || got.Status.Terminal() {
		t.Errorf("type %q status %q terminal %v", got.Type, got.Status, got.Status.Terminal())
	}
	if got.ErrorHResult != -2147024891 || got.ExternalID != "ext-1" || got.RelatedFileInfo.FileIdentifier != "abc" {
		t.Errorf("errorHResult %d externalId %q file %+v", got.ErrorHResult, got.ExternalID, got.RelatedFileInfo)
	}
	if want := time.Date(2026, 1, 23, 20, 10, 40, 878523500, time.UTC); !got.CreationDateTimeUTC.Equal(want) {
		t.Errorf("a zoneless timestamp decoded to %v, want %v (UTC)", got.CreationDateTimeUTC, want)
	}
}

func TestMachineDecodesNullsAndStringNumbers(t *testing.T) {
	in := `{"id":"1e5bc9d7e413ddd7902c2932e418702b84d0cc07","computerDnsName":"ws-0042.contoso.local","osBuild":null,
"rbacGroupId":"140","rbacGroupName":null,"lastSeen":"2026-01-23T17:40:05.684607Z","firstSeen":null,"machineTags":null,
"ipAddresses":[{"ipAddress":"127.0.0.1","macAddress":null,"type":"SoftwareLoopback","operationalStatus":"Up"}],"vmMetadata":null}`
	var got Machine
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := Machine{
		ID: testMachine, ComputerDNSName: "ws-0042.contoso.local", RBACGroupID: 140,
		LastSeen:    time.Date(2026, 1, 23, 17, 40, 5, 684607000, time.UTC),
		IPAddresses: []IPAddress{{IPAddress: "127.0.0.1", Type: "SoftwareLoopback", OperationalStatus: "Up"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded machine (-want +got):\n%s", diff)
	}
}

func TestIndicatorDecodesANumericID(t *testing.T) {
	for _, in := range []string{`{"id":995}`, `{"id":"995"}`} {
		var got Indicator
		if err := json.Unmarshal([]byte(in), &got); err != nil || got.ID != "995" {
			t.Errorf("%s decoded to id %q, %v", in, got.ID, err)
		}
	}
}

func FuzzDecodeMachineAction(f *testing.F) {
	f.Add([]byte(isolateReply))
	f.Add([]byte(`{"value":[` + isolateReply + `]}`))
	f.Add([]byte(`{"creationDateTimeUtc":"2026-01-23T20:10:40.87852351234Z","errorHResult":"x"}`))
	f.Add([]byte(`{"cancellationDateTimeUtc":1,"relatedFileInfo":[],"commands":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a MachineAction
		_ = json.Unmarshal(b, &a)
		var list odataList[MachineAction]
		_ = json.Unmarshal(b, &list)
		var m Machine
		_ = json.Unmarshal(b, &m)
		var in Indicator
		_ = json.Unmarshal(b, &in)
	})
}

func BenchmarkDecodeMachineActionsPage(b *testing.B) {
	var sb []byte
	sb = append(sb, `{"@odata.context":"https://api.securitycenter.microsoft.com/api/$metadata#MachineActions","value":[`...)
	item := []byte(isolateReply)
	for i := range 10000 {
		if i > 0 {
			sb = append(sb, ',')
		}
		sb = append(sb, item...)
	}
	sb = append(sb, "]}"...)
	b.SetBytes(int64(len(sb)))
	b.ReportAllocs()
	for b.Loop() {
		var list odataList[MachineAction]
		if err := json.Unmarshal(sb, &list); err != nil || len(list.Value) != 10000 {
			b.Fatal(err, len(list.Value))
		}
	}
}

func TestMachineActionKeepsCommandsWhetherObjectsOrStrings(t *testing.T) {
	// The docs list commands as strings; real live-response actions send
	// objects; other actions send [].
	tests := []struct {
		in   string
		want []json.RawMessage
	}{
		{`{"commands":["RunScript","GetFile"]}`, []json.RawMessage{json.RawMessage(`"RunScript"`), json.RawMessage(`"GetFile"`)}},
		{`{"commands":[{"index":0,"commandStatus":"Completed","command":{"type":"RunScript"}}]}`,
			[]json.RawMessage{json.RawMessage(`{"index":0,"commandStatus":"Completed","command":{"type":"RunScript"}}`)}},
		{`{"commands":[]}`, []json.RawMessage{}},
		{`{"commands":null}`, nil},
	}
	for _, tt := range tests {
		var got MachineAction
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got.Commands); diff != "" {
			t.Errorf("%s: commands (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestMachineDecodesANumericRBACGroupID(t *testing.T) {
	var got Machine
	if err := json.Unmarshal([]byte(`{"rbacGroupId":140,"osBuild":22631}`), &got); err != nil {
		t.Fatal(err)
	}
	if got.RBACGroupID != 140 || got.OSBuild != 22631 {
		t.Errorf("rbacGroupId %d osBuild %d, want 140 and 22631", got.RBACGroupID, got.OSBuild)
	}
}

func TestMachineActionReadsTheLastUpdateUnderTheDocsName(t *testing.T) {
	// The list examples of Microsoft's "List MachineActions API" page say
	// lastUpdateTimeUtc; real replies say lastUpdateDateTimeUtc.
	in := `{"id":"8af71966-4671-4734-a777-a855875c0ec4","type":"Isolate","status":"Succeeded","lastUpdateTimeUtc":"2026-01-23T20:12:00.1Z"}`
	var got MachineAction
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 23, 20, 12, 0, 100000000, time.UTC); !got.LastUpdateDateTimeUTC.Equal(want) {
		t.Errorf("last update %v, want %v", got.LastUpdateDateTimeUTC, want)
	}
	both := `{"lastUpdateDateTimeUtc":"2026-01-23T20:13:00Z","lastUpdateTimeUtc":"2026-01-23T20:12:00Z"}`
	if err := json.Unmarshal([]byte(both), &got); err != nil {
		t.Fatal(err)
	}
	if got.LastUpdateDateTimeUTC.Minute() != 13 {
		t.Errorf("with both names the real one must win, got %v", got.LastUpdateDateTimeUTC)
	}
}

func TestIndicatorDecodesGroupIDsAsStringsOrNumbers(t *testing.T) {
	for _, in := range []string{`{"id":"995","rbacGroupIds":["140","150"]}`, `{"id":995,"rbacGroupIds":[140,150]}`} {
		var got Indicator
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if diff := cmp.Diff([]string{"140", "150"}, got.RBACGroupIDs); diff != "" || got.ID != "995" {
			t.Errorf("%s: id %q, group ids (-want +got):\n%s", in, got.ID, diff)
		}
	}
}
