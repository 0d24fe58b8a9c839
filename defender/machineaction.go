package defender

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

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
// 7 fractional digits (or none, or no zone) and an errorHResult sent as a
// string.
func (a *MachineAction) UnmarshalJSON(b []byte) error {
	type plain MachineAction
	aux := struct {
		*plain
		Created      jsonTime `json:"creationDateTimeUtc"`
		Updated      jsonTime `json:"lastUpdateDateTimeUtc"`
		Cancelled    jsonTime `json:"cancellationDateTimeUtc"`
		ErrorHResult flexInt  `json:"errorHResult"`
		// The docs spell it externalID.
		ExternalIDDoc *string `json:"externalID"`
	}{
		plain:        (*plain)(a),
		Created:      jsonTime{&a.CreationDateTimeUTC},
		Updated:      jsonTime{&a.LastUpdateDateTimeUTC},
		Cancelled:    jsonTime{&a.CancellationDateTimeUTC},
		ErrorHResult: flexInt{&a.ErrorHResult},
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if a.ExternalID == "" && aux.ExternalIDDoc != nil {
		a.ExternalID = *aux.ExternalIDDoc
	}
	return nil
}

// ActionsService runs machine actions and reads their status.
type ActionsService struct{ c *Client }

// Get returns the machine action with id (a GUID).
//
// MDE: GET /api/machineactions/{id}.
func (s *ActionsService) Get(ctx context.Context, id string) (MachineAction, error) {
	if !isGUID(id) {
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
// MDE: GET /api/machineactions?$filter=id eq '…' or ….
func (s *ActionsService) Statuses(ctx context.Context, ids []string) (map[string]MachineAction, error) {
	out := make(map[string]MachineAction, len(ids))
	seen := make(map[string]bool, len(ids))
	var chunk []string
	encoded := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		list, err := s.List(ctx, ActionFilter{IDs: chunk}, ListOptions{PageSize: len(chunk), Limit: len(chunk)})
		chunk, encoded = chunk[:0], 0
		for _, a := range list {
			out[strings.ToLower(a.ID)] = a
		}
		return err
	}
	for _, id := range ids {
		id = strings.ToLower(id)
		if !isGUID(id) {
			return out, fmt.Errorf("defender: %q is not a machine action id (a GUID)", truncate(id, 64))
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		// "id eq '<36>' or " encodes to about 60 bytes.
		cost := len(url.QueryEscape("id eq '" + id + "' or "))
		if len(chunk) == MaxIDsPerStatusCall || encoded+cost > maxStatusFilterEncoded {
			if err := flush(); err != nil {
				return out, err
			}
		}
		chunk = append(chunk, id)
		encoded += cost
	}
	return out, flush()
}

// PackageURI returns the download URL of a finished investigation package
// collection. The URL is a bearer credential and comes wrapped in a
// [secret.Value]. ErrNotFound means the collection has not succeeded (yet).
//
// MDE: GET /api/machineactions/{id}/getPackageUri (2 calls/min, 120/h).
func (s *ActionsService) PackageURI(ctx context.Context, actionID string) (secret.Value, error) {
	if !isGUID(actionID) {
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
