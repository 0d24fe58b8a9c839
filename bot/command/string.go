package command

import "strings"

// String returns c as canonical /mde text (without "/mde"): lower-case
// verb, every option explicit, the reason escaped as Slack would send it.
// Parse(c.String()) returns c for every c that Parse returned.
func (c Command) String() string {
	parts := []string{string(c.Verb)}
	add := func(s ...string) {
		for _, w := range s {
			if w != "" {
				parts = append(parts, w)
			}
		}
	}
	switch c.Verb {
	case VerbMachine, VerbUnisolate, VerbRestrict, VerbUnrestrict, VerbCollect, VerbOffboard:
		add(c.Target.Value)
	case VerbScan:
		add(c.Target.Value, wordFor(scanTypes(), c.ScanType))
	case VerbIsolate:
		add(c.Target.Value, wordFor(isolationTypes(), c.IsolationType))
	case VerbQuarantine:
		add(c.Target.Value, c.Hash)
	case VerbBlock, VerbUnblock:
		add(c.Hash)
	case VerbStatus, VerbCancel:
		add(c.ID)
	case VerbExport:
		if c.Filter.Since != 0 {
			add("--since", FormatSince(c.Filter.Since))
		}
		if c.Format != "" {
			add("--format", c.Format)
		}
	case VerbHistory:
		f := c.Filter
		add(c.Target.Value)
		if f.UserID != "" {
			add("<@" + f.UserID + ">")
		}
		if f.UserName != "" {
			add("@" + f.UserName)
		}
		if f.Since != 0 {
			add("--since", FormatSince(f.Since))
		}
		if !f.From.IsZero() {
			add("--from", formatWhen(f.From, false))
		}
		if !f.To.IsZero() {
			add("--to", formatWhen(f.To, true))
		}
		if f.Kind != "" {
			add("--kind", string(f.Kind))
		}
		if f.Outcome != "" {
			add("--outcome", string(f.Outcome))
		}
		if f.BreakGlass {
			add("--break-glass")
		}
	}
	if c.BreakGlass {
		add("--break-glass")
	}
	add(slackEscaper.Replace(c.Reason))
	return strings.Join(parts, " ")
}
