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
		add(c.targetWords()...)
	case VerbScan:
		add(c.targetWords()...)
		add(wordFor(scanTypes(), c.ScanType))
	case VerbIsolate:
		add(c.targetWords()...)
		add(wordFor(isolationTypes(), c.IsolationType))
	case VerbQuarantine:
		add(c.targetWords()...)
		add(c.Hash)
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

// targetWords prints c's targets. Several are one comma list ended by
// "--", so that no target is read as a type word or a SHA-1 and nothing
// after them as a target. One is printed alone, followed by "--" only
// when the words after it would otherwise be read differently.
func (c Command) targetWords() []string {
	if len(c.Targets) > 1 {
		ws := make([]string, len(c.Targets))
		for i, t := range c.Targets {
			ws[i] = t.String()
		}
		return []string{strings.Join(ws, ","), endOfTargets}
	}
	if c.needsEndOfTargets() {
		return []string{c.Target.String(), endOfTargets}
	}
	return []string{c.Target.String()}
}

// needsEndOfTargets reports whether a single target must be followed by
// "--": when its reason would otherwise continue a comma list, lengthen
// the targets up to a "--" or --break-glass in it, start with a tag: or
// group: (refused as malformed when it is), or, in quarantine, make the
// SHA-1 ambiguous.
func (c Command) needsEndOfTargets() bool {
	if c.BreakGlass {
		// --break-glass follows the target or the hash and ends both.
		return false
	}
	reason := strings.Fields(slackEscaper.Replace(c.Reason))
	if len(reason) == 0 {
		return false
	}
	switch c.Verb {
	case VerbQuarantine:
		if isSHA1Word(reason[0]) {
			return true
		}
		for _, w := range reason {
			if isEndOfTargets(w) {
				return true
			}
		}
	case VerbUnisolate, VerbRestrict, VerbUnrestrict, VerbCollect, VerbOffboard:
		if _, _, set := cutSetPrefix(reason[0]); set || strings.HasPrefix(reason[0], ",") {
			return true
		}
		for _, w := range reason {
			if isEndOfTargets(w) || isBreakGlass(w) {
				return true
			}
		}
	}
	return false
}
