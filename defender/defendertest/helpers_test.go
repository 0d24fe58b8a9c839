package defendertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newManualClock() *manualClock {
	return &manualClock{t: time.Date(2026, 11, 23, 10, 0, 0, 123456700, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// errorCode returns error.code and error.message of an MDE error body.
func (r response) errorCode(t *testing.T) (string, string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("body %q is not an error body: %v", r.body, err)
	}
	return e.Error.Code, e.Error.Message
}

func do(t *testing.T, srv *Server, method, path, token, contentType, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func get(t *testing.T, srv *Server, token, path string) response {
	t.Helper()
	return do(t, srv, http.MethodGet, path, token, "", "")
}

func postJSON(t *testing.T, srv *Server, token, path, body string) response {
	t.Helper()
	return do(t, srv, http.MethodPost, path, token, "application/json", body)
}

// tokenForm posts a token request with form values.
func tokenForm(t *testing.T, srv *Server, tenant string, form url.Values) response {
	t.Helper()
	return do(t, srv, http.MethodPost, "/"+tenant+"/oauth2/v2.0/token", "", "application/x-www-form-urlencoded", form.Encode())
}

// accessToken gets a token with the client secret.
func accessToken(t *testing.T, srv *Server) string {
	t.Helper()
	res := tokenForm(t, srv, TenantID, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {ClientID},
		"client_secret": {ClientSecret}, "scope": {Scope + " openid offline_access profile"},
	})
	if res.status != http.StatusOK {
		t.Fatalf("token: %d %s", res.status, res.body)
	}
	tok, _ := res.json(t)["access_token"].(string)
	return tok
}

const ws42 = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"

// actionIDs returns the ids of a list answer's value.
func valueIDs(t *testing.T, r response) []string {
	t.Helper()
	var body struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("list body %q: %v", r.body, err)
	}
	ids := []string{}
	for _, v := range body.Value {
		ids = append(ids, v.ID)
	}
	return ids
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
