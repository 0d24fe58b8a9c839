package defender

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// parseODataString reads an OData string literal at the start of s and
// returns its value and the rest of s after the closing quote.
func parseODataString(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, "'") {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}

var hostileStrings = []string{
	"ws-0042.contoso.local",
	"x' or computerDnsName ne '",
	"'",
	"''",
	"'''",
	"a'b",
	"') or (1 eq 1",
	"x' or startswith(computerDnsName,'",
	"o'brien.contoso.local",
	"ünïcødé",
	"%27 or 1 eq 1",
}

func TestODataStringDoublesQuotesSoTheLiteralNeverClosesEarly(t *testing.T) {
	for _, in := range hostileStrings {
		lit, err := odataString(in)
		if err != nil {
			t.Fatalf("odataString(%q): %v", in, err)
		}
		got, rest, ok := parseODataString(lit)
		if !ok || got != in || rest != "" {
			t.Errorf("odataString(%q) = %s, which parses to %q with %q left over (ok=%v)", in, lit, got, rest, ok)
		}
	}
}

func TestODataStringRefusesWhatCannotBeALiteral(t *testing.T) {
	for _, in := range []string{"", "a\x00b", "line\nbreak", "\xff\xfe", strings.Repeat("a", maxLiteral+1)} {
		if lit, err := odataString(in); err == nil {
			t.Errorf("odataString(%q) = %s, want an error", in, lit)
		}
	}
}

func FuzzODataString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lit, err := odataString(in)
		if err != nil {
			if in != "" && utf8.ValidString(in) && len(in) <= maxLiteral && !strings.ContainsFunc(in, isControl) {
				t.Fatalf("odataString(%q) refused a valid string: %v", in, err)
			}
			return
		}
		got, rest, ok := parseODataString(lit)
		if !ok || rest != "" {
			t.Fatalf("odataString(%q) = %s closes early (rest %q, ok %v)", in, lit, rest, ok)
		}
		if got != in {
			t.Fatalf("odataString(%q) = %s parses back to %q", in, lit, got)
		}
	})
}

func isControl(r rune) bool { return r < 0x20 || 0x7f <= r && r < 0xa0 }

func TestActionFilterBuildsTheODataExpression(t *testing.T) {
	at := time.Date(2026, 1, 23, 20, 10, 40, 878523500, time.UTC)
	tests := []struct {
		name string
		f    ActionFilter
		want string
	}{
		{"the zero filter selects everything", ActionFilter{}, ""},
		{"one id", ActionFilter{IDs: []string{testAction}}, "id eq '" + testAction + "'"},
		{"several ids are or-ed in parentheses", ActionFilter{IDs: []string{testAction, strings.ToUpper(testAction)}},
			"(id eq '" + testAction + "' or id eq '" + testAction + "')"},
		{"pending actions of one type on one machine",
			ActionFilter{MachineID: testMachine, Types: []ActionType{ActionIsolate}, Statuses: []ActionStatus{StatusPending, StatusInProgress}},
			"machineId eq '" + string(testMachine) + "' and type eq 'Isolate' and (status eq 'Pending' or status eq 'InProgress')"},
		{"a requestor with a quote is escaped", ActionFilter{Requestor: "o'brien@contoso.com"}, "requestor eq 'o''brien@contoso.com'"},
		{"creation bounds are unquoted datetimes", ActionFilter{CreatedAfter: at, CreatedBefore: at.Add(time.Hour)},
			"creationDateTimeUtc gt 2026-01-23T20:10:40.8785235Z and creationDateTimeUtc lt 2026-01-23T21:10:40.8785235Z"},
		{"an unknown type is still escaped", ActionFilter{Types: []ActionType{"x' or type ne '"}}, "type eq 'x'' or type ne '''"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Expression()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Expression() =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestActionFilterRefusesMalformedIDs(t *testing.T) {
	for _, f := range []ActionFilter{
		{IDs: []string{"x' or id ne '"}},
		{IDs: []string{"1e5bc9d7e413ddd7902c2932e418702b84d0cc07"}},
		{MachineID: "x' or machineId ne '"},
		{Requestor: "a\nb"},
	} {
		if got, err := f.Expression(); err == nil {
			t.Errorf("%+v.Expression() = %q, want an error", f, got)
		}
	}
}
