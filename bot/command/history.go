package command

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/internal/suggest"
)

// The history options.
const (
	optSince   = "since"
	optFrom    = "from"
	optTo      = "to"
	optKind    = "kind"
	optOutcome = "outcome"
	// optBreakGlass takes no value: on history it keeps break-glass
	// requests; on an action it asks for break-glass.
	optBreakGlass = "break-glass"
)

// history parses history's optional subject and --options into c.
func (p *parser) history(c *Command) error {
	f := &c.Filter
	seen := map[string]bool{}
	subject := false
	for len(p.words) > 0 {
		w, _ := p.next()
		if opt, ok := cutOptionPrefix(w); ok {
			if name, _, hasVal := strings.Cut(opt, "="); strings.EqualFold(name, optBreakGlass) {
				if hasVal {
					return p.errorf("--%s takes no value", optBreakGlass)
				}
				f.BreakGlass = true
				continue
			}
			name, val, err := p.flag(w, opt, []string{optSince, optFrom, optTo, optKind, optOutcome, optBreakGlass}, seen)
			if err != nil {
				return err
			}
			if err := p.historyOption(f, name, val); err != nil {
				return err
			}
			continue
		}
		if subject {
			return p.errorf("unexpected %q: give one machine or one user", clip(w))
		}
		subject = true
		if err := p.historySubject(c, w); err != nil {
			return err
		}
	}
	if seen[optSince] && seen[optFrom] {
		return p.errorf("give --since or --from, not both")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return p.errorf("--from must be before --to")
	}
	return nil
}

// flag reads the option word w (opt is w without its "--"): --name=value,
// or --name with its value in the next word. It refuses a name not among
// names (suggesting the closest), a repeated one (seen records those read)
// and a missing value. history and export read their options with it.
func (p *parser) flag(w, opt string, names []string, seen map[string]bool) (name, val string, err error) {
	name, val, hasVal := strings.Cut(opt, "=")
	name = strings.ToLower(name)
	if !slices.Contains(names, name) {
		msg := fmt.Sprintf("unknown option %q", clip(w))
		if s := suggest.Closest(name, names, 2); s != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", s)
		}
		return "", "", p.errorf("%s", msg)
	}
	if seen[name] {
		return "", "", p.errorf("--%s is given twice", name)
	}
	seen[name] = true
	if !hasVal {
		if val, hasVal = p.next(); !hasVal {
			return "", "", p.errorf("--%s needs a value", name)
		}
	}
	return name, val, nil
}

// cutOptionPrefix strips a leading "--" from w; smart punctuation turns
// "--" into an em dash, accepted too.
func cutOptionPrefix(w string) (string, bool) {
	if rest, ok := strings.CutPrefix(w, "--"); ok {
		return rest, true
	}
	return strings.CutPrefix(w, "—")
}

// historySubject parses history's machine or user.
func (p *parser) historySubject(c *Command, w string) error {
	switch {
	case strings.HasPrefix(w, "<@"):
		id, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(w, "<@"), ">"), "|")
		if !strings.HasSuffix(w, ">") || !isUserID(id) {
			return p.errorf("%q is not a user mention", clip(w))
		}
		c.Filter.UserID = id
	case strings.HasPrefix(w, "@"):
		name := w[1:]
		if name == "" || len(name) > 80 || !validUserName(name) {
			return p.errorf("%q is not a user name", clip(w))
		}
		c.Filter.UserName = name
	default:
		t, err := parseTarget(w)
		if err != nil {
			return p.errorf("%v", err)
		}
		c.Target = t
	}
	return nil
}

// isUserID reports whether s is a Slack user id: U or W, then upper-case
// letters and digits.
func isUserID(s string) bool {
	if len(s) < 3 || len(s) > 21 || s[0] != 'U' && s[0] != 'W' {
		return false
	}
	return isIDTail(s)
}

// isIDTail reports whether s goes on, after its first byte, with
// upper-case letters and digits only.
func isIDTail(s string) bool {
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validUserName accepts Slack user names: letters, digits, '.', '_' and '-'.
func validUserName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// historyOption parses one --option's value into f.
func (p *parser) historyOption(f *HistoryFilter, name, val string) error {
	switch name {
	case optSince:
		d, err := parseSince(val)
		if err != nil {
			return p.errorf("--since: %v", err)
		}
		f.Since = d
	case optFrom, optTo:
		t, err := parseWhen(val, name == optTo)
		if err != nil {
			return p.errorf("--%s: %v", name, err)
		}
		if name == optFrom {
			f.From = t
		} else {
			f.To = t
		}
	case optKind:
		v, ok := LookupVerb(val)
		if !ok || !v.IsAction() {
			return p.errorf("--kind: %q is not an action such as isolate or scan", clip(val))
		}
		f.Kind = v
	case optOutcome:
		if o, ok := approvals.ParseOutcome(val); ok {
			f.Outcome = o
			return nil
		}
		var names []string
		for _, known := range approvals.Outcomes() {
			names = append(names, string(known))
		}
		return p.errorf("--outcome: %q is not one of %s", clip(val), strings.Join(names, ", "))
	}
	return nil
}

// maxSince bounds --since to about ten years.
const maxSince = 3650 * 24 * time.Hour

// sinceUnits are the --since units, largest first.
func sinceUnits() []struct {
	suffix string
	unit   time.Duration
} {
	return []struct {
		suffix string
		unit   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}}
}

// parseSince parses a duration such as 30m, 12h, 7d or 2w.
func parseSince(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration such as 30m, 12h, 7d or 2w", clip(s))
	if len(s) < 2 || len(s) > 8 {
		return 0, bad
	}
	suffix := strings.ToLower(s[len(s)-1:])
	for _, u := range sinceUnits() {
		if suffix != u.suffix {
			continue
		}
		digits := s[:len(s)-1]
		if strings.Trim(digits, "0123456789") != "" {
			return 0, bad
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 {
			return 0, bad
		}
		if time.Duration(n) > maxSince/u.unit {
			return 0, fmt.Errorf("%q is more than ten years", clip(s))
		}
		return time.Duration(n) * u.unit, nil
	}
	return 0, bad
}

// FormatSince prints d in the largest unit that divides it.
func FormatSince(d time.Duration) string {
	for _, u := range sinceUnits() {
		if d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.suffix
		}
	}
	return d.String()
}

const dateLayout = "2006-01-02"

// parseWhen parses a date (UTC) or an RFC 3339 time. A date-only --to
// (isTo) means the end of that day: the next midnight.
func parseWhen(s string, isTo bool) (time.Time, error) {
	var t time.Time
	var err error
	if len(s) == len(dateLayout) {
		t, err = time.Parse(dateLayout, s)
		if isTo && err == nil {
			t = t.AddDate(0, 0, 1)
		}
	} else {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:30:00Z)", clip(s))
	}
	if y := t.UTC().Year(); y < 2000 || y > 2999 {
		return time.Time{}, fmt.Errorf("%q is not between the years 2000 and 2999", clip(s))
	}
	return t, nil
}

// formatWhen prints t as parseWhen reads it: a date when it is a UTC
// midnight (the day before, for --to), RFC 3339 otherwise.
func formatWhen(t time.Time, isTo bool) string {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		if isTo {
			u = u.AddDate(0, 0, -1)
		}
		return u.Format(dateLayout)
	}
	return t.Format(time.RFC3339Nano)
}
