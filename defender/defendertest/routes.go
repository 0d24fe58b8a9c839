package defendertest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// actionSegments maps the lower-cased action path segment under
// /api/machines/{id}/ to its route name and MachineAction type.
var actionSegments = map[string]struct{ route, typ string }{
	"isolate":                     {"actions.isolate", "Isolate"},
	"unisolate":                   {"actions.unisolate", "Unisolate"},
	"restrictcodeexecution":       {"actions.restrictCodeExecution", "RestrictCodeExecution"},
	"unrestrictcodeexecution":     {"actions.unrestrictCodeExecution", "UnrestrictCodeExecution"},
	"runantivirusscan":            {"actions.runAntiVirusScan", "RunAntiVirusScan"},
	"collectinvestigationpackage": {"actions.collectInvestigationPackage", "CollectInvestigationPackage"},
	"stopandquarantinefile":       {"actions.StopAndQuarantineFile", "StopAndQuarantineFile"},
	"offboard":                    {"actions.offboard", "Offboard"},
}

// match is the outcome of routing one request.
type match struct {
	route string // stable route name, "" when unknown
	allow string // non-empty: the method is wrong, answer 405 with this Allow
	id    string // machine, action or indicator id from the path
	arg   string // findbyip(...) argument list; action type for actions.*
	entra bool   // token or openid route (no bearer check)
}

func segEq(a, b string) bool { return strings.EqualFold(a, b) }

// route resolves method and path. Path segments match case-insensitively.
func route(method, path string) match {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 0 || segs[0] == "" {
		return match{}
	}
	if !segEq(segs[0], "api") {
		return entraRoute(method, segs)
	}
	segs = segs[1:]
	if len(segs) > 0 && segEq(segs[0], "v1.0") {
		segs = segs[1:]
	}
	if len(segs) == 0 {
		return match{}
	}
	only := func(m match, want string) match {
		if method != want {
			m.allow = want
		}
		return m
	}
	switch {
	case segEq(segs[0], "machines"):
		switch len(segs) {
		case 1:
			return only(match{route: "machines.list"}, http.MethodGet)
		case 2:
			low := strings.ToLower(segs[1])
			if strings.HasPrefix(low, "findbyip(") && strings.HasSuffix(low, ")") {
				return only(match{route: "machines.findbyip", arg: segs[1][len("findbyip(") : len(segs[1])-1]}, http.MethodGet)
			}
			if low == "findbytag" {
				return only(match{route: "machines.findbytag"}, http.MethodGet)
			}
			return only(match{route: "machines.get", id: segs[1]}, http.MethodGet)
		case 3:
			a, ok := actionSegments[strings.ToLower(segs[2])]
			if !ok {
				return match{}
			}
			return only(match{route: a.route, id: segs[1], arg: a.typ}, http.MethodPost)
		}
	case segEq(segs[0], "machineactions"):
		switch len(segs) {
		case 1:
			return only(match{route: "machineactions.list"}, http.MethodGet)
		case 2:
			return only(match{route: "machineactions.get", id: segs[1]}, http.MethodGet)
		case 3:
			switch strings.ToLower(segs[2]) {
			case "cancel":
				return only(match{route: "machineactions.cancel", id: segs[1]}, http.MethodPost)
			case "getpackageuri":
				return only(match{route: "machineactions.getPackageUri", id: segs[1]}, http.MethodGet)
			}
		}
	case segEq(segs[0], "indicators"):
		switch len(segs) {
		case 1:
			switch method {
			case http.MethodGet:
				return match{route: "indicators.list"}
			case http.MethodPost:
				return match{route: "indicators.post"}
			}
			return match{route: "indicators.list", allow: "GET, POST"}
		case 2:
			return only(match{route: "indicators.delete", id: segs[1]}, http.MethodDelete)
		}
	}
	return match{}
}

func entraRoute(method string, segs []string) match {
	tenant := segs[0]
	rest := strings.ToLower(strings.Join(segs[1:], "/"))
	switch rest {
	case "v2.0/.well-known/openid-configuration":
		m := match{route: "openid", id: tenant, entra: true}
		if method != http.MethodGet {
			m.allow = http.MethodGet
		}
		return m
	case "oauth2/v2.0/token", "oauth2/token":
		m := match{route: "token", id: tenant, arg: rest, entra: true}
		if method != http.MethodPost {
			m.allow = http.MethodPost
		}
		return m
	}
	return match{}
}

// reply is a response built in memory, so that the call is recorded before
// the client can see the answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func newReply() *reply { return &reply{header: http.Header{}} }

// request is what a handler gets.
type request struct {
	r      *http.Request
	m      match
	body   []byte
	claims *tokenClaims // nil on Entra routes
}

const maxBody = 1 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rep, drop := s.handle(r)
	if drop {
		hijackAndClose(w)
		return
	}
	rep.writeTo(w)
}

// handle answers one request in memory and records it. drop means the
// connection must be closed without a reply (FailNext with status 0).
//
// Entra ID: GET /{tenant}/v2.0/.well-known/openid-configuration and POST
// /{tenant}/oauth2/v2.0/token (client_credentials) are served. A client
// authenticates with ClientSecret or, after WithCertificate, with a PS256 or
// RS256 client assertion signed by that certificate's key (checked: x5t#S256
// thumbprint, signature, iss = sub = ClientID, aud = the token endpoint,
// exp/nbf on the server clock with 5 minutes of skew). The scope must
// include Scope. Failures are Entra's OAuth error JSON with AADSTS codes
// (7000215 wrong secret, 700016 unknown client, 90002 unknown tenant, …).
// Access tokens are JWT-shaped, unique per issue, carry the WithRoles app
// roles and expire after WithTokenLifetime on the server clock.
//
// MDE: every /api route (an optional /v1.0 segment, case-insensitive
// segments) checks the bearer token (401 "Invalid Authorization payload.")
// and the app role the route needs (403 "Missing application roles. API
// required roles: …, application roles: …."), then the route's rate limit
// (429 TooManyRequests with Retry-After in seconds; sliding windows on the
// server clock). Wrong methods get 405 with Allow and no body; unknown paths
// 404 with no body. Errors are {"error":{"code","message","target"}}.
//
// Machine actions are created Pending and advance lazily on the server
// clock: Pending for the WithProgress pending duration, then InProgress,
// then Succeeded, or whatever the machine's Outcome says. A second action of
// the same type while one is active answers 400 ActiveRequestAlreadyExists,
// or the pending action with ReturnPending. Lists take OData $filter (eq ne
// gt ge lt le, and or not, parentheses, startswith, machineTags/any(t: t eq
// 'x'), quoted strings with a doubled quote inside, unquoted date-times) on
// the fields MDE documents as filterable, $top (at most 10000) and $skip;
// results come in creation order.
func (s *Server) handle(r *http.Request) (rep *reply, drop bool) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err == nil {
			body = b
		}
	}
	m := route(r.Method, r.URL.Path)
	call := Call{Method: r.Method, Route: m.route, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: body, At: s.now()}

	if m.route != "" && m.allow == "" {
		if f, ok := s.takeFailure(m.route); ok {
			if f.status == 0 {
				call.Status = 0
				s.record(call)
				return nil, true
			}
			rep := newReply()
			for k, v := range f.header {
				rep.header[k] = append([]string(nil), v...)
			}
			if f.body != "" && rep.header.Get("Content-Type") == "" {
				rep.header.Set("Content-Type", errorContentType)
			}
			rep.status, rep.body = f.status, []byte(f.body)
			call.Status = rep.status
			s.record(call)
			return rep, false
		}
	}

	rep = newReply()
	switch {
	case m.route == "":
		rep.status = http.StatusNotFound
	case m.allow != "":
		rep.status = http.StatusMethodNotAllowed
		rep.header.Set("Allow", m.allow)
	default:
		s.dispatch(rep, &request{r: r, m: m, body: body})
	}
	call.Status = rep.status
	s.record(call)
	return rep, false
}

func (rep *reply) writeTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	if len(rep.body) == 0 {
		h.Set("Content-Length", "0")
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 {
		_, _ = io.Copy(w, bytes.NewReader(rep.body))
	}
}

func hijackAndClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (s *Server) dispatch(rep *reply, req *request) {
	if req.m.entra {
		switch req.m.route {
		case "openid":
			s.handleOpenID(rep, req)
		case "token":
			s.handleToken(rep, req)
		}
		return
	}
	claims, ok := s.authorize(rep, req)
	if !ok {
		return
	}
	req.claims = claims
	if !s.allowRate(rep, req.m.route) {
		return
	}
	switch req.m.route {
	case "machines.list":
		s.handleMachinesList(rep, req)
	case "machines.get":
		s.handleMachineGet(rep, req)
	case "machines.findbyip":
		s.handleFindByIP(rep, req)
	case "machines.findbytag":
		s.handleFindByTag(rep, req)
	case "machineactions.list":
		s.handleActionsList(rep, req)
	case "machineactions.get":
		s.handleActionGet(rep, req)
	case "machineactions.cancel":
		s.handleCancel(rep, req)
	case "machineactions.getPackageUri":
		s.handleGetPackageURI(rep, req)
	case "indicators.list":
		s.handleIndicatorsList(rep, req)
	case "indicators.post":
		s.handleIndicatorPost(rep, req)
	case "indicators.delete":
		s.handleIndicatorDelete(rep, req)
	default:
		s.handleAction(rep, req)
	}
}
