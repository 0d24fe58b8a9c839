package defendertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeRecord is a filterable entity for parser tests.
type fakeRecord map[string]any

func (r fakeRecord) field(name string) any { return r[name] }

var testSchema = &entitySchema{
	typeName: "test.Thing",
	filterable: map[string]fieldKind{
		"name": kString, "status": kString, "count": kNumber, "seen": kDate, "on": kBool, "tags": kStringList,
	},
	properties: map[string]bool{"name": true, "status": true, "count": true, "seen": true, "on": true, "tags": true, "secret": true},
}

var things = []fakeRecord{
	{"name": "ws-0042.contoso.local", "status": "Pending", "count": 3.0, "seen": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "on": true, "tags": []string{"vip", "finance"}},
	{"name": "o'brien", "status": "InProgress", "count": 10.0, "seen": time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), "on": false, "tags": []string{}},
	{"name": "x' or 1 eq 1 or 'a", "status": "Succeeded", "count": -1.0, "seen": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "on": true, "tags": []string{"x"}},
	{"name": "", "status": "Failed", "count": 0.0, "seen": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "on": false, "tags": nil},
}

func filterNames(t *testing.T, filter string) ([]string, error) {
	t.Helper()
	n, err := parseFilter(filter, testSchema)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, r := range things {
		if n.eval(r, nil) {
			out = append(out, r["name"].(string))
		}
	}
	return out, nil
}

func TestTheFilterParserSelectsTheRightRecords(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
	}{
		{"name eq 'ws-0042.contoso.local'", []string{"ws-0042.contoso.local"}},
		{"name eq 'o''brien'", []string{"o'brien"}},
		{"name eq 'x'' or 1 eq 1 or ''a'", []string{"x' or 1 eq 1 or 'a"}},
		{"name eq 'x' or 1 eq 1 or 'a'", nil}, // hostile literal unescaped: a syntax error, see below
		{"status ne 'Pending'", []string{"o'brien", "x' or 1 eq 1 or 'a", ""}},
		{"count gt 3", []string{"o'brien"}},
		{"count ge 3", []string{"ws-0042.contoso.local", "o'brien"}},
		{"count lt 0", []string{"x' or 1 eq 1 or 'a"}},
		{"count le 0", []string{"x' or 1 eq 1 or 'a", ""}},
		{"seen gt 2026-01-01Z", []string{"ws-0042.contoso.local", "x' or 1 eq 1 or 'a"}},
		{"seen ge 2026-01-02T03:04:05Z", []string{"ws-0042.contoso.local", "x' or 1 eq 1 or 'a"}},
		{"seen lt 2025-06-01T00:00:00.0000001Z", []string{"o'brien", ""}},
		{"on eq true", []string{"ws-0042.contoso.local", "x' or 1 eq 1 or 'a"}},
		{"startswith(name,'ws-')", []string{"ws-0042.contoso.local"}},
		{"startswith(name,'WS-')", []string{}},
		{"startswith(name,'ws-') eq false", []string{"o'brien", "x' or 1 eq 1 or 'a", ""}},
		{"tags/any(t: t eq 'vip')", []string{"ws-0042.contoso.local"}},
		{"tags/any(t:t eq 'x' or t eq 'finance')", []string{"ws-0042.contoso.local", "x' or 1 eq 1 or 'a"}},
		{"tags/any(t: startswith(t,'fin'))", []string{"ws-0042.contoso.local"}},
		{"status eq 'Pending' or status eq 'InProgress' and count gt 5", []string{"ws-0042.contoso.local", "o'brien"}},
		{"(status eq 'Pending' or status eq 'InProgress') and count gt 5", []string{"o'brien"}},
		{"not (status eq 'Pending') and not on eq true", []string{"o'brien", ""}},
		{"not not on eq true", []string{"ws-0042.contoso.local", "x' or 1 eq 1 or 'a"}},
		{"name eq null", []string{""}},
		{"name ne null", []string{"ws-0042.contoso.local", "o'brien", "x' or 1 eq 1 or 'a"}},
		{"  name   eq   'o''brien'  ", []string{"o'brien"}},
		{"((((name eq 'o''brien'))))", []string{"o'brien"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			got, err := filterNames(t, tt.filter)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parsed, selecting %q; want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTheFilterParserRejectsBadFilters(t *testing.T) {
	tests := []struct {
		filter string
		msg    string
	}{
		{"secret eq 'x'", "The property 'secret' cannot be used in the $filter query option."},
		{"Name eq 'x'", "Could not find a property named 'Name' on type 'test.Thing'."},
		{"name eq 'x", "There is an unterminated string literal at position 10 in 'name eq 'x'."},
		{"name eq 'x' or 1 eq 1 or 'a'", "Syntax error at position 15 in 'name eq 'x' or 1 eq 1 or 'a''."},
		{"name eq", "Expression expected at position 7 in 'name eq'."},
		{"name", "Syntax error at position 4 in 'name'."},
		{"name eq 'a' and", "Expression expected at position 15"},
		{"(name eq 'a'", "Syntax error at position 12"},
		{"name eq 'a')", "Syntax error at position 11"},
		{"name like 'a'", "Syntax error at position 5"},
		{"name eq 'a' xor name eq 'b'", "Syntax error at position 12"},
		{"count eq '3'", "A binary operator with incompatible types was detected. Found operand types 'Edm.Int64' and 'Edm.String' for operator kind 'Equal'."},
		{"seen gt '2026-01-01'", "Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'GreaterThan'."},
		{"name eq 3", "Found operand types 'Edm.String' and 'Edm.Int64'"},
		{"tags eq 'vip'", "Found operand types 'Collection(Edm.String)' and 'Edm.String'"},
		{"contains(name,'a')", "Function 'contains' is not allowed."},
		{"frobnicate(name)", "An unknown function with name 'frobnicate' was found."},
		{"startswith(count,'1')", "No function signature for the function with name 'startswith'"},
		{"not status eq 'Pending'", "A unary operator with an incompatible type was detected. Found operand type 'Edm.String' for operator kind 'Not'."},
		{"tags/all(t: t eq 'x')", "The 'all' lambda operator is not allowed."},
		{"name/any(t: t eq 'x')", "is not a single value"},
		{"tags/any(t: u eq 'x')", "Could not find a property named 'u'"},
		{"", "Expression expected at position 0 in ''."},
		{"name eq 'a' ; drop", "Syntax error at position 12"},
		{strings.Repeat("(", 300) + "name eq 'a'" + strings.Repeat(")", 300), "The node count limit of '100' has been exceeded."},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := parseFilter(tt.filter, testSchema)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want one containing %q", err, tt.msg)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"name eq 'o''brien'", "tags/any(t: t eq 'vip') and not (count gt 3)", "startswith(name,'a')", "seen ge 2026-01-01T00:00:00Z", "((", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilter(s, testSchema)
		if err == nil {
			for _, r := range things {
				n.eval(r, nil)
			}
		}
	})
}

func TestQueryOptionsAreValidatedLikeMDE(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	prefix := "The query specified in the URI is not valid. "
	tests := []struct {
		query string
		msg   string
	}{
		{"$stop=2", "Custom query option '$stop' that starts with '$' is not supported."},
		{"$orderby=id", "Query option 'orderby' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings."},
		{"$top=10001", "The limit of '10000' for Top query has been exceeded. The value from the incoming request is '10001'."},
		{"$top=-1", "Invalid value '-1' for $top query option found. The $top query option requires a non-negative integer value."},
		{"$skip=x", "Invalid value 'x' for $skip query option found. The $skip query option requires a non-negative integer value."},
		{"$top=1&$top=2", "Query option '$top' was specified more than once, but it must be specified at most once."},
		{"$filter=" + url.QueryEscape("computerDnsName eq 'x' or 1 eq 1 or 'a'"), "Syntax error at position 26"},
		{"$filter=" + url.QueryEscape("osBuild eq 22631"), "The property 'osBuild' cannot be used in the $filter query option."},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := get(t, srv, tok, "/api/machines?"+tt.query)
			var body struct {
				Error struct {
					Code    *string `json:"code"`
					Message string  `json:"message"`
					Details []any   `json:"details"`
				} `json:"error"`
			}
			if err := jsonUnmarshal(res.body, &body); err != nil {
				t.Fatal(err)
			}
			if res.status != http.StatusBadRequest || body.Error.Code == nil || *body.Error.Code != "" ||
				body.Error.Details == nil || !strings.HasPrefix(body.Error.Message, prefix+tt.msg) {
				t.Errorf("got %d %s", res.status, res.body)
			}
		})
	}
}

func TestALongListWithoutTopHasANextLink(t *testing.T) {
	// The paging logic on its own: 10,000 entities over HTTP are slow under -race.
	items := make([]fakeRecord, 10003)
	for i := range items {
		items[i] = fakeRecord{"name": "m" + itoa(int64(i)), "count": float64(i)}
	}
	q, err := parseODataQuery("$filter="+url.QueryEscape("count ge 0"), testSchema)
	if err != nil {
		t.Fatal(err)
	}
	page, next := apply(q, items)
	if len(page) != 10000 || next != 10000 || page[0]["name"] != "m0" {
		t.Fatalf("first page: %d items, next skip %d", len(page), next)
	}
	srv := newTestServer(t)
	link := srv.nextLink("/api/machines", nil, q, next)
	if link != srv.URL()+"/api/machines?%24filter=count+ge+0&%24skip=10000" {
		t.Errorf("nextLink = %q", link)
	}
	u, _ := url.Parse(link)
	q2, err := parseODataQuery(u.RawQuery, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	page, next = apply(q2, items)
	if len(page) != 3 || next != 0 || page[0]["name"] != "m10000" {
		t.Errorf("second page: %d items, next skip %d", len(page), next)
	}
	q3, _ := parseODataQuery("$top=10000", testSchema)
	if _, next := apply(q3, items); next != 0 {
		t.Error("a $top list has a next page")
	}
}
