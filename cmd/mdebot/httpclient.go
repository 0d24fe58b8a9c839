package main

import (
	"net/http"
	"time"
)

// Overall timeouts of one HTTP request.
const (
	slackTimeout    = 30 * time.Second
	defenderTimeout = 60 * time.Second
)

// newHTTPClient returns a client on a clone of http.DefaultTransport with
// bounded dial, TLS and header waits. Its TLS config is left nil, so the
// system trust store applies: SSL_CERT_FILE, when set, is read in place of
// the system's CA bundle file, and the certificate directories still are.
func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: timeout}
}
