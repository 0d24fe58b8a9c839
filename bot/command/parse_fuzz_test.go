package command

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseCommand checks Parse's invariants on any text: it never
// panics, it fails only with a *UsageError, and a command it accepts
// prints back (String) to text that parses to the same command.
func FuzzParseCommand(f *testing.F) {
	for _, tt := range commandCases() {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %T %v is not a *UsageError", text, err, err)
			}
			return
		}
		printed := c.String()
		if utf8.RuneCountInString(printed) > MaxCommandText && strings.ContainsAny(text, "<>") {
			// Raw < and > (a mention, say) print escaped, as Slack sends
			// them: a command near the limit then prints over it.
			return
		}
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, whose String() %q does not parse: %v", text, c, printed, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("Parse(%q) then String() %q parses differently (-first +second):\n%s", text, printed, diff)
		}
	})
}
