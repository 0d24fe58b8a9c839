package approvals

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// MachineFacts are the properties of a machine that policy rules match, as
// MDE reported them when the request was opened. The bot fills them in
// from its machine lookup (Draft.Facts); they are stored on the request,
// so a later decision re-evaluates the policy against the same machine.
type MachineFacts struct {
	Group    string   `json:"group,omitempty"`    // MDE device group (rbacGroupName)
	Tags     []string `json:"tags,omitempty"`     // machine tags (machineTags)
	OS       string   `json:"os,omitempty"`       // OS platform (osPlatform), e.g. WindowsServer2022
	Exposure string   `json:"exposure,omitempty"` // exposure level (exposureLevel): None, Low, Medium, High
	Risk     string   `json:"risk,omitempty"`     // risk score (riskScore): None, Informational, Low, Medium, High
}

// DeviceRule is one entry of policy.rules: the machines it matches and
// what it asks of requests on them.
//
// A rule matches a machine when every criterion it sets holds (Groups,
// Tags, OS, Exposure, Risk; within one criterion, any listed value will
// do; names compare case-insensitively). A rule with no criterion matches
// no machine. It applies to the kinds listed in Approvals only.
type DeviceRule struct {
	// Name is shown on the card ("Tier0-Servers: 2 approvals from …").
	Name     string
	Groups   []string // MDE device group names
	Tags     []string // machine tags; one of them must be on the machine
	OS       []string // OS platforms
	Exposure []string // exposure levels
	Risk     []string // risk scores
	// Approvals is the number of approvals each listed kind needs on a
	// matching machine (0 to 10).
	Approvals map[Kind]int
	// Approvers, when set, are the only principals (users or user groups)
	// whose approval counts for the listed kinds, instead of
	// Policy.Approvers.
	Approvers []string
}

// Matches reports whether r matches a machine with facts f.
func (r DeviceRule) Matches(f MachineFacts) bool {
	if len(r.Groups)+len(r.Tags)+len(r.OS)+len(r.Exposure)+len(r.Risk) == 0 {
		return false
	}
	one := func(want []string, have ...string) bool {
		if len(want) == 0 {
			return true
		}
		for _, w := range want {
			for _, h := range have {
				if strings.EqualFold(w, h) {
					return true
				}
			}
		}
		return false
	}
	return one(r.Groups, f.Group) && one(r.Tags, f.Tags...) && one(r.OS, f.OS) &&
		one(r.Exposure, f.Exposure) && one(r.Risk, f.Risk)
}

// AppliedRule is a matching rule's outcome for one request: its name,
// the approvals it asks for the kind, and its approvers (none: the
// policy's).
type AppliedRule struct {
	Name      string   `json:"name"`
	Required  int      `json:"required"`
	Approvers []string `json:"approvers,omitempty"`
}

// Requirement is what the policy asks of one request: how many approvals,
// and whose approvals count.
type Requirement struct {
	// Required is the number of approvals needed.
	Required int
	// Rules are the matching rules that set the kind's count, in policy
	// order (none: Policy.Approvals and Policy.Approvers apply). An
	// approval counts only from someone in the approvers of every rule
	// that names some.
	Rules []AppliedRule
}

// Why explains the rules' outcome, as the card shows it: "Tier0-Servers:
// 2 approvals from S0IRLEADS"; "" when no rule matched.
func (req Requirement) Why() string { return explain(req.Rules) }

func explain(rules []AppliedRule) string {
	whys := make([]string, len(rules))
	for i, r := range rules {
		whys[i] = fmt.Sprintf("%s: %s", r.Name, plural(r.Required, "approval"))
		if len(r.Approvers) > 0 && r.Required > 0 {
			whys[i] += " from " + strings.Join(r.Approvers, ", ")
		}
	}
	return strings.Join(whys, "; ")
}

// Evaluate returns what the policy asks of a request of kind k on a
// machine with facts f. The strictest matching rule wins: among the rules
// that match f and list k, the largest count applies, and an approver
// must belong to the approvers of every such rule that names some. No
// matching rule leaves Policy.Required(k) and Policy.Approvers.
func (p Policy) Evaluate(k Kind, f MachineFacts) Requirement {
	req := Requirement{Required: p.Required(k)}
	strictest := -1
	for _, r := range p.Rules {
		n, ok := r.Approvals[k]
		if !ok || !r.Matches(f) {
			continue
		}
		req.Rules = append(req.Rules, AppliedRule{Name: r.Name, Required: n, Approvers: slices.Clone(r.Approvers)})
		strictest = max(strictest, n)
	}
	if strictest >= 0 {
		req.Required = strictest
	}
	return req
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// eligible reports whether user may approve (or deny) under req: a member
// of every rule's approver set when rules name some, else one of
// Policy.Approvers.
func (s *Service) eligible(ctx context.Context, req Requirement, user string) (bool, error) {
	named := false
	for _, r := range req.Rules {
		if len(r.Approvers) == 0 {
			continue
		}
		named = true
		ok, err := member(ctx, s.groups, r.Approvers, user)
		if err != nil || !ok {
			return false, err
		}
	}
	if !named {
		return s.IsApprover(ctx, user)
	}
	return true, nil
}

// validateRules reports the first problem with p's rules: no name or a
// duplicate one, no criterion, no kind, an unknown kind, a count out of
// range, a malformed approver, or a contradiction (two rules with the same
// criteria asking different counts of a kind).
func (p Policy) validateRules() error {
	bad := func(format string, a ...any) error {
		return &Error{Code: CodeInvalidPolicy, Msg: "policy: rules: " + fmt.Sprintf(format, a...)}
	}
	seen := map[string]int{}
	for i, r := range p.Rules {
		if strings.TrimSpace(r.Name) == "" {
			return bad("rule %d has no name", i+1)
		}
		if j, dup := seen[r.Name]; dup {
			return bad("rules %d and %d are both named %q", j+1, i+1, r.Name)
		}
		seen[r.Name] = i
		if len(r.Groups)+len(r.Tags)+len(r.OS)+len(r.Exposure)+len(r.Risk) == 0 {
			return bad("%s matches nothing: give a group, tag, os, exposure or risk", r.Name)
		}
		if len(r.Approvals) == 0 {
			return bad("%s sets no approvals for any action", r.Name)
		}
		for k, n := range r.Approvals {
			if !k.Valid() {
				return bad("%s: unknown action kind %q", r.Name, k)
			}
			if n < 0 || n > 10 {
				return bad("%s: %s needs %d approvals; want 0 to 10", r.Name, k, n)
			}
		}
		for _, id := range r.Approvers {
			if !isUserID(id) && !IsGroupID(id) {
				return bad("%s: approvers: %q is not a Slack user (U…, W…) or user group (S…) id", r.Name, id)
			}
		}
		if len(r.Approvers) == 0 && len(p.Approvers) == 0 {
			for k, n := range r.Approvals {
				if n > 0 {
					return bad("%s: %s needs approval but neither the rule nor slack.approvers names approvers", r.Name, k)
				}
			}
		}
		for _, o := range p.Rules[:i] {
			if !sameCriteria(r, o) {
				continue
			}
			for k, n := range r.Approvals {
				if m, ok := o.Approvals[k]; ok && m != n {
					return bad("%s and %s match the same machines but ask %d and %d approvals for %s", o.Name, r.Name, m, n, k)
				}
			}
		}
	}
	return nil
}

// sameCriteria reports whether a and b match by the same criteria.
func sameCriteria(a, b DeviceRule) bool {
	eq := func(x, y []string) bool {
		x, y = lowerSorted(x), lowerSorted(y)
		return slices.Equal(x, y)
	}
	return eq(a.Groups, b.Groups) && eq(a.Tags, b.Tags) && eq(a.OS, b.OS) && eq(a.Exposure, b.Exposure) && eq(a.Risk, b.Risk)
}

func lowerSorted(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	slices.Sort(out)
	return out
}

// RuleGroups returns the device group names p's rules match, each once,
// for mdebot check to compare with the groups MDE knows.
func (p Policy) RuleGroups() []string {
	var gs []string
	for _, r := range p.Rules {
		for _, g := range r.Groups {
			if !slices.ContainsFunc(gs, func(x string) bool { return strings.EqualFold(x, g) }) {
				gs = append(gs, g)
			}
		}
	}
	return gs
}
