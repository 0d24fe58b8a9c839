package config

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/secret"
)

// Config is mdebot's validated configuration. Load and Parse fill every
// field, defaults included; a Config they return needs no further checks.
type Config struct {
	Storage  Storage
	Slack    Slack
	Azure    Azure
	Defender Defender
	Policy   Policy
	Admin    Admin
	Audit    Audit
	Log      Log
	HA       HA
}

// HA is how replicas sharing the etcd backend choose the one that serves.
type HA struct {
	// LeaseTTL is how long a leader that stops renewing its lease (killed,
	// paused, cut off) keeps the leadership (ha.lease_ttl, whole seconds,
	// at least 1s): a standby takes over within about this long.
	LeaseTTL time.Duration
	// ReplicaID names this replica in the election and the logs
	// (ha.replica_id); the host name when unset.
	ReplicaID string
}

// DefaultLeaseTTL is ha.lease_ttl's default.
const DefaultLeaseTTL = 5 * time.Second

// Storage says where mdebot keeps its data.
type Storage struct {
	// Backend is StorageBolt (the default: one process, one file) or
	// StorageEtcd (several replicas sharing etcd) (storage.backend).
	Backend string
	// Path is the bbolt database file (storage.path, required with
	// StorageBolt).
	Path string
	// Etcd is where the etcd backend keeps the data.
	Etcd Etcd
}

// The backends storage.backend accepts.
const (
	StorageBolt = "bolt"
	StorageEtcd = "etcd"
)

// DefaultEtcdPrefix is storage.etcd.prefix's default.
const DefaultEtcdPrefix = "/mdebot/"

// Etcd is the etcd cluster of the etcd backend.
type Etcd struct {
	// Endpoints are etcd's client URLs (storage.etcd.endpoints, required
	// with StorageEtcd): https, or http for a loopback host.
	Endpoints []string
	// Prefix is put before every key mdebot writes (storage.etcd.prefix),
	// so that installations can share a cluster; it ends in "/".
	Prefix string
	// CAFile, CertFile and KeyFile are PEM files (storage.etcd.tls.ca_file,
	// cert_file, key_file): the CA of etcd's certificate, and a client
	// certificate and its key.
	CAFile, CertFile, KeyFile string
	// Username is etcd's user (storage.etcd.username); its password comes
	// from MDEBOT_ETCD_PASSWORD (Password).
	Username string
	// Password is the etcd user's password (MDEBOT_ETCD_PASSWORD).
	Password secret.Value
}

// Slack is the Slack side: who may do what, where, and how to connect.
type Slack struct {
	// Channels are the channel ids (C…, G…) where /mde may be used
	// (slack.channels). Empty means any channel.
	Channels []string
	// Requesters are the user (U…, W…) and user-group (S…) ids that may
	// request actions (slack.requesters). Empty means anyone.
	Requesters []string
	// Approvers are the user and user-group ids that may approve requests
	// (slack.approvers).
	Approvers []string
	// Auditors are the user and user-group ids that may read history
	// (slack.auditors). It defaults to Approvers.
	Auditors []string
	// LookupsPerMinute limits each user's look-ups (/mde machine, status,
	// history and its pages, export, package links): that many at once,
	// then one every minute/LookupsPerMinute (slack.lookups_per_minute,
	// 0 to MaxLookupsPerMinute). 0 means no limit.
	LookupsPerMinute int
	// BreakGlass are the user and user-group ids that may run an action
	// with --break-glass, without a second person (slack.break_glass).
	// Empty means nobody: break-glass is off.
	BreakGlass []string
	// AlertChannel is a channel id (C…, G…) told of every break-glass
	// action (slack.alert_channel); "" for none.
	AlertChannel string
	// Escalation is a user group (S…) or a channel (C…, G…) asked to decide
	// a request nobody decided within Policy.EscalateAfter
	// (slack.escalation).
	Escalation string

	// AppToken is the app-level token for Socket Mode (SLACK_APP_TOKEN, xapp-…).
	AppToken secret.Value
	// BotToken is the bot token for the Web API (SLACK_BOT_TOKEN, xoxb-…).
	BotToken secret.Value
	// APIURL is the Web API base URL, always ending in "/" (SLACK_API_URL).
	APIURL string
}

// Azure is the Entra ID application mdebot authenticates as.
type Azure struct {
	// TenantID is the directory (tenant) id (AZURE_TENANT_ID).
	TenantID string
	// ClientID is the application (client) id (AZURE_CLIENT_ID).
	ClientID string
	// ClientSecret is the client secret (AZURE_CLIENT_SECRET). Exactly one
	// of ClientSecret and CertificatePath is set.
	ClientSecret secret.Value
	// CertificatePath is a PEM file holding the client certificate and its
	// private key (AZURE_CLIENT_CERTIFICATE_PATH).
	CertificatePath string
	// AuthorityHost is the Entra ID login host, an https URL
	// (AZURE_AUTHORITY_HOST).
	AuthorityHost string
}

// Defender is how mdebot talks to Microsoft Defender for Endpoint.
type Defender struct {
	// Cloud is the MDE deployment (MDE_CLOUD; commercial when unset). Its
	// hosts and scope are the defaults of APIURL, Scope and
	// Azure.AuthorityHost; each variable set explicitly wins.
	Cloud defender.Cloud
	// APIURL is the MDE API base URL (MDE_API_URL).
	APIURL string
	// Scope is the OAuth scope requested for MDE tokens (MDE_SCOPE).
	Scope string
	// PollInterval is how often in-flight machine actions are polled
	// (defender.poll_interval).
	PollInterval time.Duration
}

// Policy is the two-person rule.
type Policy struct {
	// ApprovalTTL is how long a request waits for its approvals before it
	// expires (policy.approval_ttl).
	ApprovalTTL time.Duration
	// Approvals maps each action name (see Actions) to the number of
	// approvals it needs, 0 to 5 (policy.approvals). Every action is present.
	Approvals map[string]int
	// BreakGlassKinds are the actions --break-glass may run
	// (policy.break_glass_kinds; default isolate; never offboard).
	BreakGlassKinds []string
	// BreakGlassPerDay caps each person's break-glass actions per UTC day
	// (policy.break_glass_per_day, 1 to 20; default 2).
	BreakGlassPerDay int
	// BreakGlassReviewWithin is how long an approver has to review a
	// break-glass action before it is flagged overdue
	// (policy.break_glass_review_within; default 24h).
	BreakGlassReviewWithin time.Duration
	// EscalateAfter is how long a request may wait undecided before it is
	// posted to slack.escalation (policy.escalate_after); 0 is off.
	EscalateAfter time.Duration
	// Rules set approvals (and approvers) per machine, by device group,
	// tag, OS platform, exposure or risk (policy.rules), in file order.
	Rules []Rule
	// MaxMachines caps the machines one request may name
	// (policy.max_machines, 1 to MaxMaxMachines; default 50).
	MaxMachines int
	// BulkExtraApprovalOver: a request naming more machines than this
	// needs one approval more than its action
	// (policy.bulk_extra_approval_over, 1 or more; default 10).
	BulkExtraApprovalOver int
}

// Admin is the local admin HTTP listener (health, metrics, backup).
type Admin struct {
	// Listen is the host:port to listen on (admin.listen); "" turns it off.
	Listen string
	// BackupTokenFile is the file holding the token POST /backup requires
	// (admin.backup_token_file); "" turns online backup off. The file is
	// read, and its mode checked, by the commands that use it.
	BackupTokenFile string
}

// Audit is the key of the audit log's chain, from the environment only
// (never the file, which may sit beside the database).
type Audit struct {
	// Key is the audit key (MDEBOT_AUDIT_KEY), MinAuditKeyLen characters at
	// least. At most one of Key and KeyFile is set; neither leaves the
	// audit log unkeyed.
	Key secret.Value
	// KeyFile is a file holding the audit key (MDEBOT_AUDIT_KEY_FILE); the
	// commands that open the database read it and check its mode.
	KeyFile string
}

// MinAuditKeyLen is the shortest audit key accepted.
const MinAuditKeyLen = 32

// Log is how mdebot logs.
type Log struct {
	// Format is LogText or LogJSON (log.format).
	Format string
	// Level is the minimum level logged (log.level).
	Level slog.Level
}

// The log formats log.format accepts.
const (
	LogText = "text"
	LogJSON = "json"
)

// Defaults and bounds of the configuration's values.
const (
	DefaultPollInterval = 15 * time.Second
	MinPollInterval     = 100 * time.Millisecond
	DefaultApprovalTTL  = 30 * time.Minute
	// DefaultBreakGlassPerDay and DefaultBreakGlassReviewWithin are the
	// defaults of policy.break_glass_per_day and
	// policy.break_glass_review_within; MaxBreakGlassPerDay the bound of
	// the first.
	DefaultBreakGlassPerDay       = 2
	MaxBreakGlassPerDay           = 20
	DefaultBreakGlassReviewWithin = 24 * time.Hour
	MaxApprovals                  = 5
	// DefaultMaxMachines and DefaultBulkExtraApprovalOver are the defaults
	// of policy.max_machines and policy.bulk_extra_approval_over;
	// MaxMaxMachines the bound of the first.
	DefaultMaxMachines           = 50
	MaxMaxMachines               = 500
	DefaultBulkExtraApprovalOver = 10
	DefaultSlackAPIURL           = "https://slack.com/api/"
	// The defaults of AZURE_AUTHORITY_HOST, MDE_API_URL and MDE_SCOPE are
	// MDE_CLOUD's (defender.Cloud's AuthorityHost, BaseURL and Scope).
)

// The default and the bound of slack.lookups_per_minute.
const (
	DefaultLookupsPerMinute = 20
	MaxLookupsPerMinute     = 6000
)

// Actions returns the action names policy.approvals accepts, in the order
// the documentation lists them.
func Actions() []string {
	return []string{"scan", "collect", "isolate", "unisolate", "restrict", "unrestrict",
		"quarantine", "block", "unblock", "offboard"}
}

// DefaultApprovals returns the number of approvals each action needs when
// policy.approvals does not say: none to scan or collect, two to offboard,
// one for everything else.
func DefaultApprovals() map[string]int {
	return map[string]int{
		"scan": 0, "collect": 0,
		"isolate": 1, "unisolate": 1, "restrict": 1, "unrestrict": 1,
		"quarantine": 1, "block": 1, "unblock": 1,
		"offboard": 2,
	}
}

// Load reads the YAML configuration file at path and the environment
// through getenv (os.Getenv in production), and validates both. A file it
// cannot read is a wrapped I/O error; anything wrong with the contents is
// reported as Problems, all at once.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, getenv)
}

// Parse validates data, the YAML configuration named name in problems,
// and the environment read through getenv. It returns Problems listing
// every problem found, or the complete Config.
func Parse(name string, data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	d := newDecoder(name)
	if d.decode(data) {
		d.finish() // cross-key checks would only add noise to a syntax error
	}
	e := envReader{getenv: getenv, cfg: d.cfg}
	e.read()
	problems := append(d.problems, e.problems...)
	if len(problems) > 0 {
		return nil, problems
	}
	return d.cfg, nil
}

// LoadKeys reads the YAML configuration file at path for a command that
// uses only the named keys (dotted paths such as "storage.path" or
// "admin.listen"): it checks the file's syntax and those keys, including
// whether a required one is missing and unknown keys beside them in their
// section, and ignores every other key and the environment. The offline
// commands use it, so that a file holding only storage.path is enough.
// Problems are reported like Load's.
func LoadKeys(path string, keys ...string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	d := newDecoder(path)
	if d.decode(data) {
		d.finish()
	}
	var problems Problems
	for _, p := range d.problems {
		if concerns(p.Key, keys) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return d.cfg, nil
}

// EnvEtcdPassword names the variable holding the etcd user's password.
const EnvEtcdPassword = "MDEBOT_ETCD_PASSWORD"

// EtcdPassword reads only the etcd password from the environment
// (getenv), for the offline commands; see Etcd.Password.
func EtcdPassword(getenv func(string) string) secret.Value {
	return secret.New(strings.TrimSpace(getenv(EnvEtcdPassword)))
}

// LoadAudit reads only the audit key from the environment (getenv), with
// the checks Load applies to it: for the offline commands, which need no
// other secret. It returns Problems when the key is unusable.
func LoadAudit(getenv func(string) string) (Audit, error) {
	e := envReader{getenv: getenv, cfg: &Config{}}
	e.readAudit()
	if len(e.problems) > 0 {
		return Audit{}, e.problems
	}
	return e.cfg.Audit, nil
}

// concerns reports whether a problem about key matters to a command that
// uses keys: it is about the file as a whole, one of keys, or a section
// holding one of them or a key within such a section.
func concerns(key string, keys []string) bool {
	if key == "" {
		return true
	}
	for _, k := range keys {
		section, _, _ := strings.Cut(k, ".")
		if key == k || key == section || strings.HasPrefix(key, section+".") {
			return true
		}
	}
	return false
}
