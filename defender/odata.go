package defender

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mdebot/mdebot/mde"
)

// maxLiteral bounds a user-supplied string placed in an OData literal.
const maxLiteral = 1024

// odataString returns s as an OData string literal: wrapped in single quotes
// with every embedded quote doubled, so the literal can neither close early
// nor change the meaning of the expression around it. It refuses empty,
// overlong and invalid UTF-8 strings and control characters.
func odataString(s string) (string, error) {
	if err := checkLiteral(s); err != nil {
		return "", err
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}

func checkLiteral(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("defender: an empty value cannot be searched for")
	case len(s) > maxLiteral:
		return fmt.Errorf("defender: a value of %d bytes is too long to search for (max %d)", len(s), maxLiteral)
	case !utf8.ValidString(s):
		return fmt.Errorf("defender: %q is not valid UTF-8", truncate(s, 64))
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("defender: %q contains a control character", truncate(s, 64))
		}
	}
	return nil
}

// odataTime formats t as an unquoted OData DateTimeOffset literal.
func odataTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// ActionFilter selects MachineActions by the six fields MDE can filter
// them on. Set fields are combined with "and"; the values of a slice field
// are combined with "or". The zero ActionFilter selects every action.
type ActionFilter struct {
	// IDs selects actions by id (GUIDs).
	IDs []string
	// MachineID selects the actions of one machine.
	MachineID MachineID
	// Types selects action types.
	Types []ActionType
	// Statuses selects statuses, e.g. StatusPending and StatusInProgress.
	Statuses []ActionStatus
	// Requestor selects the actions requested by this identity.
	Requestor string
	// CreatedAfter and CreatedBefore bound creationDateTimeUtc (exclusive);
	// zero means unbounded.
	CreatedAfter, CreatedBefore time.Time
}

// Expression returns the OData $filter expression for f ("" for the zero
// filter), validating and escaping every value.
func (f ActionFilter) Expression() (string, error) {
	var terms []string
	if len(f.IDs) > 0 {
		var ors []string
		for _, id := range f.IDs {
			if !mde.IsActionID(id) {
				return "", fmt.Errorf("defender: %q is not a machine action id (a GUID)", truncate(id, 64))
			}
			ors = append(ors, "id eq '"+strings.ToLower(id)+"'")
		}
		terms = append(terms, group(ors))
	}
	if f.MachineID != "" {
		id, err := ParseMachineID(string(f.MachineID))
		if err != nil {
			return "", err
		}
		terms = append(terms, "machineId eq '"+string(id)+"'")
	}
	if len(f.Types) > 0 {
		var ors []string
		for _, t := range f.Types {
			lit, err := odataString(string(t))
			if err != nil {
				return "", fmt.Errorf("defender: action type: %w", err)
			}
			ors = append(ors, "type eq "+lit)
		}
		terms = append(terms, group(ors))
	}
	if len(f.Statuses) > 0 {
		var ors []string
		for _, s := range f.Statuses {
			lit, err := odataString(string(s))
			if err != nil {
				return "", fmt.Errorf("defender: action status: %w", err)
			}
			ors = append(ors, "status eq "+lit)
		}
		terms = append(terms, group(ors))
	}
	if f.Requestor != "" {
		lit, err := odataString(f.Requestor)
		if err != nil {
			return "", fmt.Errorf("defender: requestor: %w", err)
		}
		terms = append(terms, "requestor eq "+lit)
	}
	if !f.CreatedAfter.IsZero() {
		terms = append(terms, "creationDateTimeUtc gt "+odataTime(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		terms = append(terms, "creationDateTimeUtc lt "+odataTime(f.CreatedBefore))
	}
	return strings.Join(terms, " and "), nil
}

// group parenthesises an "or" of several terms.
func group(ors []string) string {
	if len(ors) == 1 {
		return ors[0]
	}
	return "(" + strings.Join(ors, " or ") + ")"
}
