package command

import (
	"strings"
	"time"
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
		name, val, err := p.flag(w, opt, []string{optSince, optFormat}, seen)
		if err != nil {
			return err
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
