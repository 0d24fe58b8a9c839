package config

import "log/slog"

// redacted is what a Secret prints as, whichever way it is printed.
const redacted = "[redacted]"

// Secret holds a credential. It prints, logs and marshals as "[redacted]";
// only Reveal returns the value. The zero Secret is empty.
type Secret struct {
	value string
}

// NewSecret wraps value as a Secret.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the secret value, for handing to the client that needs it.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v does not show the value either.
func (s Secret) GoString() string { return redacted }

// LogValue returns "[redacted]", so slog never logs the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]", for encoders that use TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
