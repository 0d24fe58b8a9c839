package defendertest

import (
	"net/http"
	"strings"
	"testing"
)

func BenchmarkParseFilter(b *testing.B) {
	f := "machineId eq '" + ws42 + "' and (status eq 'Pending' or status eq 'InProgress') and creationDateTimeUtc ge 2026-01-01T00:00:00Z"
	for b.Loop() {
		if _, err := parseFilter(f, actionSchema); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRequest runs one authenticated in-memory request per iteration.
func benchRequest(b *testing.B, method, path, body string) {
	srv := NewServer(WithInMemory(), WithRateLimits(0, 0), WithDuplicateMode(ReturnPending), WithProgress(0, 0))
	defer srv.Close()
	tok, _ := srv.issueToken(Audience)
	client := srv.HTTPClient()
	for b.Loop() {
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 300 {
			b.Fatal(res.Status)
		}
	}
}

func BenchmarkIsolateInMemory(b *testing.B) {
	benchRequest(b, "POST", "/api/machines/"+ws42+"/isolate", `{"Comment":"x","IsolationType":"Full"}`)
}

func BenchmarkListMachinesWithFilterInMemory(b *testing.B) {
	benchRequest(b, "GET", "/api/machines?$filter=startswith(computerDnsName,'ws-01')", "")
}
