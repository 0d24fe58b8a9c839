package defender

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// roundTripFunc is an in-memory transport: no sockets, so it also works
// inside a synctest bubble.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// reply builds a response with a JSON body.
func reply(status int, body string, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	if body != "" && header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json; charset=utf-8")
	}
	return &http.Response{
		StatusCode:    status,
		Header:        header,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}

// newTestClient returns a client whose transport is rt, without budgets.
func newTestClient(t testing.TB, rt roundTripFunc, opts ...Option) *Client {
	t.Helper()
	base := []Option{
		WithBaseURL("https://mde.test"),
		WithHTTPClient(&http.Client{Transport: rt}),
		WithTokenSource(StaticToken("t0k3n")),
		WithoutRateLimits(),
	}
	c, err := NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	testMachine = MachineID("1e5bc9d7e413ddd7902c2932e418702b84d0cc07")
	testAction  = "8af71966-4671-4734-a777-a855875c0ec4"
)
