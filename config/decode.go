package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mdebot/mdebot/internal/suggest"
)

// decoder walks the YAML node tree, so that it can report every unknown
// key and bad value with its line instead of stopping at the first.
type decoder struct {
	file     string
	cfg      *Config
	problems Problems
	// lines records the line of each key the file set, by dotted path.
	lines map[string]int
	// fields are the leaf keys, by dotted path.
	fields map[string]func(*yaml.Node)
	// order lists fields' paths in documentation order, for suggestions.
	order []string
}

func newDecoder(file string) *decoder {
	cfg := &Config{
		Slack:    Slack{LookupsPerMinute: DefaultLookupsPerMinute},
		Defender: Defender{PollInterval: DefaultPollInterval},
		Policy: Policy{ApprovalTTL: DefaultApprovalTTL, Approvals: DefaultApprovals(),
			BreakGlassKinds: []string{"isolate"}, BreakGlassPerDay: DefaultBreakGlassPerDay,
			MaxMachines: DefaultMaxMachines, BulkExtraApprovalOver: DefaultBulkExtraApprovalOver,
			BreakGlassReviewWithin: DefaultBreakGlassReviewWithin},
		Log:     Log{Format: LogText, Level: slog.LevelInfo},
		Storage: Storage{Backend: StorageBolt, Etcd: Etcd{Prefix: DefaultEtcdPrefix}},
		HA:      HA{LeaseTTL: DefaultLeaseTTL},
	}
	d := &decoder{file: file, cfg: cfg, lines: map[string]int{}}
	d.fields = map[string]func(*yaml.Node){}
	add := func(path string, set func(*yaml.Node)) {
		d.fields[path] = set
		d.order = append(d.order, path)
	}
	add("storage.backend", d.backend)
	add("storage.path", func(n *yaml.Node) { d.string(n, "storage.path", &cfg.Storage.Path) })
	add("storage.etcd.endpoints", d.endpoints)
	add("storage.etcd.prefix", func(n *yaml.Node) { d.string(n, "storage.etcd.prefix", &cfg.Storage.Etcd.Prefix) })
	add("storage.etcd.tls.ca_file", func(n *yaml.Node) { d.string(n, "storage.etcd.tls.ca_file", &cfg.Storage.Etcd.CAFile) })
	add("storage.etcd.tls.cert_file", func(n *yaml.Node) { d.string(n, "storage.etcd.tls.cert_file", &cfg.Storage.Etcd.CertFile) })
	add("storage.etcd.tls.key_file", func(n *yaml.Node) { d.string(n, "storage.etcd.tls.key_file", &cfg.Storage.Etcd.KeyFile) })
	add("storage.etcd.username", func(n *yaml.Node) { d.string(n, "storage.etcd.username", &cfg.Storage.Etcd.Username) })
	add("slack.channels", func(n *yaml.Node) {
		d.ids(n, "slack.channels", channelID, "a channel id (C… or G…)", &cfg.Slack.Channels)
	})
	add("slack.requesters", func(n *yaml.Node) { d.ids(n, "slack.requesters", userID, userIDHint, &cfg.Slack.Requesters) })
	add("slack.approvers", func(n *yaml.Node) { d.ids(n, "slack.approvers", userID, userIDHint, &cfg.Slack.Approvers) })
	add("slack.auditors", func(n *yaml.Node) { d.ids(n, "slack.auditors", userID, userIDHint, &cfg.Slack.Auditors) })
	add("slack.lookups_per_minute", func(n *yaml.Node) {
		d.count(n, "slack.lookups_per_minute", MaxLookupsPerMinute, &cfg.Slack.LookupsPerMinute)
	})
	add("slack.break_glass", func(n *yaml.Node) { d.ids(n, "slack.break_glass", userID, userIDHint, &cfg.Slack.BreakGlass) })
	add("slack.alert_channel", func(n *yaml.Node) {
		d.id(n, "slack.alert_channel", channelID, "a channel id (C… or G…)", &cfg.Slack.AlertChannel)
	})
	add("slack.escalation", func(n *yaml.Node) {
		d.id(n, "slack.escalation", escalationID, "a user-group id (S…) or a channel id (C… or G…)", &cfg.Slack.Escalation)
	})
	add("defender.poll_interval", func(n *yaml.Node) {
		d.duration(n, "defender.poll_interval", MinPollInterval, &cfg.Defender.PollInterval)
	})
	add("policy.approval_ttl", func(n *yaml.Node) {
		d.duration(n, "policy.approval_ttl", time.Second, &cfg.Policy.ApprovalTTL)
	})
	add("policy.approvals", d.approvals)
	add("policy.break_glass_kinds", d.breakGlassKinds)
	add("policy.break_glass_per_day", func(n *yaml.Node) {
		d.count(n, "policy.break_glass_per_day", MaxBreakGlassPerDay, &cfg.Policy.BreakGlassPerDay)
	})
	add("policy.break_glass_review_within", func(n *yaml.Node) {
		d.duration(n, "policy.break_glass_review_within", time.Minute, &cfg.Policy.BreakGlassReviewWithin)
	})
	add("policy.escalate_after", func(n *yaml.Node) {
		d.duration(n, "policy.escalate_after", 0, &cfg.Policy.EscalateAfter)
	})
	add("policy.rules", d.rules)
	add("policy.max_machines", func(n *yaml.Node) {
		d.count(n, "policy.max_machines", MaxMaxMachines, &cfg.Policy.MaxMachines)
	})
	add("policy.bulk_extra_approval_over", func(n *yaml.Node) {
		d.count(n, "policy.bulk_extra_approval_over", MaxMaxMachines, &cfg.Policy.BulkExtraApprovalOver)
	})
	add("admin.listen", d.listen)
	add("admin.backup_token_file", func(n *yaml.Node) {
		d.string(n, "admin.backup_token_file", &cfg.Admin.BackupTokenFile)
	})
	add("ha.lease_ttl", func(n *yaml.Node) { d.duration(n, "ha.lease_ttl", time.Second, &cfg.HA.LeaseTTL) })
	add("ha.replica_id", func(n *yaml.Node) { d.string(n, "ha.replica_id", &cfg.HA.ReplicaID) })
	add("log.format", d.logFormat)
	add("log.level", d.logLevel)
	return d
}

const userIDHint = "a user id (U… or W…) or a user-group id (S…)"

var (
	channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	userID    = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)
	// escalationID is a user group or a channel.
	escalationID = regexp.MustCompile(`^[SCG][A-Z0-9]{2,20}$`)
)

func (d *decoder) problemf(line int, key, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// decode walks data, setting d.cfg's fields and collecting problems. It
// reports false if data is not YAML at all.
func (d *decoder) decode(data []byte) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		d.problemf(line, "", "%s", msg)
		return false
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return true // an empty file: every key takes its default
	}
	d.mapping(resolve(doc.Content[0]), "")
	return true
}

// yamlErrorLine splits "yaml: line 3: did not find expected key" into 3 and
// "did not find expected key".
func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, tail, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil {
			return n, "invalid YAML: " + tail
		}
	}
	return 0, "invalid YAML: " + msg
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping walks a mapping node whose keys are below prefix ("" at the top).
func (d *decoder) mapping(n *yaml.Node, prefix string) {
	where := prefix
	if where == "" {
		where = "the configuration"
	}
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.problemf(n.Line, prefix, "%s must be a mapping of keys, not %s", where, describe(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.problemf(k.Line, prefix, "a key in %s must be a plain name, not %s", where, describe(k))
			continue
		}
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		if first, dup := d.lines[path]; dup {
			d.problemf(k.Line, path, "duplicate key %q (first set on line %d)", path, first)
			continue
		}
		switch {
		case d.fields[path] != nil:
			d.lines[path] = k.Line
			d.fields[path](v)
		case d.isSection(path):
			d.lines[path] = k.Line
			d.mapping(v, path)
		default:
			d.unknown(k.Line, path, "key", d.known())
		}
	}
}

// isSection reports whether path is a mapping that holds known keys.
func (d *decoder) isSection(path string) bool {
	for _, f := range d.order {
		if strings.HasPrefix(f, path+".") {
			return true
		}
	}
	return false
}

// known lists every key path, sections and actions included, for suggestions.
func (d *decoder) known() []string {
	var keys []string
	seen := map[string]bool{}
	for _, f := range d.order {
		section, _, _ := strings.Cut(f, ".")
		if !seen[section] {
			seen[section] = true
			keys = append(keys, section)
		}
		keys = append(keys, f)
	}
	for _, a := range Actions() {
		keys = append(keys, "policy.approvals."+a)
	}
	return keys
}

// unknown reports an unknown key or action, suggesting the closest known
// one within an edit distance of 2.
func (d *decoder) unknown(line int, path, what string, candidates []string) {
	if s := suggest.Closest(path, candidates, 2); s != "" {
		d.problemf(line, path, "unknown %s %q (did you mean %q?)", what, path, s)
		return
	}
	d.problemf(line, path, "unknown %s %q", what, path)
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a node's kind for a problem message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "this value"
}

// scalar returns the text of a scalar node, or reports a problem.
func (d *decoder) scalar(n *yaml.Node, key, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.problemf(n.Line, key, "%s must be %s, not %s", key, want, describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) string(n *yaml.Node, key string, dst *string) {
	if isNull(n) {
		return
	}
	if s, ok := d.scalar(n, key, "a string"); ok {
		*dst = strings.TrimSpace(s)
	}
}

// ids decodes a list of Slack ids, reporting each malformed one.
func (d *decoder) ids(n *yaml.Node, key string, re *regexp.Regexp, hint string, dst *[]string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.problemf(n.Line, key, "%s must be a list of ids, not %s", key, describe(n))
		return
	}
	ids := []string{}
	for _, item := range n.Content {
		item = resolve(item)
		s, ok := d.scalar(item, key, hint)
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		if !re.MatchString(s) {
			d.problemf(item.Line, key, "%s: %q is not %s", key, s, hint)
			continue
		}
		ids = append(ids, s)
	}
	*dst = ids
}

// id decodes one Slack id.
func (d *decoder) id(n *yaml.Node, key string, re *regexp.Regexp, hint string, dst *string) {
	var s string
	d.string(n, key, &s)
	if s == "" {
		return
	}
	if !re.MatchString(s) {
		d.problemf(n.Line, key, "%s: %q is not %s", key, s, hint)
		return
	}
	*dst = s
}

// breakGlassKinds decodes policy.break_glass_kinds: action names, never
// offboard.
func (d *decoder) breakGlassKinds(n *yaml.Node) {
	const key = "policy.break_glass_kinds"
	if isNull(n) {
		return
	}
	var names []string
	d.names(n, key, &names)
	kinds := []string{}
	for _, a := range names {
		a = strings.ToLower(a)
		switch _, known := DefaultApprovals()[a]; {
		case !known:
			d.unknown(n.Line, a, "action", Actions())
		case a == "offboard":
			d.problemf(n.Line, key, "%s: offboard can never be run by break-glass", key)
		default:
			kinds = append(kinds, a)
		}
	}
	d.cfg.Policy.BreakGlassKinds = kinds
}

// duration decodes a Go duration ("15s", "1m30s") of at least min.
func (d *decoder) duration(n *yaml.Node, key string, min time.Duration, dst *time.Duration) {
	if isNull(n) {
		return
	}
	s, ok := d.scalar(n, key, "a duration such as 15s or 30m")
	if !ok {
		return
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		d.problemf(n.Line, key, "%s: %q is not a duration such as 15s or 30m", key, s)
		return
	}
	if v < min {
		d.problemf(n.Line, key, "%s: %s is below the minimum of %s", key, v, min)
		return
	}
	*dst = v
}

// count decodes a whole number from 0 to max.
func (d *decoder) count(n *yaml.Node, key string, max int, dst *int) {
	if isNull(n) {
		return
	}
	s, ok := d.scalar(n, key, fmt.Sprintf("a number from 0 to %d", max))
	if !ok {
		return
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n.Tag != "!!int" || v < 0 || v > max {
		d.problemf(n.Line, key, "%s: %q is not a number from 0 to %d", key, s, max)
		return
	}
	*dst = v
}

// approvals decodes policy.approvals, a mapping of action to count, over
// the defaults.
func (d *decoder) approvals(n *yaml.Node) {
	d.counts(n, "policy.approvals", d.cfg.Policy.Approvals)
}

func (d *decoder) listen(n *yaml.Node) {
	const key = "admin.listen"
	var s string
	d.string(n, key, &s)
	if s == "" {
		return
	}
	_, port, err := net.SplitHostPort(s)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
		d.problemf(n.Line, key, "%s: %q is not a host:port address such as 127.0.0.1:9464", key, s)
		return
	}
	d.cfg.Admin.Listen = s
}

func (d *decoder) logFormat(n *yaml.Node) {
	const key = "log.format"
	var s string
	d.string(n, key, &s)
	switch f := strings.ToLower(s); f {
	case "":
	case LogText, LogJSON:
		d.cfg.Log.Format = f
	default:
		d.problemf(n.Line, key, "%s: %q is not text or json", key, s)
	}
}

func (d *decoder) logLevel(n *yaml.Node) {
	const key = "log.level"
	var s string
	d.string(n, key, &s)
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
	if s == "" {
		return
	}
	level, ok := levels[strings.ToLower(s)]
	if !ok {
		d.problemf(n.Line, key, "%s: %q is not debug, info, warn or error", key, s)
		return
	}
	d.cfg.Log.Level = level
}

// finish checks what depends on several keys, and applies derived defaults.
func (d *decoder) finish() {
	cfg := d.cfg
	d.finishStorage()
	if len(cfg.Slack.Approvers) == 0 {
		var needing []string
		for _, a := range Actions() {
			if cfg.Policy.Approvals[a] > 0 {
				needing = append(needing, a)
			}
		}
		if len(needing) > 0 {
			d.problemf(d.lines["slack.approvers"], "slack.approvers",
				"slack.approvers is empty, so no one could approve %s: list approvers, or set policy.approvals to 0 for these actions",
				strings.Join(needing, ", "))
		}
	}
	if len(cfg.Slack.Approvers) == 0 {
		for i, r := range cfg.Policy.Rules {
			if len(r.Approvers) > 0 {
				continue
			}
			for _, a := range Actions() {
				if r.Approvals[a] > 0 {
					key := fmt.Sprintf("policy.rules[%d]", i)
					d.problemf(d.lines["policy.rules"], key, "%s (%s) needs approvals for %s but neither the rule nor slack.approvers names approvers", key, r.Name, a)
					break
				}
			}
		}
	}
	if cfg.Policy.MaxMachines == 0 {
		d.problemf(d.lines["policy.max_machines"], "policy.max_machines",
			"policy.max_machines is 0: give 1 to %d (1 keeps every request to one machine)", MaxMaxMachines)
	}
	if cfg.Policy.BulkExtraApprovalOver == 0 {
		d.problemf(d.lines["policy.bulk_extra_approval_over"], "policy.bulk_extra_approval_over",
			"policy.bulk_extra_approval_over is 0: give 1 to %d machines", MaxMaxMachines)
	}
	if cfg.Policy.BreakGlassPerDay == 0 {
		d.problemf(d.lines["policy.break_glass_per_day"], "policy.break_glass_per_day",
			"policy.break_glass_per_day is 0: give 1 to %d; to turn break-glass off, leave slack.break_glass empty", MaxBreakGlassPerDay)
	}
	if len(cfg.Policy.BreakGlassKinds) == 0 && len(cfg.Slack.BreakGlass) > 0 {
		d.problemf(d.lines["policy.break_glass_kinds"], "policy.break_glass_kinds",
			"policy.break_glass_kinds is empty, so slack.break_glass could run nothing: list actions such as [isolate], or leave slack.break_glass empty")
	}
	if cfg.Admin.BackupTokenFile != "" && cfg.Admin.Listen == "" {
		d.problemf(d.lines["admin.backup_token_file"], "admin.backup_token_file",
			"admin.backup_token_file is set but admin.listen is off, so nothing would serve POST /backup: set admin.listen or remove admin.backup_token_file")
	}
	if len(cfg.Slack.Auditors) == 0 {
		cfg.Slack.Auditors = slices.Clone(cfg.Slack.Approvers)
	}
}

func (d *decoder) backend(n *yaml.Node) {
	const key = "storage.backend"
	var s string
	d.string(n, key, &s)
	switch s {
	case "":
	case StorageBolt, StorageEtcd:
		d.cfg.Storage.Backend = s
	default:
		d.problemf(n.Line, key, "%s: %q is not bolt or etcd", key, s)
	}
}

// endpoints decodes storage.etcd.endpoints: a list of http(s) URLs.
func (d *decoder) endpoints(n *yaml.Node) {
	const key = "storage.etcd.endpoints"
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.problemf(n.Line, key, "%s must be a list of URLs, not %s", key, describe(n))
		return
	}
	eps := []string{}
	for _, item := range n.Content {
		item = resolve(item)
		s, ok := d.scalar(item, key, "a URL such as https://etcd-0.etcd:2379")
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		u, err := url.Parse(s)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			d.problemf(item.Line, key, "%s: %q is not an http or https URL such as https://etcd-0.etcd:2379", key, s)
		case u.Scheme == "http" && !loopbackHost(u.Hostname()):
			d.problemf(item.Line, key, "%s: %q must be an https URL: plain http is accepted only for a loopback host, since mdebot sends its etcd credentials and audit log there", key, s)
		case u.User != nil:
			d.problemf(item.Line, key, "%s must not carry credentials in the URL: set storage.etcd.username and %s", key, EnvEtcdPassword)
		default:
			eps = append(eps, s)
		}
	}
	d.cfg.Storage.Etcd.Endpoints = eps
}

// finishStorage checks the keys the chosen backend needs.
func (d *decoder) finishStorage() {
	st := &d.cfg.Storage
	switch st.Backend {
	case StorageBolt:
		if st.Path == "" {
			d.problemf(d.lines["storage.path"], "storage.path", "storage.path is required: the file where mdebot keeps its database")
		}
	case StorageEtcd:
		if d.cfg.HA.LeaseTTL%time.Second != 0 {
			d.problemf(d.lines["ha.lease_ttl"], "ha.lease_ttl", "ha.lease_ttl: %s is not whole seconds (etcd's leases are)", d.cfg.HA.LeaseTTL)
		}
		if d.cfg.HA.ReplicaID == "" {
			d.cfg.HA.ReplicaID, _ = os.Hostname()
		}
		if len(st.Etcd.Endpoints) == 0 {
			d.problemf(d.lines["storage.etcd.endpoints"], "storage.etcd.endpoints",
				"storage.etcd.endpoints is required with storage.backend etcd: etcd's client URLs")
		}
		if !strings.HasPrefix(st.Etcd.Prefix, "/") || !strings.HasSuffix(st.Etcd.Prefix, "/") {
			d.problemf(d.lines["storage.etcd.prefix"], "storage.etcd.prefix",
				"storage.etcd.prefix: %q must start and end with \"/\", such as /mdebot/prod/", st.Etcd.Prefix)
		}
		if (st.Etcd.CertFile == "") != (st.Etcd.KeyFile == "") {
			d.problemf(d.lines["storage.etcd.tls"], "storage.etcd.tls",
				"storage.etcd.tls: a client certificate needs both cert_file and key_file")
		}
	}
}
