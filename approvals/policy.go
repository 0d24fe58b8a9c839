package approvals

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultTTL is how long a request waits for approval when the policy does
// not say.
const DefaultTTL = 30 * time.Minute

// Policy is the configured approval policy.
//
// Principals are Slack user ids ("U…" or "W…") or user-group ids ("S…");
// a group's members are resolved through [Groups] when needed.
type Policy struct {
	// Approvals is the number of approvals each kind needs. A kind not
	// listed needs [DefaultApprovals].
	Approvals map[Kind]int
	// Requesters may open requests. Empty means anyone.
	Requesters []string
	// Approvers may approve, deny (and withdraw or cancel) requests. It
	// must not be empty when any kind needs an approval.
	Approvers []string
	// Auditors may read the request history, and only they may export it
	// (slack.auditors). Empty means the approvers read the history and
	// nobody exports it.
	Auditors []string
	// Channels are the Slack channel ids requests may be opened from.
	// Empty means any channel.
	Channels []string
	// TTL is how long a request waits for approval; zero means DefaultTTL.
	TTL time.Duration
	// Rules raise or lower the approvals per machine (policy.rules); see
	// [Policy.Evaluate].
	Rules []DeviceRule
	// BreakGlass may run an action alone, in an emergency
	// (slack.break_glass). Empty means nobody.
	BreakGlass []string
	// BreakGlassKinds are the kinds break-glass may run; empty means
	// isolate only. Never offboard.
	BreakGlassKinds []Kind
	// BreakGlassPerDay caps each person's break-glass uses per UTC day;
	// zero means DefaultBreakGlassPerDay.
	BreakGlassPerDay int
	// BreakGlassReviewWithin is how long approvers have to review a
	// break-glass action; zero means DefaultBreakGlassReviewWithin.
	BreakGlassReviewWithin time.Duration
	// EscalateAfter is how long a request may wait undecided before it is
	// escalated (policy.escalate_after); zero never escalates.
	EscalateAfter time.Duration
	// MaxMachines caps the machines one request may name
	// (policy.max_machines); zero means DefaultMaxMachines.
	MaxMachines int
	// BulkExtraApprovalOver: a request for more machines than this needs
	// one approval more than its kind (policy.bulk_extra_approval_over);
	// zero means DefaultBulkExtraApprovalOver.
	BulkExtraApprovalOver int
}

// MaxTargets is the most machines one request may name.
func (p Policy) MaxTargets() int {
	if p.MaxMachines > 0 {
		return p.MaxMachines
	}
	return DefaultMaxMachines
}

func (p Policy) bulkExtraOver() int {
	if p.BulkExtraApprovalOver > 0 {
		return p.BulkExtraApprovalOver
	}
	return DefaultBulkExtraApprovalOver
}

// Groups resolves a Slack user group to its members' user ids. The bot
// implements it (with a cache) on top of usergroups.users.list.
type Groups interface {
	Members(ctx context.Context, groupID string) ([]string, error)
}

// Required returns the number of approvals kind k needs.
func (p Policy) Required(k Kind) int {
	if n, ok := p.Approvals[k]; ok {
		return n
	}
	return DefaultApprovals(k)
}

// ttl returns the effective approval window.
func (p Policy) ttl() time.Duration {
	if p.TTL == 0 {
		return DefaultTTL
	}
	return p.TTL
}

// Validate reports the first problem with p: an unknown kind, a negative
// count, a principal that is not a Slack user or group id, a negative TTL,
// or approvals needed with no approvers configured.
func (p Policy) Validate() error {
	bad := func(format string, a ...any) error {
		return &Error{Code: CodeInvalidPolicy, Msg: "policy: " + fmt.Sprintf(format, a...)}
	}
	for k, n := range p.Approvals {
		if !k.Valid() {
			return bad("unknown action kind %q in approvals", k)
		}
		if n < 0 || n > 10 {
			return bad("%s needs %d approvals; want 0 to 10", k, n)
		}
	}
	for _, list := range []struct {
		name string
		ids  []string
	}{{"requesters", p.Requesters}, {"approvers", p.Approvers}, {"auditors", p.Auditors}} {
		for _, id := range list.ids {
			if !isUserID(id) && !IsGroupID(id) {
				return bad("%s: %q is not a Slack user (U…, W…) or user group (S…) id", list.name, id)
			}
		}
	}
	for _, c := range p.Channels {
		if !isSlackID(c, "CGD") {
			return bad("channels: %q is not a Slack channel id (C…, G…, D…)", c)
		}
	}
	if p.TTL < 0 || p.EscalateAfter < 0 {
		return bad("negative approval TTL %s or escalation delay %s", p.TTL, p.EscalateAfter)
	}
	if p.MaxMachines < 0 || p.MaxMachines > 500 {
		return bad("max_machines is %d; want 1 to 500 (0: the default, %d)", p.MaxMachines, DefaultMaxMachines)
	}
	if p.BulkExtraApprovalOver < 0 {
		return bad("bulk_extra_approval_over is %d; want 1 or more (0: the default, %d)", p.BulkExtraApprovalOver, DefaultBulkExtraApprovalOver)
	}
	if err := p.validateRules(); err != nil {
		return err
	}
	if err := p.validateBreakGlass(); err != nil {
		return err
	}
	if len(p.Approvers) == 0 {
		for _, k := range Kinds() {
			if p.Required(k) > 0 {
				return bad("%s needs approval but no approvers are configured", k)
			}
		}
	}
	return nil
}

// UsesGroups reports whether p names any user group.
func (p Policy) UsesGroups() bool {
	for _, r := range p.Rules {
		if slices.ContainsFunc(r.Approvers, IsGroupID) {
			return true
		}
	}
	if slices.ContainsFunc(p.BreakGlass, IsGroupID) {
		return true
	}
	return slices.ContainsFunc(p.Requesters, IsGroupID) || slices.ContainsFunc(p.Approvers, IsGroupID) ||
		slices.ContainsFunc(p.Auditors, IsGroupID)
}

func (p Policy) channelAllowed(ch string) bool {
	return len(p.Channels) == 0 || slices.Contains(p.Channels, ch)
}

func isUserID(s string) bool { return isSlackID(s, "UW") }

// IsGroupID reports whether s is a Slack user-group id (S…) rather than a
// user id (U…, W…): an S, then upper-case letters and digits. It is the one
// test of this for the policy, the bot's renderers and mdebot check.
func IsGroupID(s string) bool { return isSlackID(s, "S") }

// isSlackID reports whether s starts with one of the prefixes and goes on
// with upper-case letters and digits.
func isSlackID(s, prefixes string) bool {
	if len(s) < 3 || len(s) > 32 || !strings.ContainsRune(prefixes, rune(s[0])) {
		return false
	}
	for _, c := range s[1:] {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// member reports whether user is one of principals, directly or through a
// user group.
func member(ctx context.Context, g Groups, principals []string, user string) (bool, error) {
	if slices.Contains(principals, user) {
		return true, nil
	}
	for _, p := range principals {
		if !IsGroupID(p) {
			continue
		}
		if g == nil {
			return false, &Error{Code: CodeGroupLookup, Msg: fmt.Sprintf("policy names user group %s but no group resolver is configured", p)}
		}
		members, err := g.Members(ctx, p)
		if err != nil {
			return false, &Error{Code: CodeGroupLookup, Msg: "members of " + p, Err: err}
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}
