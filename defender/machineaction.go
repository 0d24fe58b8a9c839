package defender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mdebot/mdebot/mde"
	"github.com/mdebot/mdebot/secret"
)

// MachineAction is a response action MDE runs on a machine. Unknown Type
// and Status values are kept verbatim; fields MDE may send as null are
// left zero.
type MachineAction struct {
	ID                      string           `json:"id"`
	Type                    ActionType       `json:"type"`
	Title                   string           `json:"title"`
	Requestor               string           `json:"requestor"`
	RequestorComment        string           `json:"requestorComment"`
	Status                  ActionStatus     `json:"status"`
	MachineID               MachineID        `json:"machineId"`
	ComputerDNSName         string           `json:"computerDnsName"`
	CreationDateTimeUTC     time.Time        `json:"creationDateTimeUtc"`
	LastUpdateDateTimeUTC   time.Time        `json:"lastUpdateDateTimeUtc"`
	CancellationRequestor   string           `json:"cancellationRequestor"`
	CancellationComment     string           `json:"cancellationComment"`
	CancellationDateTimeUTC time.Time        `json:"cancellationDateTimeUtc"`
	ErrorHResult            int64            `json:"errorHResult"`
	Scope                   string           `json:"scope"`
	ExternalID              string           `json:"externalId"`
	RequestSource           string           `json:"requestSource"`
	RelatedFileInfo         *RelatedFileInfo `json:"relatedFileInfo"`
	// Commands holds live-response commands verbatim ([] for other types).
	Commands []json.RawMessage `json:"commands"`
	// TroubleshootInfo is undocumented and kept verbatim.
	TroubleshootInfo json.RawMessage `json:"troubleshootInfo"`
}

// RelatedFileInfo names the file a StopAndQuarantineFile action is about.
type RelatedFileInfo struct {
	FileIdentifier     string `json:"fileIdentifier"`
	FileIdentifierType string `json:"fileIdentifierType"`
}

// UnmarshalJSON decodes an action, tolerating nulls, timestamps with up to
// 7 fractional digits (or none, or no zone), an errorHResult sent as a
// string, and the last update under either name: real replies say
// lastUpdateDateTimeUtc, the list examples of Microsoft's "List
// MachineActions API" page say lastUpdateTimeUtc.
func (a *MachineAction) UnmarshalJSON(b []byte) error {
	type plain MachineAction
	var updatedDoc time.Time
	aux := struct {
		*plain
		Created      jsonTime `json:"creationDateTimeUtc"`
		Updated      jsonTime `json:"lastUpdateDateTimeUtc"`
		UpdatedDoc   jsonTime `json:"lastUpdateTimeUtc"`
		Cancelled    jsonTime `json:"cancellationDateTimeUtc"`
		ErrorHResult flexInt  `json:"errorHResult"`
		// The docs spell it externalID.
		ExternalIDDoc *string `json:"externalID"`
	}{
		plain:        (*plain)(a),
		Created:      jsonTime{&a.CreationDateTimeUTC},
		Updated:      jsonTime{&a.LastUpdateDateTimeUTC},
		UpdatedDoc:   jsonTime{&updatedDoc},
		Cancelled:    jsonTime{&a.CancellationDateTimeUTC},
		ErrorHResult: flexInt{&a.ErrorHResult},
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if a.ExternalID == "" && aux.ExternalIDDoc != nil {
		a.ExternalID = *aux.ExternalIDDoc
	}
	if a.LastUpdateDateTimeUTC.IsZero() {
		a.LastUpdateDateTimeUTC = updatedDoc
	}
	return nil
}

// ActionsService runs machine actions and reads their status.
type ActionsService struct {
	c *Client
	// statusBatch is the most ids one Statuses call asks for: 0 until a
	// batch was refused, then the largest size that MDE accepted since.
	statusBatch atomic.Int32
}

// Get returns the machine action with id (a GUID).
//
// MDE: GET /api/machineactions/{id}.
func (s *ActionsService) Get(ctx context.Context, id string) (MachineAction, error) {
	if !mde.IsActionID(id) {
		return MachineAction{}, fmt.Errorf("defender: %q is not a machine action id (a GUID)", truncate(id, 64))
	}
	var a MachineAction
	_, err := s.c.do(ctx, request{family: FamilyMachineActions, method: "GET", path: "/api/machineactions/" + strings.ToLower(id)}, &a)
	return a, err
}

// List returns the machine actions f selects, paging with $top/$skip.
//
// MDE: GET /api/machineactions?$filter=…&$top=…&$skip=….
func (s *ActionsService) List(ctx context.Context, f ActionFilter, opts ListOptions) ([]MachineAction, error) {
	expr, err := f.Expression()
	if err != nil {
		return nil, err
	}
	return listAll[MachineAction](ctx, s.c, FamilyMachineActions, "/api/machineactions", expr, opts)
}

// Batch limits of [ActionsService.Statuses]: at most this many ids, and
// this many bytes of encoded $filter, per call.
const (
	MaxIDsPerStatusCall    = 50
	maxStatusFilterEncoded = 1900 // leaves room for $top and the separators under 2 KB
)

// Statuses reads many actions at once, for a tracker: it asks for
// "id eq 'a' or id eq 'b' …" in chunks of at most MaxIDsPerStatusCall ids
// (and about 2 KB of query), so N ids cost about N/50 calls. The map is
// keyed by lowercase action id; ids MDE does not know are absent. On
// error it returns what it read so far.
//
// Nothing documents the largest $filter MDE accepts (ASP.NET OData's
// default node limit is reached well before 50 terms), so a 400 to a
// chunk halves it and retries, down to one id, and the size that worked
// is kept for later calls.
//
// MDE: GET /api/machineactions?$filter=id eq '…' or ….
func (s *ActionsService) Statuses(ctx context.Context, ids []string) (map[string]MachineAction, error) {
	out := make(map[string]MachineAction, len(ids))
	seen := make(map[string]bool, len(ids))
	var todo []string
	for _, id := range ids {
		id = strings.ToLower(id)
		if !mde.IsActionID(id) {
			return out, fmt.Errorf("defender: %q is not a machine action id (a GUID)", truncate(id, 64))
		}
		if !seen[id] {
			seen[id] = true
			todo = append(todo, id)
		}
	}
	for len(todo) > 0 {
		n := s.statusChunk(todo)
		chunk := todo[:n]
		list, err := s.List(ctx, ActionFilter{IDs: chunk}, ListOptions{PageSize: n, Limit: n})
		if err != nil {
			if n > 1 && errors.Is(err, ErrBadRequest) {
				s.shrinkStatusBatch(n / 2)
				continue
			}
			return out, err
		}
		for _, a := range list {
			out[strings.ToLower(a.ID)] = a
		}
		todo = todo[n:]
	}
	return out, nil
}

// statusChunk is how many of ids the next Statuses call asks for: at
// most the batch size and about 2 KB of encoded filter.
func (s *ActionsService) statusChunk(ids []string) int {
	limit := MaxIDsPerStatusCall
	if b := int(s.statusBatch.Load()); b > 0 {
		limit = b
	}
	n, encoded := 0, 0
	for _, id := range ids {
		// "id eq '<36>' or " encodes to about 60 bytes.
		cost := len(url.QueryEscape("id eq '" + id + "' or "))
		if n == limit || n > 0 && encoded+cost > maxStatusFilterEncoded {
			break
		}
		n++
		encoded += cost
	}
	return n
}

// shrinkStatusBatch lowers the batch size to n (never raises it).
func (s *ActionsService) shrinkStatusBatch(n int) {
	n = max(n, 1)
	for {
		cur := s.statusBatch.Load()
		if cur > 0 && int(cur) <= n {
			return
		}
		if s.statusBatch.CompareAndSwap(cur, int32(n)) {
			return
		}
	}
}

// PackageURI returns the download URL of a finished investigation package
// collection. The URL is a bearer credential and comes wrapped in a
// [secret.Value]. ErrNotFound means the collection has not succeeded (yet).
//
// MDE: GET /api/machineactions/{id}/getPackageUri (2 calls/min, 120/h).
func (s *ActionsService) PackageURI(ctx context.Context, actionID string) (secret.Value, error) {
	if !mde.IsActionID(actionID) {
		return secret.Value{}, fmt.Errorf("defender: %q is not a machine action id (a GUID)", truncate(actionID, 64))
	}
	var v struct {
		Value string `json:"value"`
	}
	path := "/api/machineactions/" + strings.ToLower(actionID) + "/getPackageUri"
	if _, err := s.c.do(ctx, request{family: FamilyPackageURI, method: "GET", path: path}, &v); err != nil {
		return secret.Value{}, err
	}
	u := cleanPackageURI(v.Value)
	if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" && pu.Scheme != "http" || pu.Host == "" {
		return secret.Value{}, fmt.Errorf("defender: GET %s returned a value that is not a URL (%d bytes)", path, len(u))
	}
	return secret.New(u), nil
}

// cleanPackageURI strips whitespace and the stray quotes MDE may wrap the
// URL in (the documented reply is "\"https://…\"").
func cleanPackageURI(s string) string {
	s = strings.TrimSpace(s)
	for len(s) >= 1 && (s[0] == '"' || s[len(s)-1] == '"') {
		if uq, err := strconv.Unquote(s); err == nil {
			s = strings.TrimSpace(uq)
			continue
		}
		s = strings.TrimSpace(strings.Trim(s, `"`))
	}
	return s
}

// Offboarded reports whether m is offboarded from MDE, returning the
// Succeeded Offboard action that did it. No machine property says so
// (onboardingStatus keeps describing how the device was onboarded), so it
// is read from the machine's actions: an Offboard that succeeded after
// m's last full report (lastSeen). MDE still accepts actions for an
// offboarded machine, but nothing runs them.
//
// MDE: GET /api/machineactions?$filter=machineId eq '…' and type eq 'Offboard' and status eq 'Succeeded'.
func (s *ActionsService) Offboarded(ctx context.Context, m Machine) (MachineAction, bool, error) {
	id, err := ParseMachineID(string(m.ID))
	if err != nil {
		return MachineAction{}, false, err
	}
	list, err := s.List(ctx, ActionFilter{MachineID: id, Types: []ActionType{ActionOffboard}, Statuses: []ActionStatus{StatusSucceeded}}, ListOptions{})
	if err != nil {
		return MachineAction{}, false, err
	}
	var last MachineAction
	found := false
	for _, a := range list {
		done := a.LastUpdateDateTimeUTC
		if done.IsZero() {
			done = a.CreationDateTimeUTC
		}
		if done.After(m.LastSeen) && (!found || done.After(last.LastUpdateDateTimeUTC)) {
			last, found = a, true
		}
	}
	return last, found, nil
}
