package command

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mdebot/mdebot/mde"
)

// MaxSetName is the longest tag or device group name, in characters, a
// tag: or group: target accepts.
const MaxSetName = 200

// The prefixes of the targets that name a set of machines.
const (
	prefixTag   = "tag:"
	prefixGroup = "group:"
)

// endOfTargets is the word that ends a list of targets explicitly:
// "/mde collect ws-1 ws-2 -- the reason". Smart punctuation turns it into
// an em dash, accepted too.
const endOfTargets = "--"

// quotes are the characters that may open or close a quoted tag or group
// name: straight quotes, and the curly ones Slack's clients substitute.
const quotes = "\"“”"

// String returns t as /mde text: a machine's id, IP address or name as
// is; a tag or group as tag:NAME or group:NAME, NAME quoted when it has a
// space or a comma and escaped as Slack sends it.
func (t Target) String() string {
	switch t.Kind {
	case TargetTag, TargetGroup:
		name := slackEscaper.Replace(t.Value)
		if strings.ContainsAny(name, " ,") {
			name = `"` + name + `"`
		}
		return string(t.Kind) + ":" + name
	}
	return t.Value
}

// IsSet reports whether t names a set of machines (a tag or a device
// group) rather than one machine.
func (t Target) IsSet() bool { return t.Kind == TargetTag || t.Kind == TargetGroup }

// isEndOfTargets reports whether w is "--" (or an em dash).
func isEndOfTargets(w string) bool { return w == endOfTargets || w == "—" }

// isBreakGlass reports whether w is --break-glass (or —break-glass).
func isBreakGlass(w string) bool {
	opt, ok := cutOptionPrefix(w)
	return ok && strings.EqualFold(opt, optBreakGlass)
}

// cutSetPrefix strips a leading tag: or group: (any case) from w and
// returns the kind it names.
func cutSetPrefix(w string) (TargetKind, string, bool) {
	for _, k := range []TargetKind{TargetTag, TargetGroup} {
		p := string(k) + ":"
		if len(w) >= len(p) && strings.EqualFold(w[:len(p)], p) {
			return k, w[len(p):], true
		}
	}
	return "", w, false
}

// cutQuote strips a leading quote character from s.
func cutQuote(s string) (string, bool) {
	r, n := utf8.DecodeRuneInString(s)
	if n > 0 && strings.ContainsRune(quotes, r) {
		return s[n:], true
	}
	return s, false
}

// targetList is what parser.targets found.
type targetList struct {
	targets []Target
	// ended says the list was ended by "--", so nothing after it can be
	// read as a target.
	ended bool
}

// targets consumes a command's machines. ends reports the verb's own
// word that ends a space-separated list (its type word, or quarantine's
// SHA-1); it may be nil.
//
// The rule, in order:
//   - The first word is always a target (whatever it looks like).
//   - A comma list starting there goes on while a word ends with a comma
//     or the next starts with one: "ws-1,ws-2, ws-3".
//   - Further space-separated targets are taken only when they end at the
//     verb's type word, at --break-glass or at "--" (which is consumed):
//     "isolate ws-1 ws-2 selective reason", "collect ws-1 ws-2 -- reason".
//   - Otherwise what follows is not a target: only the first word (or
//     comma list) is, and the rest is the reason, as with one machine.
//   - quarantine first looks for "--": every target word before it is a
//     machine, 40 hex or not; without one, its SHA-1 (ends) ends the list.
//
// Duplicates are dropped, keeping the first.
func (p *parser) targets(ends func(string) bool) (targetList, error) {
	if len(p.words) == 0 || isEndOfTargets(p.words[0]) {
		return targetList{}, p.errorf("a target is required: a machine name, an IP address, a machine id, tag:NAME or group:NAME")
	}
	ts, i, comma, err := p.targetWord(0)
	if err != nil {
		return targetList{}, p.errorf("%v", err)
	}
	for comma || i < len(p.words) && strings.HasPrefix(p.words[i], ",") {
		if i >= len(p.words) {
			return targetList{}, p.errorf("a target is required after the comma")
		}
		more, next, c, err := p.targetWord(i)
		if err != nil {
			return targetList{}, p.errorf("%v", err)
		}
		ts, i, comma = append(ts, more...), next, c
	}
	if p.verb == VerbQuarantine && slices.ContainsFunc(p.words[i:], isEndOfTargets) {
		// quarantine's machine ids and SHA-1 look alike: targets up to a
		// "--" are all machines, 40 hex or not.
		if run, j, ok := p.targetRun(i, isEndOfTargets); ok && j < len(p.words) && isEndOfTargets(p.words[j]) {
			p.words = p.words[j+1:]
			return targetList{targets: dedupeTargets(append(ts, run...)), ended: true}, nil
		}
	}
	terminator := func(w string) bool {
		return isEndOfTargets(w) || isBreakGlass(w) || ends != nil && ends(w)
	}
	// Only a terminator can make the words after the first targets; when
	// there is none, they need not be parsed.
	run, j, ok := []Target(nil), i, true
	if slices.ContainsFunc(p.words[i:], terminator) {
		run, j, ok = p.targetRun(i, terminator)
	} else if i < len(p.words) {
		_, _, _, err := p.targetWord(i)
		ok = err == nil
	}
	if !ok {
		// A malformed tag: or group: right after the targets was meant
		// as one: say so rather than read it as the reason.
		if _, _, set := cutSetPrefix(p.words[j]); set && j == i {
			_, _, _, err := p.targetWord(j)
			return targetList{}, p.errorf("%v", err)
		}
	}
	list := targetList{targets: ts}
	if j < len(p.words) && terminator(p.words[j]) {
		list.targets, i = append(list.targets, run...), j
		if isEndOfTargets(p.words[i]) {
			list.ended = true
			i++
		}
	}
	p.words = p.words[i:]
	list.targets = dedupeTargets(list.targets)
	return list, nil
}

// targetRun reads target words from p.words[i] up to a word stop accepts
// or the end. It returns them, the index where it stopped, and false when
// it stopped at a word that is not a target.
func (p *parser) targetRun(i int, stop func(string) bool) ([]Target, int, bool) {
	var run []Target
	for i < len(p.words) && !stop(p.words[i]) {
		more, next, _, err := p.targetWord(i)
		if err != nil {
			return run, i, false
		}
		run, i = append(run, more...), next
	}
	return run, i, true
}

// targetWord parses p.words[i] as one or more comma-separated targets; a
// quoted tag or group name may go on over the following words. It returns
// the targets, the index of the first word it did not use, and whether
// the last word it used ended with a comma.
func (p *parser) targetWord(i int) ([]Target, int, bool, error) {
	var ts []Target
	s, next := p.words[i], i+1
	for s != "" {
		if s[0] == ',' {
			s = s[1:]
			continue
		}
		kind, rest, set := cutSetPrefix(s)
		if !set {
			item, after, _ := strings.Cut(s, ",")
			t, err := parseTarget(item)
			if err != nil {
				return nil, 0, false, err
			}
			ts, s = append(ts, t), after
			continue
		}
		var name string
		if body, quoted := cutQuote(rest); quoted {
			for {
				if k := strings.IndexAny(body, quotes); k >= 0 {
					_, n := utf8.DecodeRuneInString(body[k:])
					name, s = body[:k], body[k+n:]
					break
				}
				if next >= len(p.words) {
					return nil, 0, false, fmt.Errorf("the quote after %s: is not closed", kind)
				}
				body += " " + p.words[next]
				next++
			}
			if s != "" && s[0] != ',' {
				return nil, 0, false, fmt.Errorf("%q: a closing quote must end the %s name", clip(p.words[next-1]), kind)
			}
		} else {
			name, s, _ = strings.Cut(rest, ",")
			if strings.ContainsAny(name, quotes) {
				return nil, 0, false, fmt.Errorf("%q: quote the whole %s name, as %s:\"NAME\"", clip(name), kind, kind)
			}
		}
		t, err := setTarget(kind, name)
		if err != nil {
			return nil, 0, false, err
		}
		ts = append(ts, t)
	}
	return ts, next, strings.HasSuffix(p.words[next-1], ","), nil
}

// setTarget checks a tag or group name, as Slack sent it.
func setTarget(kind TargetKind, name string) (Target, error) {
	name = slackUnescaper.Replace(name)
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) == "":
		return Target{}, fmt.Errorf("%s: needs a name, as %s:NAME (quoted when it has spaces)", kind, kind)
	case n > MaxSetName:
		return Target{}, fmt.Errorf("a %s name of %d characters is longer than %d", kind, n, MaxSetName)
	case strings.ContainsAny(name, quotes):
		return Target{}, fmt.Errorf("%s name %q: a name with a quote cannot be named", kind, clip(name))
	case strings.ContainsFunc(name, unicode.IsControl):
		return Target{}, fmt.Errorf("%s name %q has a control character", kind, clip(name))
	}
	return Target{Kind: kind, Value: name}, nil
}

// dedupeTargets drops repeated targets, keeping the first of each; names
// compare case-insensitively, as DNS names do.
func dedupeTargets(ts []Target) []Target {
	seen := make(map[Target]bool, len(ts))
	out := ts[:0]
	for _, t := range ts {
		key := t
		if t.Kind == TargetName {
			key.Value = strings.ToLower(t.Value)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, t)
		}
	}
	return out
}

// single refuses several machines, a tag or a group for a verb that acts
// on one machine (machine, offboard).
func (p *parser) single(list targetList) (Target, error) {
	if len(list.targets) > 1 {
		return Target{}, p.errorf("%s takes one machine at a time, not %d", p.verb, len(list.targets))
	}
	if t := list.targets[0]; t.IsSet() {
		return Target{}, p.errorf("%s takes one machine at a time: name it by name, IP address or id, not %s:", p.verb, t.Kind)
	}
	return list.targets[0], nil
}

// isSHA1Word reports whether w is 40 hexadecimal characters: a SHA-1, or
// a machine id.
func isSHA1Word(w string) bool {
	if len(w) != 40 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// typeWord returns an ends func for a verb whose targets may be followed
// by one of names (case-insensitively).
func typeWord(names []string) func(string) bool {
	return func(w string) bool {
		for _, n := range names {
			if strings.EqualFold(w, n) {
				return true
			}
		}
		return false
	}
}

// actionTargets consumes the targets of an action that may name several
// machines into c.Target and c.Targets.
func (p *parser) actionTargets(c *Command, ends func(string) bool) error {
	list, err := p.targets(ends)
	if err != nil {
		return err
	}
	c.Target, c.Targets = list.targets[0], list.targets
	return nil
}

// quarantineHash consumes quarantine's SHA-1. When the targets were not
// ended by "--" and the word after the SHA-1 is 40 hex too, which word
// is the file is a guess: refused, with the way to say it.
func (p *parser) quarantineHash(c *Command, list targetList) error {
	var err error
	if c.Hash, c.HashType, err = p.hash(); err != nil {
		return err
	}
	if c.HashType != mde.HashSHA1 {
		return p.errorf("quarantine needs the file's SHA-1 (40 hexadecimal characters); Defender cannot stop and quarantine by SHA-256")
	}
	if !list.ended && len(p.words) > 0 && isSHA1Word(p.words[0]) {
		return p.errorf("%s and %s are both 40 hexadecimal characters (a SHA-1 or a machine id): end the machines with -- and give the file's SHA-1 after it, as /mde quarantine ws-1 %s -- <sha1> <reason>",
			clip(c.Hash), clip(p.words[0]), clip(c.Hash))
	}
	return nil
}
