package defender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// IndicatorAction is what MDE does when it meets an indicator's file.
type IndicatorAction string

// The indicator actions mdebot uses.
const (
	IndicatorBlock             IndicatorAction = "Block"
	IndicatorBlockAndRemediate IndicatorAction = "BlockAndRemediate"
)

// Severity is an indicator's alert severity.
type Severity string

// The severities MDE accepts.
const (
	SeverityInformational Severity = "Informational"
	SeverityLow           Severity = "Low"
	SeverityMedium        Severity = "Medium"
	SeverityHigh          Severity = "High"
)

// FileBlock describes a file indicator to create or update.
type FileBlock struct {
	// Hash is the file's SHA-1 or SHA-256 (required).
	Hash string
	// Action is Block (default) or BlockAndRemediate.
	Action IndicatorAction
	// Title and Description are required by MDE.
	Title, Description string
	// Severity of the alerts the indicator raises (optional).
	Severity Severity
	// GenerateAlert asks MDE to raise an alert when the file is seen.
	GenerateAlert bool
	// ExpirationTime, if set, ends the block.
	ExpirationTime time.Time
}

// Indicator is an MDE indicator of compromise.
type Indicator struct {
	ID                   string    `json:"id"`
	IndicatorValue       string    `json:"indicatorValue"`
	IndicatorType        string    `json:"indicatorType"`
	Action               string    `json:"action"`
	Application          string    `json:"application"`
	Source               string    `json:"source"`
	SourceType           string    `json:"sourceType"`
	CreatedBy            string    `json:"createdBy"`
	CreatedByDisplayName string    `json:"createdByDisplayName"`
	CreatedBySource      string    `json:"createdBySource"`
	LastUpdatedBy        string    `json:"lastUpdatedBy"`
	CreationTime         time.Time `json:"creationTimeDateTimeUtc"`
	ExpirationTime       time.Time `json:"expirationTime"`
	LastUpdateTime       time.Time `json:"lastUpdateTime"`
	Severity             string    `json:"severity"`
	Title                string    `json:"title"`
	Description          string    `json:"description"`
	RecommendedActions   string    `json:"recommendedActions"`
	RBACGroupNames       []string  `json:"rbacGroupNames"`
	// RBACGroupIDs are the device group ids, strings as the indicator
	// resource page documents them (numbers are accepted too).
	RBACGroupIDs  []string `json:"rbacGroupIds"`
	GenerateAlert bool     `json:"generateAlert"`
}

// UnmarshalJSON decodes an indicator, tolerating nulls and a numeric id
// or numeric group ids.
func (in *Indicator) UnmarshalJSON(b []byte) error {
	type plain Indicator
	aux := struct {
		*plain
		ID         flexString  `json:"id"`
		GroupIDs   flexStrings `json:"rbacGroupIds"`
		Creation   jsonTime    `json:"creationTimeDateTimeUtc"`
		Expiration jsonTime    `json:"expirationTime"`
		LastUpdate jsonTime    `json:"lastUpdateTime"`
	}{
		plain:      (*plain)(in),
		ID:         flexString{&in.ID},
		GroupIDs:   flexStrings{&in.RBACGroupIDs},
		Creation:   jsonTime{&in.CreationTime},
		Expiration: jsonTime{&in.ExpirationTime},
		LastUpdate: jsonTime{&in.LastUpdateTime},
	}
	return json.Unmarshal(b, &aux)
}

// IndicatorsService blocks and unblocks files with indicators.
type IndicatorsService struct{ c *Client }

// indicatorBody is the camelCase body of POST /api/indicators.
type indicatorBody struct {
	IndicatorValue string `json:"indicatorValue"`
	IndicatorType  string `json:"indicatorType"`
	Action         string `json:"action"`
	Title          string `json:"title"`
	Description    string `json:"description"`
	Severity       string `json:"severity,omitempty"`
	GenerateAlert  bool   `json:"generateAlert"`
	ExpirationTime string `json:"expirationTime,omitempty"`
}

// BlockFile creates or updates (MDE upserts by value) a FileSha1 or
// FileSha256 indicator for b.Hash.
//
// MDE: POST /api/indicators → 200.
func (s *IndicatorsService) BlockFile(ctx context.Context, b FileBlock) (Indicator, error) {
	hash, kind, err := ParseFileHash(b.Hash)
	if err != nil {
		return Indicator{}, err
	}
	if b.Title == "" || b.Description == "" {
		return Indicator{}, errors.New("defender: a file indicator needs a title and a description")
	}
	action := b.Action
	if action == "" {
		action = IndicatorBlock
	}
	if action != IndicatorBlock && action != IndicatorBlockAndRemediate {
		return Indicator{}, fmt.Errorf("defender: indicator action %q is not Block or BlockAndRemediate", truncate(string(action), 32))
	}
	body := indicatorBody{
		IndicatorValue: hash,
		IndicatorType:  "File" + string(kind),
		Action:         string(action),
		Title:          b.Title,
		Description:    b.Description,
		Severity:       string(b.Severity),
		GenerateAlert:  b.GenerateAlert,
	}
	if !b.ExpirationTime.IsZero() {
		body.ExpirationTime = b.ExpirationTime.UTC().Format(time.RFC3339)
	}
	var in Indicator
	_, err = s.c.do(ctx, request{family: FamilyIndicators, method: http.MethodPost, path: "/api/indicators", body: body}, &in)
	return in, err
}

// Delete removes the indicator with id. Deleting an indicator that is
// already gone is not an error.
//
// MDE: DELETE /api/indicators/{id} → 204.
func (s *IndicatorsService) Delete(ctx context.Context, id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("defender: %q is not an indicator id", truncate(id, 64))
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return fmt.Errorf("defender: %q is not an indicator id (a number)", truncate(id, 64))
		}
	}
	_, err := s.c.do(ctx, request{family: FamilyIndicators, method: http.MethodDelete, path: "/api/indicators/" + id}, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// FindByValue returns the indicators whose value is value (e.g. a hash).
//
// MDE: GET /api/indicators?$filter=indicatorValue eq '…'.
func (s *IndicatorsService) FindByValue(ctx context.Context, value string) ([]Indicator, error) {
	lit, err := odataString(value)
	if err != nil {
		return nil, fmt.Errorf("defender: indicator value: %w", err)
	}
	return listAll[Indicator](ctx, s.c, FamilyIndicators, "/api/indicators", "indicatorValue eq "+lit, ListOptions{})
}

// ErrNoBlockIndicator is returned by [IndicatorsService.UnblockFile] when
// it sees no Block or BlockAndRemediate indicator for the hash: nothing
// was changed. With Ti.ReadWrite an app sees only the indicators it
// created itself; Ti.ReadWrite.All shows those created by others too.
var ErrNoBlockIndicator = errors.New("defender: no block indicator for this hash that mdebot can see; with Ti.ReadWrite.All it would see those created by others")

// blocks reports whether an indicator action blocks the file.
func blocks(a string) bool {
	return a == string(IndicatorBlock) || a == string(IndicatorBlockAndRemediate)
}

// UnblockFile deletes the block indicators (Block, BlockAndRemediate) of
// the file with this SHA-1 or SHA-256 and returns how many it deleted;
// Allowed, Audit, Warn and other indicators of the hash stay. When it
// sees none it returns ErrNoBlockIndicator.
func (s *IndicatorsService) UnblockFile(ctx context.Context, hash string) (int, error) {
	h, _, err := ParseFileHash(hash)
	if err != nil {
		return 0, err
	}
	list, err := s.FindByValue(ctx, h)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range list {
		if !blocks(in.Action) || !strings.EqualFold(in.IndicatorValue, h) {
			continue
		}
		if err := s.Delete(ctx, in.ID); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%w (file %s)", ErrNoBlockIndicator, h)
	}
	return n, nil
}
