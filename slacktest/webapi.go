package slacktest

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var errServerClosed = errors.New("slacktest: server closed")

// apiError is a failed Web API reply: {"ok":false,"error":code} with optional
// response_metadata.messages, as Slack sends for block errors.
type apiError struct {
	code       string
	messages   []string
	retryAfter time.Duration // answer HTTP 429 with Retry-After
}

func (e *apiError) Error() string { return e.code }

func fail(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

// call is one parsed Web API request.
type call struct {
	method string
	params url.Values
	body   json.RawMessage
	token  string
}

func (c *call) param(k string) string { return c.params.Get(k) }

type handler func(s *Server, c *call) (map[string]any, *apiError)

// handlers maps each Web API method to its handler. Handlers run with s.mu held.
var handlers = map[string]handler{
	"apps.connections.open":        (*Server).appsConnectionsOpen,
	"auth.test":                    (*Server).authTest,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"chat.delete":                  (*Server).chatDelete,
	"chat.getPermalink":            (*Server).chatGetPermalink,
	"users.info":                   (*Server).usersInfo,
	"users.list":                   (*Server).usersList,
	"usergroups.users.list":        (*Server).usergroupsUsersList,
	"conversations.open":           (*Server).conversationsOpen,
	"views.open":                   (*Server).viewsOpen,
	"views.push":                   (*Server).viewsPush,
	"views.update":                 (*Server).viewsUpdate,
	"views.publish":                (*Server).viewsPublish,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
}

// serveAPI answers POST/GET /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	c, err := parseCall(r)
	if err != nil {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	s.mu.Lock()
	hf, scripted := s.takeHTTPFailureLocked(c.method)
	if scripted && hf.status != 0 {
		s.calls = append(s.calls, APICall{Method: c.method, Params: c.params, JSON: c.body, At: s.now(), Error: http.StatusText(hf.status)})
		s.changeLocked()
		s.mu.Unlock()
		writeStatus(w, hf.status)
		return
	}
	resp, aerr := s.dispatchLocked(c)
	rec := APICall{Method: c.method, Params: c.params, JSON: c.body, At: s.now()}
	if aerr != nil {
		rec.Error = aerr.code
	}
	s.calls = append(s.calls, rec)
	s.changeLocked()
	s.mu.Unlock()
	if scripted && hf.delay > 0 {
		select {
		case <-time.After(hf.delay):
		case <-r.Context().Done():
			return
		}
	}

	if aerr != nil && aerr.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(aerr.retryAfter/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		writeJSON(w, map[string]any{"ok": false, "error": aerr.code})
		return
	}
	if aerr != nil {
		out := map[string]any{"ok": false, "error": aerr.code}
		if len(aerr.messages) > 0 {
			out["response_metadata"] = map[string]any{"messages": aerr.messages}
		}
		writeJSON(w, out)
		return
	}
	resp["ok"] = true
	writeJSON(w, resp)
}

func (s *Server) dispatchLocked(c *call) (map[string]any, *apiError) {
	h, ok := handlers[c.method]
	if !ok {
		return nil, fail("unknown_method")
	}
	if err := checkToken(c); err != nil {
		return nil, err
	}
	if s.limits != nil {
		if wait := s.limits.check(c, time.Now()); wait > 0 {
			return nil, &apiError{code: "ratelimited", retryAfter: wait}
		}
	}
	if f := s.failures[c.method]; f != nil && f.n > 0 {
		f.n--
		if s.limits != nil && f.retryAfter > 0 {
			// A scripted 429 binds like one of the limits'.
			s.limits.pauseLocked(c, time.Now(), f.retryAfter)
		}
		return nil, &apiError{code: f.err, retryAfter: f.retryAfter}
	}
	return h(s, c)
}

// checkToken applies Slack's token rules: the app-level token opens
// connections, the bot token does everything else.
func checkToken(c *call) *apiError {
	want, other := BotToken, AppToken
	if c.method == "apps.connections.open" {
		want, other = AppToken, BotToken
	}
	switch c.token {
	case "":
		return fail("not_authed")
	case want:
		return nil
	case other:
		return fail("not_allowed_token_type")
	default:
		return fail("invalid_auth")
	}
}

// parseCall reads the method, query and form parameters, a JSON body, and
// the token from the form or the Authorization header.
func parseCall(r *http.Request) (*call, error) {
	c := &call{method: r.PathValue("method"), params: url.Values{}}
	for k, v := range r.URL.Query() {
		c.params[k] = v
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" && len(strings.TrimSpace(string(body))) > 0:
		if !json.Valid(body) {
			return nil, errors.New("invalid JSON body")
		}
		c.body = body
	case ct == "application/x-www-form-urlencoded" || (ct == "" && len(body) > 0):
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			c.params[k] = append(c.params[k], v...)
		}
	}
	c.token = c.params.Get("token")
	if auth := r.Header.Get("Authorization"); c.token == "" && strings.HasPrefix(auth, "Bearer ") {
		c.token = strings.TrimPrefix(auth, "Bearer ")
	}
	return c, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// authTest answers auth.test for the bot token.
func (s *Server) authTest(c *call) (map[string]any, *apiError) {
	resp := map[string]any{
		"url":     "https://" + s.teamDomain + ".slack.com/",
		"team":    s.teamDomain,
		"user":    "mdebot",
		"team_id": s.teamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	}
	if s.enterpriseID != "" {
		resp["enterprise_id"] = s.enterpriseID
	}
	return resp, nil
}

// appsConnectionsOpen issues a single-use websocket ticket.
func (s *Server) appsConnectionsOpen(c *call) (map[string]any, *apiError) {
	ticket := s.nextIDLocked("fake-")
	s.tickets[ticket] = true
	s.openedConns++
	host := strings.TrimPrefix(s.baseURL, "http://")
	return map[string]any{"url": "ws://" + host + "/link/?ticket=" + ticket + "&app_id=" + AppID}, nil
}
