package secret

import (
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Value prints as.
const Redacted = "[redacted]"

// Value holds a credential. Every way of printing it (String, GoString,
// Format with any verb, LogValue, MarshalJSON, MarshalText) yields
// [Redacted]; only Reveal returns the value. The zero Value is empty.
//
// The value sits behind a pointer, so even where fmt cannot call Format (a
// Value in an unexported struct field, printed by reflection) it prints an
// address, never the credential.
type Value struct {
	v *string
}

var (
	_ fmt.Stringer           = Value{}
	_ fmt.Formatter          = Value{}
	_ fmt.GoStringer         = Value{}
	_ slog.LogValuer         = Value{}
	_ json.Marshaler         = Value{}
	_ encoding.TextMarshaler = Value{}
)

// New wraps s.
func New(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{v: &s}
}

// Reveal returns the secret value. Call it only where the value is used,
// never to print it.
func (s Value) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the secret is empty.
func (s Value) IsZero() bool { return s.v == nil || *s.v == "" }

// String returns [Redacted].
func (s Value) String() string { return Redacted }

// GoString returns [Redacted], so %#v does not show the value either.
func (s Value) GoString() string { return Redacted }

// Format prints [Redacted] whatever the verb and flags (%d and %x too).
func (s Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue makes log/slog print [Redacted], with the text and the JSON
// handler alike.
func (s Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON encodes the secret as the JSON string "[redacted]".
func (s Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes the secret as [Redacted], for encoders that prefer
// text (YAML, encoding/json map keys, slog's text handler).
func (s Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
