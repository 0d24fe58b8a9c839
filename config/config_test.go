package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/secret"
)

// secretsEqual lets cmp compare Secrets by value.
var secretsEqual = cmp.Comparer(func(a, b secret.Value) bool { return a.Reveal() == b.Reveal() })

// testEnv is a complete, valid environment; overrides replace or (with "")
// remove variables.
func testEnv(overrides map[string]string) func(string) string {
	env := map[string]string{
		"SLACK_APP_TOKEN":     "xapp-1-A0-secret-app",
		"SLACK_BOT_TOKEN":     "xoxb-1-secret-bot",
		"AZURE_TENANT_ID":     "11111111-2222-3333-4444-555555555555",
		"AZURE_CLIENT_ID":     "66666666-7777-8888-9999-000000000000",
		"AZURE_CLIENT_SECRET": "azure-secret-value",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// minimal is the smallest valid configuration file.
const minimal = `
storage:
  path: /data/mdebot.db
slack:
  approvers: [U0LEAD0001]
`

func TestParseExampleGivesTheDocumentedConfig(t *testing.T) {
	cfg, err := Parse("example.yaml", []byte(Example), testEnv(nil))
	if err != nil {
		t.Fatalf("Parse(Example): %v", err)
	}
	want := &Config{
		Storage: Storage{Backend: StorageBolt, Path: "/var/lib/mdebot/mdebot.db", Etcd: Etcd{
			Endpoints: []string{"https://etcd-0.etcd:2379", "https://etcd-1.etcd:2379", "https://etcd-2.etcd:2379"},
			Prefix:    "/mdebot/prod/",
			CAFile:    "/etc/mdebot/etcd/ca.pem", CertFile: "/etc/mdebot/etcd/client.pem", KeyFile: "/etc/mdebot/etcd/client-key.pem",
			Username: "mdebot",
		}},
		HA: HA{LeaseTTL: 5 * time.Second, ReplicaID: "mdebot-0"},
		Slack: Slack{
			Channels:   []string{"C0SECOPS01"},
			Requesters: []string{"S0SOCTEAM1"},
			Approvers:  []string{"U0LEAD0001", "U0LEAD0002", "S0IRLEADS1"},
			Auditors:   []string{"U0AUDIT001"},
			AppToken:   secret.New("xapp-1-A0-secret-app"),
			BotToken:   secret.New("xoxb-1-secret-bot"),
			APIURL:     "https://slack.com/api/",

			LookupsPerMinute: 20,
			BreakGlass:       []string{"U0LEAD0001"},
			AlertChannel:     "C0SECALERT",
			Escalation:       "S0ONCALL01",
		},
		Azure: Azure{
			TenantID:      "11111111-2222-3333-4444-555555555555",
			ClientID:      "66666666-7777-8888-9999-000000000000",
			ClientSecret:  secret.New("azure-secret-value"),
			AuthorityHost: "https://login.microsoftonline.com",
		},
		Defender: Defender{
			Cloud:        defender.CloudCommercial,
			APIURL:       "https://api.security.microsoft.com",
			Scope:        "https://api.securitycenter.microsoft.com/.default",
			PollInterval: 15 * time.Second,
		},
		Policy: Policy{ApprovalTTL: 30 * time.Minute, Approvals: DefaultApprovals(),
			BreakGlassKinds: []string{"isolate"}, BreakGlassPerDay: 2, BreakGlassReviewWithin: 24 * time.Hour,
			EscalateAfter: 10 * time.Minute, MaxMachines: 50, BulkExtraApprovalOver: 10,
			Rules: []Rule{
				{Name: "Tier0-Servers", Groups: []string{"Tier0-Servers"},
					Approvals: map[string]int{"isolate": 2, "restrict": 2, "offboard": 3}, Approvers: []string{"S0IRLEADS1"}},
				{Name: "VIP", Tags: []string{"VIP"}, Approvals: map[string]int{"isolate": 1, "collect": 1}, Approvers: []string{"S0CISOOFF1"}},
				{Name: "Kiosk", Tags: []string{"Kiosk"}, Approvals: map[string]int{"scan": 0, "isolate": 0}},
				{Name: "Exposed servers", OS: []string{"WindowsServer2019", "WindowsServer2022", "Linux"}, Exposure: []string{"High"},
					Approvals: map[string]int{"isolate": 2}},
			}},
		Admin: Admin{Listen: "127.0.0.1:9464"},
		Log:   Log{Format: LogText, Level: slog.LevelInfo},
	}
	if diff := cmp.Diff(want, cfg, secretsEqual); diff != "" {
		t.Errorf("Parse(Example) mismatch (-want +got):\n%s", diff)
	}
}

func TestParseAppliesDefaults(t *testing.T) {
	cfg, err := Parse("config.yaml", []byte(minimal), testEnv(nil))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"channels default to none, meaning any channel", cfg.Slack.Channels, []string(nil)},
		{"requesters default to none, meaning anyone", cfg.Slack.Requesters, []string(nil)},
		{"auditors default to the approvers", cfg.Slack.Auditors, []string{"U0LEAD0001"}},
		{"each user may make 20 look-ups a minute", cfg.Slack.LookupsPerMinute, 20},
		{"the poll interval defaults to 15s", cfg.Defender.PollInterval, 15 * time.Second},
		{"the approval TTL defaults to 30m", cfg.Policy.ApprovalTTL, 30 * time.Minute},
		{"approvals default per action", cfg.Policy.Approvals, map[string]int{
			"scan": 0, "collect": 0, "isolate": 1, "unisolate": 1, "restrict": 1, "unrestrict": 1,
			"quarantine": 1, "block": 1, "unblock": 1, "offboard": 2}},
		{"break-glass is off: nobody may use it", cfg.Slack.BreakGlass, []string(nil)},
		{"break-glass may isolate only", cfg.Policy.BreakGlassKinds, []string{"isolate"}},
		{"break-glass twice a day", cfg.Policy.BreakGlassPerDay, 2},
		{"break-glass is reviewed within 24h", cfg.Policy.BreakGlassReviewWithin, 24 * time.Hour},
		{"no escalation", cfg.Policy.EscalateAfter, time.Duration(0)},
		{"no rules", cfg.Policy.Rules, []Rule(nil)},
		{"the admin listener is off by default", cfg.Admin.Listen, ""},
		{"the log format defaults to text", cfg.Log.Format, "text"},
		{"the log level defaults to info", cfg.Log.Level, slog.LevelInfo},
		{"the Slack API URL defaults to slack.com", cfg.Slack.APIURL, "https://slack.com/api/"},
		{"the authority host defaults to Microsoft's login host", cfg.Azure.AuthorityHost, "https://login.microsoftonline.com"},
		{"the MDE API URL defaults to the security API", cfg.Defender.APIURL, "https://api.security.microsoft.com"},
		{"the MDE scope defaults to the securitycenter scope", cfg.Defender.Scope, "https://api.securitycenter.microsoft.com/.default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReadsEveryKey(t *testing.T) {
	const (
		storage = "storage: {path: /data/mdebot.db}\n"
		base    = storage + "slack: {approvers: [U0LEAD0001]}\n"
	)
	tests := []struct {
		name string
		yaml string
		got  func(*Config) any
		want any
	}{
		{"storage.path sets the database file", "storage: {path: ' /tmp/x.db '}\nslack: {approvers: [U0LEAD0001]}",
			func(c *Config) any { return c.Storage.Path }, "/tmp/x.db"},
		{"slack.channels takes public and private channel ids", storage + "slack: {channels: [C012AB, G034CD], approvers: [U0A]}",
			func(c *Config) any { return c.Slack.Channels }, []string{"C012AB", "G034CD"}},
		{"slack.requesters takes user and group ids", storage + "slack: {requesters: [U012AB, W034CD, S056EF], approvers: [U0A]}",
			func(c *Config) any { return c.Slack.Requesters }, []string{"U012AB", "W034CD", "S056EF"}},
		{"slack.approvers takes user and group ids", storage + "slack: {approvers: [W0APPROVE, S0GROUP1]}",
			func(c *Config) any { return c.Slack.Approvers }, []string{"W0APPROVE", "S0GROUP1"}},
		{"slack.auditors replaces the default", storage + "slack: {auditors: [U0AUDIT], approvers: [U0A]}",
			func(c *Config) any { return c.Slack.Auditors }, []string{"U0AUDIT"}},
		{"slack.lookups_per_minute replaces the default", storage + "slack: {approvers: [U0A], lookups_per_minute: 60}",
			func(c *Config) any { return c.Slack.LookupsPerMinute }, 60},
		{"slack.lookups_per_minute 0 turns the limit off", storage + "slack: {approvers: [U0A], lookups_per_minute: 0}",
			func(c *Config) any { return c.Slack.LookupsPerMinute }, 0},
		{"defender.poll_interval takes a Go duration", base + "defender: {poll_interval: 1m30s}",
			func(c *Config) any { return c.Defender.PollInterval }, 90 * time.Second},
		{"defender.poll_interval accepts the 100ms minimum", base + "defender: {poll_interval: 100ms}",
			func(c *Config) any { return c.Defender.PollInterval }, 100 * time.Millisecond},
		{"policy.approval_ttl takes a Go duration", base + "policy: {approval_ttl: 2h}",
			func(c *Config) any { return c.Policy.ApprovalTTL }, 2 * time.Hour},
		{"policy.approvals overrides only the actions it names", base + "policy: {approvals: {isolate: 2, scan: 1}}",
			func(c *Config) any {
				return []int{c.Policy.Approvals["isolate"], c.Policy.Approvals["scan"], c.Policy.Approvals["offboard"]}
			},
			[]int{2, 1, 2}},
		{"policy.approvals accepts 0 and 5", base + "policy: {approvals: {offboard: 5, block: 0}}",
			func(c *Config) any { return []int{c.Policy.Approvals["offboard"], c.Policy.Approvals["block"]} }, []int{5, 0}},
		{"policy.approvals all at 0 need no approvers",
			storage + "policy: {approvals: {isolate: 0, unisolate: 0, restrict: 0, unrestrict: 0, quarantine: 0, block: 0, unblock: 0, offboard: 0}}",
			func(c *Config) any { return c.Slack.Approvers }, []string(nil)},
		{"policy.rules reads a name or a list for each criterion", base + "policy: {rules: [{name: T0, group: Tier0-Servers, tag: [vip, dc], os: WindowsServer2022, exposure: High, risk: [Medium, High], approvals: {isolate: 2}, approvers: [S0IRLEADS]}]}",
			func(c *Config) any { return c.Policy.Rules },
			[]Rule{{Name: "T0", Groups: []string{"Tier0-Servers"}, Tags: []string{"vip", "dc"}, OS: []string{"WindowsServer2022"},
				Exposure: []string{"High"}, Risk: []string{"Medium", "High"}, Approvals: map[string]int{"isolate": 2}, Approvers: []string{"S0IRLEADS"}}}},
		{"slack.break_glass takes user and group ids", storage + "slack: {approvers: [U0A], break_glass: [U0LEAD, S0IR]}",
			func(c *Config) any { return c.Slack.BreakGlass }, []string{"U0LEAD", "S0IR"}},
		{"slack.alert_channel takes a channel id", storage + "slack: {approvers: [U0A], alert_channel: C0ALERTS}",
			func(c *Config) any { return c.Slack.AlertChannel }, "C0ALERTS"},
		{"slack.escalation takes a user group", storage + "slack: {approvers: [U0A], escalation: S0ONCALL}",
			func(c *Config) any { return c.Slack.Escalation }, "S0ONCALL"},
		{"policy.break_glass_kinds replaces the default", base + "policy: {break_glass_kinds: [isolate, restrict]}",
			func(c *Config) any { return c.Policy.BreakGlassKinds }, []string{"isolate", "restrict"}},
		{"policy.break_glass_per_day replaces the default", base + "policy: {break_glass_per_day: 5}",
			func(c *Config) any { return c.Policy.BreakGlassPerDay }, 5},
		{"policy.break_glass_review_within takes a duration", base + "policy: {break_glass_review_within: 4h}",
			func(c *Config) any { return c.Policy.BreakGlassReviewWithin }, 4 * time.Hour},
		{"policy.escalate_after takes a duration", base + "policy: {escalate_after: 10m}",
			func(c *Config) any { return c.Policy.EscalateAfter }, 10 * time.Minute},
		{"policy.max_machines replaces the default", base + "policy: {max_machines: 30}",
			func(c *Config) any { return c.Policy.MaxMachines }, 30},
		{"policy.bulk_extra_approval_over replaces the default", base + "policy: {bulk_extra_approval_over: 5}",
			func(c *Config) any { return c.Policy.BulkExtraApprovalOver }, 5},
		{"admin.listen takes host:port", base + "admin: {listen: '127.0.0.1:9464'}",
			func(c *Config) any { return c.Admin.Listen }, "127.0.0.1:9464"},
		{"admin.listen takes a bare port on all interfaces", base + "admin: {listen: ':9464'}",
			func(c *Config) any { return c.Admin.Listen }, ":9464"},
		{"log.format takes json", base + "log: {format: json}",
			func(c *Config) any { return c.Log.Format }, LogJSON},
		{"log.format is case-insensitive", base + "log: {format: JSON}",
			func(c *Config) any { return c.Log.Format }, LogJSON},
		{"log.level takes debug", base + "log: {level: debug}",
			func(c *Config) any { return c.Log.Level }, slog.LevelDebug},
		{"log.level takes warn", base + "log: {level: warn}",
			func(c *Config) any { return c.Log.Level }, slog.LevelWarn},
		{"log.level takes error", base + "log: {level: error}",
			func(c *Config) any { return c.Log.Level }, slog.LevelError},
		{"an empty section keeps the defaults", base + "log:",
			func(c *Config) any { return c.Log }, Log{Format: LogText, Level: slog.LevelInfo}},
		{"YAML anchors and aliases are followed", storage + "slack: {approvers: &leads [U0LEAD0001], auditors: *leads}",
			func(c *Config) any { return c.Slack.Auditors }, []string{"U0LEAD0001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("config.yaml", []byte(tt.yaml), testEnv(nil))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.yaml, err)
			}
			if diff := cmp.Diff(tt.want, tt.got(cfg)); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.yaml, diff)
			}
		})
	}
}

func TestParseReadsTheEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		got  func(*Config) any
		want any
	}{
		{"SLACK_APP_TOKEN is the app-level token", nil,
			func(c *Config) any { return c.Slack.AppToken.Reveal() }, "xapp-1-A0-secret-app"},
		{"SLACK_BOT_TOKEN is the bot token", nil,
			func(c *Config) any { return c.Slack.BotToken.Reveal() }, "xoxb-1-secret-bot"},
		{"SLACK_API_URL gets a missing trailing slash", map[string]string{"SLACK_API_URL": "http://127.0.0.1:8080/api"},
			func(c *Config) any { return c.Slack.APIURL }, "http://127.0.0.1:8080/api/"},
		{"SLACK_API_URL keeps its trailing slash", map[string]string{"SLACK_API_URL": "http://127.0.0.1:8080/"},
			func(c *Config) any { return c.Slack.APIURL }, "http://127.0.0.1:8080/"},
		{"AZURE_TENANT_ID and AZURE_CLIENT_ID are read", nil,
			func(c *Config) any { return []string{c.Azure.TenantID, c.Azure.ClientID} },
			[]string{"11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000"}},
		{"AZURE_CLIENT_SECRET is the client secret", nil,
			func(c *Config) any { return c.Azure.ClientSecret.Reveal() }, "azure-secret-value"},
		{"AZURE_CLIENT_CERTIFICATE_PATH replaces the secret",
			map[string]string{"AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": "/etc/mdebot/app.pem"},
			func(c *Config) any { return []any{c.Azure.CertificatePath, c.Azure.ClientSecret.IsZero()} },
			[]any{"/etc/mdebot/app.pem", true}},
		{"AZURE_AUTHORITY_HOST is read", map[string]string{"AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443"},
			func(c *Config) any { return c.Azure.AuthorityHost }, "https://127.0.0.1:8443"},
		{"MDE_API_URL is read and may be plain http for a fake", map[string]string{"MDE_API_URL": "http://127.0.0.1:9000"},
			func(c *Config) any { return c.Defender.APIURL }, "http://127.0.0.1:9000"},
		{"MDE_API_URL may be plain http to localhost or ::1", map[string]string{"MDE_API_URL": "http://localhost:9000", "SLACK_API_URL": "http://[::1]:8080/api/"},
			func(c *Config) any { return []string{c.Defender.APIURL, c.Slack.APIURL} }, []string{"http://localhost:9000", "http://[::1]:8080/api/"}},
		{"MDEBOT_AUDIT_KEY is the audit key", map[string]string{"MDEBOT_AUDIT_KEY": "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"},
			func(c *Config) any { return c.Audit.Key.Reveal() }, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"},
		{"MDEBOT_AUDIT_KEY_FILE names the audit key's file", map[string]string{"MDEBOT_AUDIT_KEY_FILE": "/etc/mdebot/audit.key"},
			func(c *Config) any { return []any{c.Audit.KeyFile, c.Audit.Key.IsZero()} }, []any{"/etc/mdebot/audit.key", true}},
		{"MDE_SCOPE is read", map[string]string{"MDE_SCOPE": "https://api.security.microsoft.com/.default"},
			func(c *Config) any { return c.Defender.Scope }, "https://api.security.microsoft.com/.default"},
		{"MDE_CLOUD unset is the commercial cloud", nil,
			func(c *Config) any {
				return []any{c.Defender.Cloud, c.Defender.APIURL, c.Azure.AuthorityHost, c.Defender.Scope}
			},
			[]any{defender.CloudCommercial, "https://api.security.microsoft.com", "https://login.microsoftonline.com",
				"https://api.securitycenter.microsoft.com/.default"}},
		{"MDE_CLOUD=gcc sets the GCC API host and scope and keeps the commercial sign-in", map[string]string{"MDE_CLOUD": "gcc"},
			func(c *Config) any {
				return []any{c.Defender.Cloud, c.Defender.APIURL, c.Azure.AuthorityHost, c.Defender.Scope}
			},
			[]any{defender.CloudGCC, "https://api-gcc.securitycenter.microsoft.us", "https://login.microsoftonline.com",
				"https://api-gcc.securitycenter.microsoft.us/.default"}},
		{"MDE_CLOUD=gcc-high sets the three government hosts", map[string]string{"MDE_CLOUD": "GCC-High"},
			func(c *Config) any {
				return []any{c.Defender.Cloud, c.Defender.APIURL, c.Azure.AuthorityHost, c.Defender.Scope}
			},
			[]any{defender.CloudGCCHigh, "https://api-gov.securitycenter.microsoft.us", "https://login.microsoftonline.us",
				"https://api-gov.securitycenter.microsoft.us/.default"}},
		{"MDE_CLOUD=dod sets the three government hosts", map[string]string{"MDE_CLOUD": "dod"},
			func(c *Config) any { return []any{c.Defender.APIURL, c.Azure.AuthorityHost, c.Defender.Scope} },
			[]any{"https://api-gov.securitycenter.microsoft.us", "https://login.microsoftonline.us",
				"https://api-gov.securitycenter.microsoft.us/.default"}},
		{"MDE_CLOUD=eu sets a commercial geo host", map[string]string{"MDE_CLOUD": "eu"},
			func(c *Config) any { return []any{c.Defender.APIURL, c.Azure.AuthorityHost, c.Defender.Scope} },
			[]any{"https://eu.api.security.microsoft.com", "https://login.microsoftonline.com",
				"https://api.securitycenter.microsoft.com/.default"}},
		{"explicit URL variables win over MDE_CLOUD",
			map[string]string{"MDE_CLOUD": "gcc-high", "MDE_API_URL": "http://127.0.0.1:9000",
				"AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443", "MDE_SCOPE": "https://securitycenter.onmicrosoft.us/.default"},
			func(c *Config) any {
				return []any{c.Defender.Cloud, c.Defender.APIURL, c.Azure.AuthorityHost, c.Defender.Scope}
			},
			[]any{defender.CloudGCCHigh, "http://127.0.0.1:9000", "https://127.0.0.1:8443", "https://securitycenter.onmicrosoft.us/.default"}},
		{"surrounding whitespace such as a trailing newline is trimmed", map[string]string{"SLACK_BOT_TOKEN": "xoxb-2-x\n"},
			func(c *Config) any { return c.Slack.BotToken.Reveal() }, "xoxb-2-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("config.yaml", []byte(minimal), testEnv(tt.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, tt.got(cfg)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadReadsTheFileAndNamesItInProblems(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(minimal+"log: {levle: debug}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, testEnv(nil))
	want := path + `:6: unknown key "log.levle" (did you mean "log.level"?)`
	if err == nil || err.Error() != want {
		t.Fatalf("Load error = %v, want %s", err, want)
	}

	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, testEnv(nil))
	if err != nil || cfg.Storage.Path != "/data/mdebot.db" {
		t.Fatalf("Load = %+v, %v", cfg, err)
	}
}

func TestLoadOfAMissingFileIsAnIOError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), testEnv(nil))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load error = %v, want one wrapping os.ErrNotExist", err)
	}
	var ps Problems
	if errors.As(err, &ps) {
		t.Errorf("a read error should not be Problems: %v", err)
	}
}

func TestExampleDocumentsEveryKey(t *testing.T) {
	d := newDecoder("example.yaml")
	if !d.decode([]byte(Example)) || len(d.problems) > 0 {
		t.Fatalf("Example does not decode: %v", d.problems)
	}
	for _, key := range d.order {
		if d.lines[key] == 0 {
			t.Errorf("Example does not set %s", key)
		}
	}
	for _, a := range Actions() {
		if d.lines["policy.approvals."+a] == 0 {
			t.Errorf("Example does not set policy.approvals.%s", a)
		}
	}
}

func BenchmarkParseExample(b *testing.B) {
	env := testEnv(nil)
	for b.Loop() {
		if _, err := Parse("example.yaml", []byte(Example), env); err != nil {
			b.Fatal(err)
		}
	}
}
