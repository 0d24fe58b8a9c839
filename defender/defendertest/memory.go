package defendertest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// memoryHost is the host of a server created WithInMemory.
const memoryHost = "https://defendertest.invalid"

// WithInMemory creates the server without a network listener: URL and
// AuthorityHost return "https://defendertest.invalid" and HTTPClient
// serves requests in the calling goroutine. Use it inside a
// testing/synctest bubble, where a goroutine blocked on a real socket
// would keep the bubble's clock from advancing. CertificatePEM is nil, and
// a FailNext with status 0 makes the client's request fail with an error.
func WithInMemory() Option {
	return func(c *config) { c.inMemory = true }
}

// memoryTransport is an http.RoundTripper that calls the server directly.
type memoryTransport struct{ s *Server }

// RoundTrip answers req from the server without a network.
func (t memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme+"://"+req.URL.Host != memoryHost {
		return nil, fmt.Errorf("defendertest: in-memory server cannot reach %s://%s", req.URL.Scheme, req.URL.Host)
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	rep, drop := t.s.handle(req)
	if drop {
		return nil, fmt.Errorf("defendertest: connection closed by FailNext: %w", io.ErrUnexpectedEOF)
	}
	h := rep.header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	return &http.Response{
		Status:        strconv.Itoa(rep.status) + " " + http.StatusText(rep.status),
		StatusCode:    rep.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(rep.body)),
		ContentLength: int64(len(rep.body)),
		Request:       req,
	}, nil
}
