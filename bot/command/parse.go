package command

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/internal/suggest"
	"github.com/mdebot/mdebot/mde"
)

// MaxCommandText is the longest /mde text, in characters, Parse
// accepts.
const MaxCommandText = 4000

// Verb is the first word of an /mde command, in canonical lower case.
type Verb string

// The /mde verbs. "release" is accepted as an alias of VerbUnisolate.
const (
	VerbHelp       Verb = "help"
	VerbMachine    Verb = "machine"
	VerbScan       Verb = Verb(approvals.KindScan)
	VerbIsolate    Verb = Verb(approvals.KindIsolate)
	VerbUnisolate  Verb = Verb(approvals.KindUnisolate)
	VerbRestrict   Verb = Verb(approvals.KindRestrict)
	VerbUnrestrict Verb = Verb(approvals.KindUnrestrict)
	VerbCollect    Verb = Verb(approvals.KindCollect)
	VerbQuarantine Verb = Verb(approvals.KindQuarantine)
	VerbBlock      Verb = Verb(approvals.KindBlock)
	VerbUnblock    Verb = Verb(approvals.KindUnblock)
	VerbOffboard   Verb = Verb(approvals.KindOffboard)
	VerbStatus     Verb = "status"
	VerbCancel     Verb = "cancel"
	VerbHistory    Verb = "history"
	VerbExport     Verb = "export"
)

// Verbs lists the verbs in the order HelpText shows them.
func Verbs() []Verb {
	return []Verb{VerbHelp, VerbMachine, VerbScan, VerbIsolate, VerbUnisolate, VerbRestrict, VerbUnrestrict,
		VerbCollect, VerbQuarantine, VerbBlock, VerbUnblock, VerbOffboard, VerbStatus, VerbCancel, VerbHistory, VerbExport}
}

// LookupVerb returns the verb a word names, case-insensitively, aliases
// included.
func LookupVerb(word string) (Verb, bool) {
	w := strings.ToLower(word)
	if w == "release" {
		return VerbUnisolate, true
	}
	for _, v := range Verbs() {
		if string(v) == w {
			return v, true
		}
	}
	return "", false
}

// Kind is the response action kind v requests, and whether it requests
// one: each action verb is named after its approvals.Kind.
func (v Verb) Kind() (approvals.Kind, bool) {
	k := approvals.Kind(v)
	return k, k.Valid()
}

// IsAction reports whether v requests a response action: one that needs a
// reason and goes through the approval policy (whose keys are these verbs).
func (v Verb) IsAction() bool {
	_, ok := v.Kind()
	return ok
}

// Usage returns v's usage line, such as
// "/mde isolate <target> [full|selective|unmanaged] [--break-glass] <reason>". It is plain
// text: escape it before sending it as mrkdwn.
func (v Verb) Usage() string {
	if s, ok := helpFor(v); ok {
		return s.usage
	}
	return "/mde help"
}

// TargetKind says how a Target names a machine.
type TargetKind string

// The kinds of Target.
const (
	TargetMachineID TargetKind = "machine-id" // a 40-hex MDE machine id, lowercased
	TargetName      TargetKind = "name"       // a DNS or short computer name, case kept
	TargetIP        TargetKind = "ip"         // an IPv4 or IPv6 address, canonical form
	// TargetTag is tag:NAME, the machines MDE has with that device tag.
	TargetTag TargetKind = "tag"
	// TargetGroup is group:NAME, the machines of that MDE device group;
	// a NAME of digits may be the group's id (rbacGroupId).
	TargetGroup TargetKind = "group"
)

// Target is a machine (or, for a tag or group, the machines) a command is
// about, as the user named it. For a tag or group, Value is the bare NAME
// (unquoted and unescaped).
type Target struct {
	Kind  TargetKind
	Value string
}

// HistoryFilter narrows /mde history. Zero fields do not filter.
type HistoryFilter struct {
	// UserID is a Slack user id from a mention (<@U…>): their requests only.
	UserID string
	// UserName is a Slack user name from @name: their requests only.
	UserName string
	// Since keeps requests created within this long before now (--since).
	Since time.Duration
	// From keeps requests created at or after this instant (--from).
	From time.Time
	// To keeps requests created before this instant (--to). A date-only
	// --to includes that whole day (UTC), so To is the next midnight.
	To time.Time
	// Kind keeps requests for this action verb (--kind).
	Kind Verb
	// Outcome keeps requests with this outcome (--outcome).
	Outcome approvals.Outcome
	// BreakGlass keeps break-glass requests only (--break-glass).
	BreakGlass bool
}

// Command is a parsed /mde command. Which fields are set depends on Verb:
// Target for machine, history and the machine actions (the first when
// the command names several, so single-target code keeps working);
// Targets whenever Target is; ScanType for scan;
// IsolationType for isolate; Hash and HashType for quarantine, block and
// unblock; ID for status and cancel; Reason for every action (required)
// and cancel (optional); Filter for history.
type Command struct {
	Verb   Verb
	Target Target
	// Targets is every target the command names, in order, duplicates
	// removed: len 1 for a single target (Targets[0] == Target), more for
	// an action naming several machines. machine and offboard take one.
	Targets       []Target
	ScanType      mde.ScanType
	IsolationType mde.IsolationType
	Hash          string
	HashType      mde.HashType
	ID            string
	Reason        string
	// BreakGlass is an action's --break-glass: run it at once, without a
	// second person (for members of slack.break_glass).
	BreakGlass bool
	Filter     HistoryFilter
	// Format is export's --format: FormatCSV, FormatJSON, or "" (CSV).
	Format string
}

// UsageError is a command that cannot be parsed. Its Message is meant for
// the person who typed the command (plain text: escape it for mrkdwn).
type UsageError struct {
	// Verb is the command's verb, or "" when it is missing or unknown.
	Verb Verb
	// Message says what is wrong.
	Message string
}

// Usage returns the usage line of the error's verb, or "/mde help".
func (e *UsageError) Usage() string { return e.Verb.Usage() }

// Error returns the message and, on a second line, the usage.
func (e *UsageError) Error() string { return e.Message + "\nUsage: " + e.Usage() }

// slackUnescaper undoes the escaping Slack applies to the text it sends.
// One pass, so "&amp;lt;" becomes "&lt;" as the user typed it.
var slackUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// slackEscaper applies Slack's escaping of the text it sends, so a command
// prints back (Command.String) as Slack would send it.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Parse parses the text of an /mde slash command, as Slack sends it
// (with &, < and > escaped). Empty text asks for help. It returns a
// *UsageError for any text it cannot accept.
//
// Verbs and options are case-insensitive. In scan and isolate, a word in
// the optional type slot that is not a type starts the reason, unless it
// looks like a misspelt non-default type ("selectve"): that is refused, so
// a typo never silently picks the more disruptive or less thorough default.
func Parse(text string) (Command, error) {
	if n := utf8.RuneCountInString(text); n > MaxCommandText {
		return Command{}, &UsageError{Message: fmt.Sprintf("the command is %d characters long; the limit is %d", n, MaxCommandText)}
	}
	if !utf8.ValidString(text) {
		return Command{}, &UsageError{Message: "the command is not valid UTF-8 text"}
	}
	words := strings.Fields(text)
	if len(words) == 0 {
		return Command{Verb: VerbHelp}, nil
	}
	verb, ok := LookupVerb(words[0])
	if !ok {
		msg := fmt.Sprintf("unknown command %q", clip(words[0]))
		candidates := []string{"release"}
		for _, v := range Verbs() {
			candidates = append(candidates, string(v))
		}
		if s := suggest.Closest(strings.ToLower(words[0]), candidates, 2); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return Command{}, &UsageError{Message: msg + "; /mde help lists the commands"}
	}
	p := &parser{verb: verb, words: words[1:]}
	cmd, err := p.parse()
	if err != nil {
		return Command{}, err
	}
	if cmd.Targets == nil && cmd.Target.Value != "" {
		cmd.Targets = []Target{cmd.Target}
	}
	return cmd, nil
}

// parser consumes the words after the verb.
type parser struct {
	verb  Verb
	words []string
}

func (p *parser) errorf(format string, args ...any) *UsageError {
	return &UsageError{Verb: p.verb, Message: string(p.verb) + ": " + fmt.Sprintf(format, args...)}
}

// next returns the next word, if any.
func (p *parser) next() (string, bool) {
	if len(p.words) == 0 {
		return "", false
	}
	w := p.words[0]
	p.words = p.words[1:]
	return w, true
}

// rest returns the remaining words, joined by single spaces and unescaped.
func (p *parser) rest() string {
	s := slackUnescaper.Replace(strings.Join(p.words, " "))
	p.words = nil
	return s
}

// end refuses words left over.
func (p *parser) end() error {
	if len(p.words) > 0 {
		return p.errorf("unexpected %q", clip(strings.Join(p.words, " ")))
	}
	return nil
}

func (p *parser) parse() (Command, error) {
	c := Command{Verb: p.verb}
	var err error
	switch p.verb {
	case VerbHelp:
		p.words = nil // "help me" is still help
		return c, nil
	case VerbMachine:
		list, err := p.targets(nil)
		if err != nil {
			return Command{}, err
		}
		if c.Target, err = p.single(list); err != nil {
			return Command{}, err
		}
		return c, p.end()
	case VerbScan:
		if err := p.actionTargets(&c, typeWord([]string{"quick", "full"})); err != nil {
			return Command{}, err
		}
		opt, err := p.option("a scan type", []string{"quick", "full"}, "quick")
		if err != nil {
			return Command{}, err
		}
		c.ScanType = scanTypes()[opt]
	case VerbIsolate:
		if err := p.actionTargets(&c, typeWord([]string{"full", "selective", "unmanaged"})); err != nil {
			return Command{}, err
		}
		p.breakGlass(&c)
		opt, err := p.option("an isolation type", []string{"full", "selective", "unmanaged"}, "full")
		if err != nil {
			return Command{}, err
		}
		c.IsolationType = isolationTypes()[opt]
	case VerbUnisolate, VerbRestrict, VerbUnrestrict, VerbCollect:
		if err := p.actionTargets(&c, nil); err != nil {
			return Command{}, err
		}
	case VerbOffboard:
		list, err := p.targets(nil)
		if err != nil {
			return Command{}, err
		}
		if c.Target, err = p.single(list); err != nil {
			return Command{}, err
		}
	case VerbQuarantine:
		// A SHA-1 and a machine id are both 40 hex: the first 40-hex word
		// after the first target ends the targets and is the file, unless
		// "--" ended them first (see quarantineHash).
		list, err := p.targets(isSHA1Word)
		if err != nil {
			return Command{}, err
		}
		c.Target, c.Targets = list.targets[0], list.targets
		p.breakGlass(&c)
		if err := p.quarantineHash(&c, list); err != nil {
			return Command{}, err
		}
	case VerbBlock, VerbUnblock:
		if c.Hash, c.HashType, err = p.hash(); err != nil {
			return Command{}, err
		}
	case VerbStatus, VerbCancel:
		if c.ID, err = p.id(); err != nil {
			return Command{}, err
		}
		if p.verb == VerbStatus {
			return c, p.end()
		}
		c.Reason = p.rest()
		return c, nil
	case VerbHistory:
		if err := p.history(&c); err != nil {
			return Command{}, err
		}
		return c, nil
	case VerbExport:
		if err := p.export(&c); err != nil {
			return Command{}, err
		}
		return c, nil
	}
	// Every action verb ends with its reason, after --break-glass if any.
	p.breakGlass(&c)
	if c.Reason = p.rest(); c.Reason == "" {
		return Command{}, p.errorf("a reason is required: say why; it is shown on the card and kept in the audit log")
	}
	return c, nil
}

// breakGlass consumes --break-glass (or —break-glass) if it comes next.
func (p *parser) breakGlass(c *Command) {
	if len(p.words) == 0 {
		return
	}
	if opt, ok := cutOptionPrefix(p.words[0]); ok && strings.EqualFold(opt, optBreakGlass) {
		c.BreakGlass = true
		p.words = p.words[1:]
	}
}

// option consumes the optional type word after a target if it is one of
// names (case-insensitively) and returns it in lower case, or returns def
// and leaves the word to the reason. See Parse for misspellings.
func (p *parser) option(what string, names []string, def string) (string, error) {
	if len(p.words) == 0 {
		return def, nil
	}
	w := strings.ToLower(p.words[0])
	for _, n := range names {
		if w == n {
			p.words = p.words[1:]
			return w, nil
		}
	}
	var others []string
	for _, n := range names {
		if n != def {
			others = append(others, n)
		}
	}
	if s := suggest.Closest(w, others, 2); s != "" {
		return "", p.errorf("%q is not %s (did you mean %q?); to start the reason with %q, give the type before it",
			clip(p.words[0]), what, s, clip(p.words[0]))
	}
	return def, nil
}

// parseTarget recognises a machine id, an IP address or a machine name.
func parseTarget(w string) (Target, error) {
	// 32 to 40 hex digits are an id (Microsoft's own examples use both
	// lengths); anything else is a name.
	if id, err := mde.ParseMachineID(w); err == nil {
		return Target{Kind: TargetMachineID, Value: string(id)}, nil
	}
	if looksLikeIP(w) {
		addr, err := netip.ParseAddr(w)
		if err != nil || addr.Zone() != "" {
			return Target{}, fmt.Errorf("%q is not a valid IP address", clip(w))
		}
		return Target{Kind: TargetIP, Value: addr.String()}, nil
	}
	if !validName(w) {
		return Target{}, fmt.Errorf("%q is not a valid target: use a machine name (letters, digits, -, . and _), an IP address or a machine id (32 to 40 hexadecimal characters)", clip(w))
	}
	return Target{Kind: TargetName, Value: w}, nil
}

// looksLikeIP reports whether s is meant as an IP address: digits and dots
// with a dot, or hex digits, dots and colons (and a %zone) with a colon.
func looksLikeIP(s string) bool {
	if strings.Trim(s, "0123456789.") == "" {
		return strings.Contains(s, ".")
	}
	addr, _, _ := strings.Cut(s, "%")
	return strings.Contains(addr, ":") && strings.Trim(addr, "0123456789abcdefABCDEF:.") == ""
}

// validName accepts DNS and short computer names: ASCII letters, digits,
// '-', '.' and '_', at most 255, starting with a letter or digit, with no
// empty labels.
func validName(s string) bool {
	if s == "" || len(s) > 255 || !isAlnum(s[0]) || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// hash consumes a required file hash.
func (p *parser) hash() (string, mde.HashType, error) {
	w, ok := p.next()
	if !ok {
		return "", "", p.errorf("a file hash is required: the SHA-1 (40 hexadecimal characters) or SHA-256 (64)")
	}
	h, typ, err := mde.ParseFileHash(w)
	if err != nil {
		return "", "", p.errorf("%q is not a SHA-1 or SHA-256 file hash", clip(w))
	}
	return h, typ, nil
}

// id consumes a required request or action id.
func (p *parser) id() (string, error) {
	w, ok := p.next()
	if !ok {
		return "", p.errorf("a request or action id is required")
	}
	if !isRequestID(w) && !mde.IsActionID(w) {
		return "", p.errorf("%q is not a request or action id: a request id looks like R-20261123-0007, a Defender action id is a GUID", clip(w))
	}
	return w, nil
}

// isRequestID reports whether s looks like an mdebot request id: "R-",
// then letters, digits and dashes, 64 characters at most.
func isRequestID(s string) bool {
	if len(s) < 3 || len(s) > 64 || !strings.HasPrefix(strings.ToUpper(s), "R-") {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// clip shortens user text quoted in an error message.
func clip(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// scanTypes maps the scan words to Defender's scan types.
func scanTypes() map[string]mde.ScanType {
	return map[string]mde.ScanType{"quick": mde.ScanQuick, "full": mde.ScanFull}
}

// isolationTypes maps the isolation words to Defender's isolation types.
func isolationTypes() map[string]mde.IsolationType {
	return map[string]mde.IsolationType{"full": mde.IsolationFull,
		"selective": mde.IsolationSelective, "unmanaged": mde.IsolationUnmanaged}
}

// wordFor returns the word that maps to v in m, or "".
func wordFor[T comparable](m map[string]T, v T) string {
	for w, t := range m {
		if t == v {
			return w
		}
	}
	return ""
}
