package defendertest

import (
	"net/http"
	"testing"
)

func TestABearerTokenIsRequired(t *testing.T) {
	srv := newTestServer(t)
	for name, token := range map[string]string{
		"no token":         "",
		"a garbage token":  "abc",
		"a forged token":   "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln",
		"another's server": accessToken(t, newTestServer(t)),
	} {
		t.Run(name, func(t *testing.T) {
			res := get(t, srv, token, "/api/machines")
			code, msg := res.errorCode(t)
			if res.status != http.StatusUnauthorized || code != "Unauthorized" || msg != "Invalid Authorization payload." {
				t.Errorf("got %d %s %q", res.status, code, msg)
			}
		})
	}
}

func TestAMissingRoleIsForbiddenWithTheRealMessage(t *testing.T) {
	srv := newTestServer(t, WithRoles(RoleMachineReadAll))
	tok := accessToken(t, srv)
	tests := []struct {
		method, path, body string
		want               string
	}{
		{"POST", "/api/machines/" + ws42 + "/isolate", `{"Comment":"x","IsolationType":"Full"}`,
			"Missing application roles. API required roles: Machine.Isolate, application roles: Machine.Read.All."},
		{"POST", "/api/machines/" + ws42 + "/StopAndQuarantineFile", `{"Comment":"x","Sha1":"` + ws42 + `"}`,
			"Missing application roles. API required roles: Machine.StopAndQuarantine, application roles: Machine.Read.All."},
		{"GET", "/api/indicators", "",
			"Missing application roles. API required roles: Ti.ReadWrite.All,Ti.ReadWrite, application roles: Machine.Read.All."},
	}
	for _, tt := range tests {
		res := do(t, srv, tt.method, tt.path, tok, "application/json", tt.body)
		code, msg := res.errorCode(t)
		if res.status != http.StatusForbidden || code != "Forbidden" || msg != tt.want {
			t.Errorf("%s %s: got %d %s %q, want 403 Forbidden %q", tt.method, tt.path, res.status, code, msg, tt.want)
		}
	}
	if n := len(srv.Actions()); n != 0 {
		t.Errorf("a forbidden isolate created %d actions", n)
	}
}

func TestATokenWithoutRolesNamesNoneInTheMessage(t *testing.T) {
	srv := newTestServer(t, WithRoles())
	res := get(t, srv, accessToken(t, srv), "/api/indicators")
	if _, msg := res.errorCode(t); msg != "Missing application roles. API required roles: Ti.ReadWrite.All,Ti.ReadWrite, application roles: ." {
		t.Errorf("message = %q", msg)
	}
}

func TestRoutingFollowsMDE(t *testing.T) {
	srv := newTestServer(t)
	tok := accessToken(t, srv)
	tests := []struct {
		name, method, path string
		status             int
		allow              string
		route              string
	}{
		{"the v1.0 prefix", "GET", "/api/v1.0/machines/" + ws42, 200, "", "machines.get"},
		{"upper-case segments", "GET", "/API/Machines/" + ws42, 200, "", "machines.get"},
		{"an action segment in any case", "POST", "/api/machines/" + ws42 + "/stopandquarantinefile", 400, "", "actions.StopAndQuarantineFile"},
		{"GET on an action", "GET", "/api/machines/" + ws42 + "/isolate", 405, "POST", "actions.isolate"},
		{"GET on cancel", "GET", "/api/machineactions/8af71966-4671-4734-a777-a855875c0ec4/cancel", 405, "POST", "machineactions.cancel"},
		{"an unknown action", "POST", "/api/machines/" + ws42 + "/explode", 404, "", ""},
		{"an unknown path", "GET", "/api/alerts", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, srv, tt.method, tt.path, tok, "application/json", "")
			if res.status != tt.status || res.header.Get("Allow") != tt.allow {
				t.Fatalf("got %d Allow=%q, want %d Allow=%q", res.status, res.header.Get("Allow"), tt.status, tt.allow)
			}
			if (tt.status == 404 || tt.status == 405) && len(res.body) != 0 {
				t.Errorf("body = %q, want empty", res.body)
			}
			calls := srv.Calls()
			if last := calls[len(calls)-1]; last.Route != tt.route || last.Status != tt.status {
				t.Errorf("recorded route %q status %d, want %q %d", last.Route, last.Status, tt.route, tt.status)
			}
		})
	}
}
