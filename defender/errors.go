package defender

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error kinds. Every failed reply from MDE is an [*Error]; callers test its
// kind with errors.Is, for example errors.Is(err, defender.ErrNotFound).
var (
	// ErrNotFound matches a 404 reply (unknown machine, action or indicator,
	// or an investigation package that is not ready yet).
	ErrNotFound = errors.New("defender: not found")
	// ErrActionInProgress matches a 400 reply refusing an action because one
	// of the same kind is already pending or running on the machine.
	ErrActionInProgress = errors.New("defender: an action of this kind is already in progress")
	// ErrForbidden matches a 403 reply: the app lacks a permission (see
	// [Error.MissingPermissions]) or the tenant forbids the operation.
	ErrForbidden = errors.New("defender: forbidden")
	// ErrUnauthorized matches a 401 reply that persisted after the token was
	// re-acquired once.
	ErrUnauthorized = errors.New("defender: unauthorized")
	// ErrRateLimited matches a 429 reply (see [Error.RetryAfter]) and a
	// client-side budget wait that would outlast the context's deadline.
	ErrRateLimited = errors.New("defender: rate limited")
	// ErrOSNotSupported matches a 400 reply saying the machine's OS or agent
	// version cannot run the action (OsPlatformNotSupported,
	// ClientVersionNotSupported).
	ErrOSNotSupported = errors.New("defender: the machine's OS or agent does not support this action")
	// ErrBadRequest matches every 400 reply, including the more specific
	// kinds ErrActionInProgress and ErrOSNotSupported.
	ErrBadRequest = errors.New("defender: bad request")
	// ErrServer matches a 5xx reply.
	ErrServer = errors.New("defender: server error")
	// ErrOutcomeUnknown is returned by an action method when the request may
	// have reached MDE (transport error, timeout or 5xx) and no matching
	// action could be found afterwards: the action may or may not exist.
	// The client never re-sends such a request by itself.
	ErrOutcomeUnknown = errors.New("defender: outcome of the action request is unknown")
)

// MDE error codes the client gives meaning to.
const (
	CodeActiveRequestAlreadyExists = "ActiveRequestAlreadyExists"
	CodeOSPlatformNotSupported     = "OsPlatformNotSupported"
	CodeClientVersionNotSupported  = "ClientVersionNotSupported"
)

// Error is a failed reply from the MDE API. Its fields come from the reply's
// {"error":{"code","message","target"}} body when there is one; empty 404
// and 405 bodies leave Code and Message empty.
type Error struct {
	// Method and Path name the request (the path has no query string).
	Method, Path string
	// StatusCode is the HTTP status of the reply.
	StatusCode int
	// Code is MDE's error code, e.g. "ResourceNotFound"; OData parse errors
	// come with an empty code.
	Code string
	// Message is MDE's free-text message.
	Message string
	// Target is MDE's per-request correlation id.
	Target string
	// Details holds the OData "details" entries, when present.
	Details []ErrorDetail
	// RetryAfter is the delay a 429 reply asked for (zero if none given).
	RetryAfter time.Duration
}

// ErrorDetail is one entry of an OData error's "details" array.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

// Error formats the reply as "defender: METHOD PATH: STATUS CODE: MESSAGE".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "defender: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Target != "" {
		fmt.Fprintf(&b, " [target %s]", e.Target)
	}
	return b.String()
}

// Is reports whether e is of the kind target (one of the Err* sentinels).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrServer:
		return e.StatusCode >= 500
	case ErrActionInProgress:
		return e.StatusCode == http.StatusBadRequest &&
			(e.Code == CodeActiveRequestAlreadyExists || strings.Contains(strings.ToLower(e.Message), "already in progress"))
	case ErrOSNotSupported:
		return e.StatusCode == http.StatusBadRequest &&
			(e.Code == CodeOSPlatformNotSupported || e.Code == CodeClientVersionNotSupported)
	}
	return false
}

// MissingPermissions returns the application roles a 403 reply says the API
// requires, parsed from MDE's "API required roles: A,B, application roles:
// …" message; any one of them is enough. It returns nil when the message
// does not list them.
func (e *Error) MissingPermissions() []string {
	const marker = "API required roles:"
	i := strings.Index(e.Message, marker)
	if i < 0 {
		return nil
	}
	rest := e.Message[i+len(marker):]
	if j := strings.Index(rest, "application roles:"); j >= 0 {
		rest = rest[:j]
	}
	var roles []string
	for _, r := range strings.Split(rest, ",") {
		r = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r), "."))
		if r != "" {
			roles = append(roles, r)
		}
	}
	return roles
}

// maxErrorBody bounds how much of a failed reply is read and kept.
const maxErrorBody = 64 << 10

// parseError builds the *Error for a failed reply whose body has been read.
func parseError(method, path string, status int, header http.Header, body []byte, now func() time.Time) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	if status == http.StatusTooManyRequests {
		e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return e
	}
	var eb struct {
		Error *struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Target  string          `json:"target"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == nil {
		e.Message = truncate(strings.ToValidUTF8(strings.TrimSpace(string(body)), "?"), 512)
		return e
	}
	e.Code, e.Message, e.Target = eb.Error.Code, eb.Error.Message, eb.Error.Target
	if len(eb.Error.Details) > 0 {
		var details []ErrorDetail
		if json.Unmarshal(eb.Error.Details, &details) == nil && len(details) > 0 {
			e.Details = details
		}
	}
	return e
}

// redact replaces secret (the bearer token sent) wherever the reply echoed
// it, as a proxy's error page showing the request headers would.
func (e *Error) redact(secret string) {
	if secret == "" {
		return
	}
	const mask = "[REDACTED]"
	for _, f := range []*string{&e.Code, &e.Message, &e.Target} {
		*f = strings.ReplaceAll(*f, secret, mask)
	}
	for i := range e.Details {
		d := &e.Details[i]
		for _, f := range []*string{&d.Code, &d.Message, &d.Target} {
			*f = strings.ReplaceAll(*f, secret, mask)
		}
	}
}

// maxRetryAfter caps the pause a Retry-After header can ask for, in
// seconds or as a date: a reply asking for years would otherwise pause its
// API family until the process restarts.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date, capped at maxRetryAfter.
func parseRetryAfter(v string, now func() time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now()); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}
