package defender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// jsonTime decodes MDE timestamps: RFC 3339 with up to 7 (or more)
// fractional digits, with or without a zone (no zone means UTC), or null.
type jsonTime struct{ t *time.Time }

// timeLayouts are tried in order; Go's fractional-second parsing accepts
// any number of digits after the comma or dot.
var timeLayouts = [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

func (j jsonTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*j.t = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("defender: timestamp %s is not a string", truncate(string(b), 40))
	}
	if s == "" {
		*j.t = time.Time{}
		return nil
	}
	t, err := parseTimestamp(s)
	if err != nil {
		return err
	}
	*j.t = t
	return nil
}

func parseTimestamp(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("defender: %q is not a timestamp", truncate(s, 40))
}

// flexString decodes a JSON string, number or null into a string (MDE's
// numeric ids are documented as strings and sometimes sent as numbers).
type flexString struct{ s *string }

func (f flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f.s = ""
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, f.s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("defender: %s is neither a string nor a number", truncate(string(b), 40))
		}
		*f.s = n.String()
	}
	return nil
}

// flexStrings decodes a JSON array of strings or numbers (or null) into
// strings.
type flexStrings struct{ s *[]string }

func (f flexStrings) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("defender: %s is not a list", truncate(string(b), 40))
	}
	if raw == nil {
		*f.s = nil
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var s string
		if err := (flexString{&s}).UnmarshalJSON(r); err != nil {
			return err
		}
		out = append(out, s)
	}
	*f.s = out
	return nil
}

// flexInt decodes a JSON number, a numeric string or null into an int64.
type flexInt struct{ n *int64 }

func (f flexInt) UnmarshalJSON(b []byte) error {
	var s string
	if err := (flexString{&s}).UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f.n = 0
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return fmt.Errorf("defender: %q is not an integer", truncate(s, 40))
	}
	*f.n = n
	return nil
}

// odataList is the envelope of an OData collection.
type odataList[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}
