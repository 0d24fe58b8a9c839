package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/mdebot/mdebot/internal/suggest"
)

// The export options.
const (
	optFormat = "format"
)

// The export formats /mde export --format accepts.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// DefaultExportSince is how far back /mde export reaches without --since.
const DefaultExportSince = 30 * 24 * time.Hour

// export parses export's --since and --format into c.
func (p *parser) export(c *Command) error {
	seen := map[string]bool{}
	for len(p.words) > 0 {
		w, _ := p.next()
		opt, ok := cutOptionPrefix(w)
		if !ok {
			return p.errorf("unexpected %q: export takes only --since and --format", clip(w))
		}
		name, val, hasVal := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		if name != optSince && name != optFormat {
			msg := fmt.Sprintf("unknown option %q", clip(w))
			if s := suggest.Closest(name, []string{optSince, optFormat}, 2); s != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", s)
			}
			return p.errorf("%s", msg)
		}
		if seen[name] {
			return p.errorf("--%s is given twice", name)
		}
		seen[name] = true
		if !hasVal {
			if val, hasVal = p.next(); !hasVal {
				return p.errorf("--%s needs a value", name)
			}
		}
		if name == optSince {
			d, err := parseSince(val)
			if err != nil {
				return p.errorf("--since: %v", err)
			}
			c.Filter.Since = d
			continue
		}
		switch f := strings.ToLower(val); f {
		case FormatCSV, FormatJSON:
			c.Format = f
		default:
			return p.errorf("--format: %q is not csv or json", clip(val))
		}
	}
	return nil
}
