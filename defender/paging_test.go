package defender

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func actionJSON(i int) string {
	return fmt.Sprintf(`{"id":"00000000-0000-0000-0000-%012d","type":"Isolate","status":"Pending"}`, i)
}

func page(ids []int, next string) string {
	var items []string
	for _, i := range ids {
		items = append(items, actionJSON(i))
	}
	b := `{"@odata.context":"x","value":[` + strings.Join(items, ",") + `]`
	if next != "" {
		b += `,"@odata.nextLink":"` + next + `"`
	}
	return b + "}"
}

func TestListingFollowsOnlySaneNextLinks(t *testing.T) {
	tests := []struct {
		name    string
		pages   map[string]string // request URI → reply
		want    int               // items
		wantReq []string
	}{
		{
			name: "a short page ends the listing",
			pages: map[string]string{
				"/api/machineactions?%24top=2":           page([]int{1, 2}, ""),
				"/api/machineactions?%24skip=2&%24top=2": page([]int{3}, ""),
			},
			want:    3,
			wantReq: []string{"/api/machineactions?%24top=2", "/api/machineactions?%24skip=2&%24top=2"},
		},
		{
			name: "a same-host next link is followed",
			pages: map[string]string{
				"/api/machineactions?%24top=2":       page([]int{1, 2}, "https://mde.test/api/machineactions?$skiptoken=abc"),
				"/api/machineactions?$skiptoken=abc": page([]int{3}, ""),
			},
			want:    3,
			wantReq: []string{"/api/machineactions?%24top=2", "/api/machineactions?$skiptoken=abc"},
		},
		{
			name: "a next link to another host is ignored",
			pages: map[string]string{
				"/api/machineactions?%24top=2":           page([]int{1, 2}, "https://evil.test/steal"),
				"/api/machineactions?%24skip=2&%24top=2": page(nil, ""),
			},
			want:    2,
			wantReq: []string{"/api/machineactions?%24top=2", "/api/machineactions?%24skip=2&%24top=2"},
		},
		{
			name: "a looping next link is followed once",
			pages: map[string]string{
				"/api/machineactions?%24top=2":           page([]int{1, 2}, "https://mde.test/api/machineactions?$skiptoken=a"),
				"/api/machineactions?$skiptoken=a":       page([]int{3, 4}, "https://mde.test/api/machineactions?$skiptoken=a"),
				"/api/machineactions?%24skip=4&%24top=2": page(nil, ""),
			},
			want:    4,
			wantReq: []string{"/api/machineactions?%24top=2", "/api/machineactions?$skiptoken=a", "/api/machineactions?%24skip=4&%24top=2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reqs []string
			c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
				if r.URL.Host != "mde.test" {
					t.Errorf("request to %s", r.URL.Host)
				}
				uri := r.URL.RequestURI()
				reqs = append(reqs, uri)
				body, ok := tt.pages[uri]
				if !ok {
					return reply(404, "", nil), nil
				}
				return reply(200, body, nil), nil
			})
			got, err := c.Actions.List(context.Background(), ActionFilter{}, ListOptions{PageSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("%d items, want %d", len(got), tt.want)
			}
			if diff := cmp.Diff(tt.wantReq, reqs); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAReturnedActionIsExistingWhenItPredatesTheCallOrIsNotOurs(t *testing.T) {
	now := time.Now().UTC()
	tests := []struct {
		name     string
		comment  string
		created  time.Time
		existing bool
	}{
		{"our comment, created now", "c1 [req 1]", now, false},
		{"our comment, created an hour ago", "c1 [req 1]", now.Add(-time.Hour), true},
		{"another comment, created now", "someone else", now, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
				return reply(201, fmt.Sprintf(`{"id":%q,"type":"Unisolate","status":"Pending","requestorComment":%q,"creationDateTimeUtc":%q}`,
					testAction, tt.comment, tt.created.Format(time.RFC3339Nano)), nil), nil
			})
			sub, err := c.Actions.Unisolate(context.Background(), testMachine, "c1 [req 1]")
			if err != nil {
				t.Fatal(err)
			}
			if sub.Existing != tt.existing {
				t.Errorf("Existing = %v, want %v", sub.Existing, tt.existing)
			}
		})
	}
}

func TestOffboardAcceptsBoth200And201(t *testing.T) {
	for _, status := range []int{200, 201} {
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			return reply(status, `{"id":"`+testAction+`","type":"Offboard","status":"Pending","requestorComment":"bye"}`, nil), nil
		})
		sub, err := c.Actions.Offboard(context.Background(), testMachine, "bye")
		if err != nil || sub.Action.Type != ActionOffboard || sub.Existing {
			t.Errorf("%d: %+v, %v", status, sub, err)
		}
	}
}

func TestCloudPresetsPairHostsWithTheirAuthority(t *testing.T) {
	tests := []struct {
		cloud                  Cloud
		base, authority, scope string
	}{
		{CloudCommercial, "https://api.security.microsoft.com", "https://login.microsoftonline.com", DefaultScope},
		{CloudEU, "https://eu.api.security.microsoft.com", "https://login.microsoftonline.com", DefaultScope},
		{CloudGCC, "https://api-gcc.securitycenter.microsoft.us", "https://login.microsoftonline.com", "https://api-gcc.securitycenter.microsoft.us/.default"},
		{CloudGCCHigh, "https://api-gov.securitycenter.microsoft.us", "https://login.microsoftonline.us", "https://api-gov.securitycenter.microsoft.us/.default"},
		{CloudDoD, "https://api-gov.securitycenter.microsoft.us", "https://login.microsoftonline.us", "https://api-gov.securitycenter.microsoft.us/.default"},
	}
	for _, tt := range tests {
		got := [3]string{tt.cloud.BaseURL(), tt.cloud.AuthorityHost(), tt.cloud.Scope()}
		if want := [3]string{tt.base, tt.authority, tt.scope}; got != want {
			t.Errorf("%s = %v, want %v", tt.cloud, got, want)
		}
	}
	if c, err := ParseCloud("GCC-High"); err != nil || c != CloudGCCHigh {
		t.Errorf("ParseCloud(GCC-High) = %q, %v", c, err)
	}
	if _, err := ParseCloud("mars"); err == nil {
		t.Error("ParseCloud(mars) succeeded")
	}
}

func TestFindByNameSendsEscapedExactAndPrefixFilters(t *testing.T) {
	tests := []struct{ name, want string }{
		{"ws-0042.contoso.local", "computerDnsName eq 'ws-0042.contoso.local'"},
		{"WS-0042.Contoso.Local.", "computerDnsName eq 'ws-0042.contoso.local' or computerDnsName eq 'WS-0042.Contoso.Local'"},
		{"ws-0100", "computerDnsName eq 'ws-0100' or startswith(computerDnsName,'ws-0100.')"},
		{"x' or computerDnsName ne '", "computerDnsName eq 'x'' or computerdnsname ne ''' or startswith(computerDnsName,'x'' or computerdnsname ne ''.') or " +
			"computerDnsName eq 'x'' or computerDnsName ne ''' or startswith(computerDnsName,'x'' or computerDnsName ne ''.')"},
	}
	for _, tt := range tests {
		var got string
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			got = r.URL.Query().Get("$filter")
			return reply(200, `{"value":[]}`, nil), nil
		})
		if _, err := c.Machines.FindByName(context.Background(), tt.name); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("FindByName(%q) sent\n %s\nwant\n %s", tt.name, got, tt.want)
		}
	}
}

func TestFindByTagPagesWithTheTagOnEveryPage(t *testing.T) {
	item := func(i int) string {
		return fmt.Sprintf(`{"id":"%040x","machineTags":["Outbreak"]}`, i)
	}
	var full []string
	for i := range MaxPageSize {
		full = append(full, item(i))
	}
	pages := map[string]string{
		"/api/machines/findbytag?%24top=10000&tag=outbreak&useStartsWithFilter=false":               `{"value":[` + strings.Join(full, ",") + `]}`,
		"/api/machines/findbytag?%24skip=10000&%24top=10000&tag=outbreak&useStartsWithFilter=false": `{"value":[` + item(MaxPageSize) + `,{"id":"` + strings.Repeat("f", 40) + `","machineTags":["outbreak-2"]}]}`,
	}
	var reqs []string
	c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
		reqs = append(reqs, r.URL.RequestURI())
		body, ok := pages[r.URL.RequestURI()]
		if !ok {
			return reply(400, `{"error":{"code":"BadRequest","message":"unexpected"}}`, nil), nil
		}
		return reply(200, body, nil), nil
	})
	ms, err := c.Machines.FindByTag(context.Background(), "outbreak")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != MaxPageSize+1 || len(reqs) != 2 {
		t.Errorf("%d machines in %d requests %v, want %d in 2 (the other tag left out)", len(ms), len(reqs), reqs, MaxPageSize+1)
	}
}
