package defender

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFailedRepliesBecomeOneTypedErrorOfTheRightKind(t *testing.T) {
	kinds := []error{ErrNotFound, ErrActionInProgress, ErrForbidden, ErrUnauthorized, ErrRateLimited, ErrOSNotSupported, ErrBadRequest, ErrServer}
	tests := []struct {
		name   string
		status int
		body   string
		header http.Header
		want   Error
		kinds  []error
	}{
		{
			name: "an unknown machine is ErrNotFound", status: 404,
			body:  `{"error":{"code":"ResourceNotFound","message":"Machine 1e5b was not found","target":"43f4cb08-8fac-4b65-9db1-745c2ae65f3a"}}`,
			want:  Error{StatusCode: 404, Code: "ResourceNotFound", Message: "Machine 1e5b was not found", Target: "43f4cb08-8fac-4b65-9db1-745c2ae65f3a"},
			kinds: []error{ErrNotFound},
		},
		{
			name: "an empty 404 body is ErrNotFound", status: 404,
			want: Error{StatusCode: 404}, kinds: []error{ErrNotFound},
		},
		{
			name: "an empty 405 body is a plain error", status: 405, header: http.Header{"Allow": {"POST"}},
			want: Error{StatusCode: 405},
		},
		{
			name: "ActiveRequestAlreadyExists is ErrActionInProgress and ErrBadRequest", status: 400,
			body:  `{"error":{"code":"ActiveRequestAlreadyExists","message":"Action is already in progress","target":"|b1838e63-40a6640ddd2719ac."}}`,
			want:  Error{StatusCode: 400, Code: "ActiveRequestAlreadyExists", Message: "Action is already in progress", Target: "|b1838e63-40a6640ddd2719ac."},
			kinds: []error{ErrActionInProgress, ErrBadRequest},
		},
		{
			name: "an already-in-progress message with another code is ErrActionInProgress", status: 400,
			body:  `{"error":{"code":"BadRequest","message":"Action is already in progress"}}`,
			want:  Error{StatusCode: 400, Code: "BadRequest", Message: "Action is already in progress"},
			kinds: []error{ErrActionInProgress, ErrBadRequest},
		},
		{
			name: "OsPlatformNotSupported is ErrOSNotSupported", status: 400,
			body:  `{"error":{"code":"OsPlatformNotSupported","message":"OS platform not supported"}}`,
			want:  Error{StatusCode: 400, Code: "OsPlatformNotSupported", Message: "OS platform not supported"},
			kinds: []error{ErrOSNotSupported, ErrBadRequest},
		},
		{
			name: "ClientVersionNotSupported is ErrOSNotSupported", status: 400,
			body:  `{"error":{"code":"ClientVersionNotSupported","message":"needs 10.8"}}`,
			want:  Error{StatusCode: 400, Code: "ClientVersionNotSupported", Message: "needs 10.8"},
			kinds: []error{ErrOSNotSupported, ErrBadRequest},
		},
		{
			name: "the empty-code OData variant keeps its message and details", status: 400,
			body:  `{"error":{"code":"","message":"The query specified in the URI is not valid. Custom query option '$stop' that starts with '$' is not supported.","details":[{"code":"x","message":"y"}]}}`,
			want:  Error{StatusCode: 400, Message: "The query specified in the URI is not valid. Custom query option '$stop' that starts with '$' is not supported.", Details: []ErrorDetail{{Code: "x", Message: "y"}}},
			kinds: []error{ErrBadRequest},
		},
		{
			name: "an empty details array is dropped", status: 400,
			body:  `{"error":{"code":"","message":"bad","details":[]}}`,
			want:  Error{StatusCode: 400, Message: "bad"},
			kinds: []error{ErrBadRequest},
		},
		{
			name: "a missing role is ErrForbidden", status: 403,
			body:  `{"error":{"code":"Forbidden","message":"Missing application roles. API required roles: Ti.ReadWrite.All,Ti.ReadWrite, application roles: ."}}`,
			want:  Error{StatusCode: 403, Code: "Forbidden", Message: "Missing application roles. API required roles: Ti.ReadWrite.All,Ti.ReadWrite, application roles: ."},
			kinds: []error{ErrForbidden},
		},
		{
			name: "a persistent 401 is ErrUnauthorized", status: 401,
			body:  `{"error":{"code":"Unauthorized","message":"Invalid Authorization payload."}}`,
			want:  Error{StatusCode: 401, Code: "Unauthorized", Message: "Invalid Authorization payload."},
			kinds: []error{ErrUnauthorized},
		},
		{
			name: "a 429 is ErrRateLimited with its Retry-After", status: 429, header: http.Header{"Retry-After": {"7"}},
			body:  `{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded. Try again in 7 seconds."}}`,
			want:  Error{StatusCode: 429, Code: "TooManyRequests", Message: "Rate limit is exceeded. Try again in 7 seconds.", RetryAfter: 7 * time.Second},
			kinds: []error{ErrRateLimited},
		},
		{
			name: "a non-JSON 500 keeps its text", status: 500, body: "<html>oops</html>",
			want: Error{StatusCode: 500, Message: "<html>oops</html>"}, kinds: []error{ErrServer},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
				calls++
				return reply(tt.status, tt.body, tt.header.Clone()), nil
			}, WithMaxAttempts(1))
			_, err := c.Machines.Get(context.Background(), testMachine)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			tt.want.Method, tt.want.Path = "GET", "/api/machines/"+string(testMachine)
			if diff := cmp.Diff(tt.want, *e); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			for _, k := range kinds {
				want := false
				for _, w := range tt.kinds {
					want = want || w == k
				}
				if got := errors.Is(err, k); got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", k, got, want)
				}
			}
			wantCalls := 1
			if tt.status == http.StatusUnauthorized {
				wantCalls = 2 // the token is re-acquired once
			}
			if calls != wantCalls {
				t.Errorf("%d calls, want %d (retries disabled)", calls, wantCalls)
			}
		})
	}
}

func TestMissingPermissionsAreParsedFromTheForbiddenMessage(t *testing.T) {
	tests := []struct {
		msg  string
		want []string
	}{
		{"Missing application roles. API required roles: Ti.ReadWrite.All,Ti.ReadWrite, application roles: .", []string{"Ti.ReadWrite.All", "Ti.ReadWrite"}},
		{"Missing application roles. API required roles: Machine.Isolate, application roles: Machine.Read.All.", []string{"Machine.Isolate"}},
		{"API required roles: Machine.Scan.", []string{"Machine.Scan"}},
		{"Forbidden", nil},
	}
	for _, tt := range tests {
		e := &Error{StatusCode: 403, Message: tt.msg}
		if diff := cmp.Diff(tt.want, e.MissingPermissions()); diff != "" {
			t.Errorf("MissingPermissions(%q) (-want +got):\n%s", tt.msg, diff)
		}
	}
}

func TestErrorMessageNamesTheEndpointAndTheCode(t *testing.T) {
	e := &Error{Method: "POST", Path: "/api/machines/x/isolate", StatusCode: 400, Code: "ActiveRequestAlreadyExists", Message: "Action is already in progress"}
	want := "defender: POST /api/machines/x/isolate: 400 Bad Request: ActiveRequestAlreadyExists: Action is already in progress"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRetryAfterAcceptsSecondsAndHTTPDates(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	tests := map[string]time.Duration{
		"":                              0,
		"2":                             2 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:15 GMT": 10 * time.Second,
		"999999999":                     maxRetryAfter,
		"Fri, 31 Dec 9999 23:59:59 GMT": maxRetryAfter,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, clock); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

type countingTokens struct{ tokens, refreshes int }

func (c *countingTokens) Token(context.Context) (string, error) { c.tokens++; return "old", nil }
func (c *countingTokens) RefreshToken(context.Context) (string, error) {
	c.refreshes++
	return "new", nil
}

func TestA401RefreshesTheTokenOnlyForTheNextAttempt(t *testing.T) {
	synctest.Test(t, testA401RefreshesTheTokenOnlyForTheNextAttempt)
}

func testA401RefreshesTheTokenOnlyForTheNextAttempt(t *testing.T) {
	var auth []string
	ts := &countingTokens{}
	c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
		auth = append(auth, r.Header.Get("Authorization"))
		switch len(auth) {
		case 1:
			return reply(401, `{"error":{"code":"Unauthorized"}}`, nil), nil
		case 2:
			return reply(429, "", http.Header{"Retry-After": {"1"}}), nil
		}
		return reply(200, `{"id":"`+testAction+`"}`, nil), nil
	}, WithTokenSource(ts))
	if _, err := c.Actions.Get(context.Background(), testAction); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Bearer old", "Bearer new", "Bearer old"}, auth); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
	if ts.refreshes != 1 {
		t.Errorf("%d refreshes, want 1", ts.refreshes)
	}
}

func FuzzParseError(f *testing.F) {
	f.Add(429, "120", `{"error":{"code":"TooManyRequests","message":"slow down","target":"|a.b."}}`)
	f.Add(400, "", `{"error":{"code":"","message":"The query specified in the URI is not valid.","details":[{"code":"x"}]}}`)
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", `<html>busy</html>`)
	f.Add(404, "", ``)
	f.Add(429, "Fri, 31 Dec 9999 23:59:59 GMT", ``)
	f.Add(403, "-1", `{"error":null}`)
	f.Add(400, "99999999999999999999", `{"error":{"details":{"not":"an array"},"message":7}}`)
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, status int, retryAfter, body string) {
		e := parseError("GET", "/api/machines", status, http.Header{"Retry-After": {retryAfter}}, []byte(body), now)
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("Retry-After %q gave a pause of %v, want 0 to %v", retryAfter, e.RetryAfter, maxRetryAfter)
		}
		if len(e.Message) > len(body)+512 {
			t.Fatalf("a message of %d bytes from a body of %d", len(e.Message), len(body))
		}
		e.redact("tok")
		_ = e.Error()
		_ = e.MissingPermissions()
		for _, k := range []error{ErrNotFound, ErrActionInProgress, ErrOSNotSupported, ErrServer} {
			_ = errors.Is(e, k)
		}
	})
}
