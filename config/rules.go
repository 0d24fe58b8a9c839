package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule is one entry of policy.rules: the machines it matches and the
// approvals (and approvers) it asks for them. Among the rules matching a
// machine the strictest wins: the largest count, and approvers in every
// matching rule's list.
type Rule struct {
	// Name is shown on the card (policy.rules[].name, required).
	Name string
	// Groups are MDE device group names (policy.rules[].group: one name
	// or a list).
	Groups []string
	// Tags are machine tags, any one of which matches (policy.rules[].tag).
	Tags []string
	// OS are OS platforms such as WindowsServer2022 (policy.rules[].os).
	OS []string
	// Exposure are exposure levels: Low, Medium, High (policy.rules[].exposure).
	Exposure []string
	// Risk are risk scores: None, Informational, Low, Medium, High
	// (policy.rules[].risk).
	Risk []string
	// Approvals maps action names to the approvals they need on a
	// matching machine, 0 to MaxApprovals (policy.rules[].approvals).
	Approvals map[string]int
	// Approvers, when set, replace slack.approvers for the listed actions
	// (policy.rules[].approvers).
	Approvers []string
}

// ruleKeys are the keys of one policy.rules entry, in documentation order.
var ruleKeys = []string{"name", "group", "tag", "os", "exposure", "risk", "approvals", "approvers"}

// rules decodes policy.rules, a list of rules.
func (d *decoder) rules(n *yaml.Node) {
	const key = "policy.rules"
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.problemf(n.Line, key, "%s must be a list of rules, not %s", key, describe(n))
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		prefix := key + "[" + strconv.Itoa(i) + "]"
		if item.Kind != yaml.MappingNode {
			d.problemf(item.Line, prefix, "%s must be a mapping (name, group, tag, os, exposure, risk, approvals, approvers), not %s", prefix, describe(item))
			continue
		}
		var r Rule
		seen := map[string]bool{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := resolve(item.Content[j]), resolve(item.Content[j+1])
			path := prefix + "." + k.Value
			if seen[k.Value] {
				d.problemf(k.Line, path, "duplicate key %q", path)
				continue
			}
			seen[k.Value] = true
			switch k.Value {
			case "name":
				d.string(v, path, &r.Name)
			case "group":
				d.names(v, path, &r.Groups)
			case "tag":
				d.names(v, path, &r.Tags)
			case "os":
				d.names(v, path, &r.OS)
			case "exposure":
				d.names(v, path, &r.Exposure)
			case "risk":
				d.names(v, path, &r.Risk)
			case "approvals":
				r.Approvals = map[string]int{}
				d.counts(v, path, r.Approvals)
			case "approvers":
				d.ids(v, path, userID, userIDHint, &r.Approvers)
			default:
				cands := make([]string, len(ruleKeys))
				for c, rk := range ruleKeys {
					cands[c] = prefix + "." + rk
				}
				d.unknown(k.Line, path, "key", cands)
			}
		}
		switch {
		case r.Name == "":
			d.problemf(item.Line, prefix, "%s needs a name, shown on the card", prefix)
		case len(r.Groups)+len(r.Tags)+len(r.OS)+len(r.Exposure)+len(r.Risk) == 0:
			d.problemf(item.Line, prefix, "%s (%s) matches no machine: give a group, tag, os, exposure or risk", prefix, r.Name)
		case len(r.Approvals) == 0:
			d.problemf(item.Line, prefix, "%s (%s) sets no approvals: give approvals such as {isolate: 2}", prefix, r.Name)
		case seen["approvers"] && len(r.Approvers) == 0:
			d.problemf(item.Line, prefix, "%s (%s) has an empty approvers list, so nobody could approve: list approvers or remove the key", prefix, r.Name)
		}
		d.cfg.Policy.Rules = append(d.cfg.Policy.Rules, r)
	}
}

// names decodes one name or a list of names.
func (d *decoder) names(n *yaml.Node, key string, dst *[]string) {
	if isNull(n) {
		return
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		d.problemf(n.Line, key, "%s must be a name or a list of names, not %s", key, describe(n))
		return
	}
	for _, it := range items {
		if s, ok := d.scalar(resolve(it), key, "a name"); ok && strings.TrimSpace(s) != "" {
			*dst = append(*dst, strings.TrimSpace(s))
		}
	}
}

// counts decodes a mapping of action name to number of approvals into dst
// (policy.approvals over its defaults, a rule's approvals).
func (d *decoder) counts(n *yaml.Node, key string, dst map[string]int) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.problemf(n.Line, key, "%s must be a mapping of action to number of approvals, not %s", key, describe(n))
		return
	}
	var candidates []string
	for _, a := range Actions() {
		candidates = append(candidates, key+"."+a)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		path := key + "." + k.Value
		if _, known := DefaultApprovals()[k.Value]; k.Kind != yaml.ScalarNode || !known {
			d.unknown(k.Line, path, "action", candidates)
			continue
		}
		if first, dup := d.lines[path]; dup {
			d.problemf(k.Line, path, "duplicate key %q (first set on line %d)", path, first)
			continue
		}
		d.lines[path] = k.Line
		s, ok := d.scalar(v, path, "a number from 0 to 5")
		if !ok {
			continue
		}
		count, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v.Tag != "!!int" || count < 0 || count > MaxApprovals {
			d.problemf(v.Line, path, "%s: %q is not a number from 0 to %d", path, s, MaxApprovals)
			continue
		}
		dst[k.Value] = count
	}
}
