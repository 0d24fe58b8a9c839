package defendertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func blockBody(value, typ string) string {
	return `{"indicatorValue":"` + value + `","indicatorType":"` + typ + `","action":"Block","title":"mdebot block","description":"blocked by mdebot","severity":"High","generateAlert":true}`
}

func TestPostingAnIndicatorUpserts(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now))
	tok := accessToken(t, srv)
	first := postJSON(t, srv, tok, "/api/indicators", blockBody(strings.ToUpper(sha1Hex), "FileSha1"))
	if first.status != http.StatusOK {
		t.Fatalf("create: %d %s", first.status, first.body)
	}
	a := first.json(t)
	if ids, ok := a["rbacGroupIds"].([]any); !ok || len(ids) != 0 {
		t.Errorf("rbacGroupIds = %#v, want an empty list of strings", a["rbacGroupIds"])
	}
	if a["indicatorValue"] != sha1Hex || a["action"] != "Block" || a["severity"] != "High" ||
		a["@odata.context"] != srv.URL()+"/api/$metadata#Indicators/$entity" || a["lastUpdatedBy"] != nil {
		t.Errorf("created: %v", a)
	}
	clock.Advance(time.Minute)
	body := strings.Replace(blockBody(sha1Hex, "FileSha1"), `"action":"Block"`, `"action":"Allowed"`, 1)
	b := postJSON(t, srv, tok, "/api/indicators", body).json(t)
	if b["id"] != a["id"] || b["action"] != "Allowed" || b["creationTimeDateTimeUtc"] != a["creationTimeDateTimeUtc"] ||
		b["lastUpdateTime"] != mdeTime(clock.Now()) {
		t.Errorf("updated: %v", b)
	}
	if got := srv.Indicators(); len(got) != 1 || got[0].Action != "Allowed" {
		t.Errorf("Indicators() = %+v", got)
	}
}

func TestIndicatorBodiesAreValidated(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	tests := []struct {
		name, body, code string
	}{
		{"a wrong-case required name", strings.Replace(blockBody(sha1Hex, "FileSha1"), "indicatorValue", "IndicatorValue", 1), "MissingRequiredParameter"},
		{"no title", strings.Replace(blockBody(sha1Hex, "FileSha1"), `"title":"mdebot block",`, "", 1), "MissingRequiredParameter"},
		{"an unknown type", blockBody(sha1Hex, "FileSha512"), "InvalidRequestBody"},
		{"a SHA-256 typed as SHA-1", blockBody(strings.Repeat("a", 64), "FileSha1"), "InvalidHashValue"},
		{"a CIDR", blockBody("10.0.0.0/8", "IpAddress"), "InvalidIpAddress"},
		{"an unknown action", strings.Replace(blockBody(sha1Hex, "FileSha1"), `"Block"`, `"Quarantine"`, 1), "InvalidRequestBody"},
		{"an audit without alert", strings.Replace(strings.Replace(blockBody(sha1Hex, "FileSha1"), `"Block"`, `"Audit"`, 1), `true`, `false`, 1), "InvalidInput"},
		{"an expiry in the past", strings.Replace(blockBody(sha1Hex, "FileSha1"), `}`, `,"expirationTime":"2001-01-01T00:00:00Z"}`, 1), "InvalidInput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postJSON(t, srv, tok, "/api/indicators", tt.body)
			if code, _ := res.errorCode(t); res.status != 400 || code != tt.code {
				t.Errorf("got %d %s, want 400 %s", res.status, res.body, tt.code)
			}
		})
	}
	if len(srv.Indicators()) != 0 {
		t.Error("an invalid body created an indicator")
	}
}

func TestDeletingAnIndicator(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	id := postJSON(t, srv, tok, "/api/indicators", blockBody(sha1Hex, "FileSha1")).json(t)["id"].(string)
	if res := do(t, srv, "DELETE", "/api/indicators/"+id, tok, "", ""); res.status != http.StatusNoContent || len(res.body) != 0 {
		t.Errorf("delete: %d %s", res.status, res.body)
	}
	res := do(t, srv, "DELETE", "/api/indicators/"+id, tok, "", "")
	if code, _ := res.errorCode(t); res.status != http.StatusNotFound || code != "ResourceNotFound" {
		t.Errorf("second delete: %d %s", res.status, res.body)
	}
}

func TestListingIndicatorsByValue(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	var ids []string
	for _, v := range []string{sha1Hex, strings.Repeat("b", 40)} {
		ids = append(ids, postJSON(t, srv, tok, "/api/indicators", blockBody(v, "FileSha1")).json(t)["id"].(string))
	}
	postJSON(t, srv, tok, "/api/indicators", blockBody("evil.example", "DomainName"))
	q := url.Values{"$filter": {"indicatorValue eq '" + sha1Hex + "'"}}
	if diff := cmp.Diff([]string{ids[0]}, valueIDs(t, get(t, srv, tok, "/api/indicators?"+q.Encode()))); diff != "" {
		t.Errorf("by value (-want +got):\n%s", diff)
	}
	q = url.Values{"$filter": {"indicatorType eq 'FileSha1' and action eq 'Block'"}, "$top": {"5"}}
	if diff := cmp.Diff(ids, valueIDs(t, get(t, srv, tok, "/api/indicators?"+q.Encode()))); diff != "" {
		t.Errorf("by type (-want +got):\n%s", diff)
	}
}

func TestAnAppWithTiReadWriteSeesOnlyItsOwnIndicators(t *testing.T) {
	srv := newTestServer(t, WithRoles(RoleTiReadWrite))
	srv.AddIndicator(Indicator{Value: sha1Hex, Type: "FileSha1", Action: "Block", Title: "t", Description: "d", CreatedBy: "analyst@contoso.com"})
	tok := accessToken(t, srv)
	list := get(t, srv, tok, "/api/indicators").json(t)
	if v, _ := list["value"].([]any); len(v) != 0 {
		t.Errorf("Ti.ReadWrite sees %d indicators of others", len(v))
	}
	if res := do(t, srv, "DELETE", "/api/indicators/"+srv.Indicators()[0].ID, tok, "", ""); res.status != http.StatusNotFound {
		t.Errorf("deleting another's indicator: %d, want 404", res.status)
	}
	all := newTestServer(t)
	in := all.AddIndicator(Indicator{Value: sha1Hex, Type: "FileSha1", Action: "Block", Title: "t", Description: "d", CreatedBy: "analyst@contoso.com"})
	v, _ := get(t, all, accessToken(t, all), "/api/indicators").json(t)["value"].([]any)
	if len(v) != 1 || v[0].(map[string]any)["createdBy"] != "analyst@contoso.com" || v[0].(map[string]any)["id"] != in.ID {
		t.Errorf("Ti.ReadWrite.All sees %v", v)
	}
}
