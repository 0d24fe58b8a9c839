package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// problemStrings returns err's problems as strings, failing if err is not
// Problems.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func TestParseReportsEachKindOfProblem(t *testing.T) {
	const storage = "storage: {path: /data/mdebot.db}\n"
	const base = storage + "slack: {approvers: [U0LEAD0001]}\n"
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{"an unknown key is named with its path and line and a suggestion", base + "log: {levl: info}",
			nil, []string{`config.yaml:3: unknown key "log.levl" (did you mean "log.level"?)`}},
		{"a misspelled section is suggested", "storage: {path: x}\nslak: {approvers: [U0A]}",
			nil, []string{
				`config.yaml:2: unknown key "slak" (did you mean "slack"?)`,
				`config.yaml: slack.approvers is empty, so no one could approve isolate, unisolate, restrict, unrestrict, quarantine, block, unblock, offboard: list approvers, or set policy.approvals to 0 for these actions`,
			}},
		{"an unknown key far from any known key gets no suggestion", base + "color: blue",
			nil, []string{`config.yaml:3: unknown key "color"`}},
		{"a duplicate key is refused", base + "log: {level: info, level: debug}",
			nil, []string{`config.yaml:3: duplicate key "log.level" (first set on line 3)`}},
		{"invalid YAML is reported with its line", base + "log: {level: [",
			nil, []string{`config.yaml:3: invalid YAML: did not find expected node content`}},
		{"a file that is not a mapping is refused", "- a\n- b",
			nil, []string{
				`config.yaml:1: the configuration must be a mapping of keys, not a list`,
				`config.yaml: storage.path is required: the file where mdebot keeps its database`,
				`config.yaml: slack.approvers is empty, so no one could approve isolate, unisolate, restrict, unrestrict, quarantine, block, unblock, offboard: list approvers, or set policy.approvals to 0 for these actions`,
			}},
		{"a backup token file with the admin listener off is refused", base + "admin: {backup_token_file: /etc/mdebot/backup.token}",
			nil, []string{`config.yaml:3: admin.backup_token_file is set but admin.listen is off, so nothing would serve POST /backup: set admin.listen or remove admin.backup_token_file`}},
		{"a rule with an empty approvers list is refused", base + "policy: {rules: [{name: T0, group: Tier0, approvals: {isolate: 2}, approvers: []}]}",
			nil, []string{`config.yaml:3: policy.rules[0] (T0) has an empty approvers list, so nobody could approve: list approvers or remove the key`}},
		{"a rule that matches nothing is refused", base + "policy: {rules: [{name: all, approvals: {isolate: 2}}]}",
			nil, []string{`config.yaml:3: policy.rules[0] (all) matches no machine: give a group, tag, os, exposure or risk`}},
		{"a rule without a name is refused", base + "policy: {rules: [{tag: VIP, approvals: {isolate: 2}}]}",
			nil, []string{`config.yaml:3: policy.rules[0] needs a name, shown on the card`}},
		{"a rule's unknown key is suggested", base + "policy: {rules: [{name: V, tags: VIP, approvals: {isolate: 2}}]}",
			nil, []string{`config.yaml:3: unknown key "policy.rules[0].tags" (did you mean "policy.rules[0].tag"?)`,
				`config.yaml:3: policy.rules[0] (V) matches no machine: give a group, tag, os, exposure or risk`}},
		{"a rule's unknown action is suggested", base + "policy: {rules: [{name: V, tag: VIP, approvals: {isolat: 2}}]}",
			nil, []string{`config.yaml:3: unknown action "policy.rules[0].approvals.isolat" (did you mean "policy.rules[0].approvals.isolate"?)`,
				`config.yaml:3: policy.rules[0] (V) sets no approvals: give approvals such as {isolate: 2}`}},
		{"a rule needing approvals with no approvers anywhere is refused",
			storage + "policy: {approvals: {isolate: 0, unisolate: 0, restrict: 0, unrestrict: 0, quarantine: 0, block: 0, unblock: 0, offboard: 0}, rules: [{name: V, tag: VIP, approvals: {isolate: 1}}]}",
			nil, []string{`config.yaml:2: policy.rules[0] (V) needs approvals for isolate but neither the rule nor slack.approvers names approvers`}},
		{"a break-glass cap of 0 is refused", base + "policy: {break_glass_per_day: 0}",
			nil, []string{`config.yaml:3: policy.break_glass_per_day is 0: give 1 to 20; to turn break-glass off, leave slack.break_glass empty`}},
		{"break-glass never offboards", base + "policy: {break_glass_kinds: [isolate, offboard]}",
			nil, []string{`config.yaml:3: policy.break_glass_kinds: offboard can never be run by break-glass`}},
		{"an escalation target must be a group or a channel", storage + "slack: {approvers: [U0A], escalation: U0LEAD}",
			nil, []string{`config.yaml:2: slack.escalation: "U0LEAD" is not a user-group id (S…) or a channel id (C… or G…)`}},
		{"a section that is not a mapping is refused", base + "log: text",
			nil, []string{`config.yaml:3: log must be a mapping of keys, not "text"`}},
		{"a missing storage.path is refused", "slack: {approvers: [U0A]}",
			nil, []string{`config.yaml: storage.path is required: the file where mdebot keeps its database`}},
		{"an empty storage.path is refused at its line", "slack: {approvers: [U0A]}\nstorage:\n  path: ''",
			nil, []string{`config.yaml:3: storage.path is required: the file where mdebot keeps its database`}},
		{"a string where a list is expected is refused", storage + "slack: {approvers: U0A}",
			nil, []string{
				`config.yaml:2: slack.approvers must be a list of ids, not "U0A"`,
				`config.yaml:2: slack.approvers is empty, so no one could approve isolate, unisolate, restrict, unrestrict, quarantine, block, unblock, offboard: list approvers, or set policy.approvals to 0 for these actions`,
			}},
		{"a repeated section is refused as a duplicate key", base + "slack: {channels: [C0A]}",
			nil, []string{`config.yaml:3: duplicate key "slack" (first set on line 2)`}},
		{"a channel name instead of an id is refused", storage + "slack: {channels: ['#general'], approvers: [U0A]}",
			nil, []string{`config.yaml:2: slack.channels: "#general" is not a channel id (C… or G…)`}},
		{"a user name instead of an id is refused", storage + "slack: {requesters: ['@alice'], approvers: [U0A]}",
			nil, []string{`config.yaml:2: slack.requesters: "@alice" is not a user id (U… or W…) or a user-group id (S…)`}},
		{"a channel id among users is refused", storage + "slack: {approvers: [U0A], auditors: [C0CHAN]}",
			nil, []string{`config.yaml:2: slack.auditors: "C0CHAN" is not a user id (U… or W…) or a user-group id (S…)`}},
		{"an unparsable poll interval is refused", base + "defender: {poll_interval: 15}",
			nil, []string{`config.yaml:3: defender.poll_interval: "15" is not a duration such as 15s or 30m`}},
		{"a poll interval below 100ms is refused", base + "defender: {poll_interval: 99ms}",
			nil, []string{`config.yaml:3: defender.poll_interval: 99ms is below the minimum of 100ms`}},
		{"a negative approval TTL is refused", base + "policy: {approval_ttl: -5m}",
			nil, []string{`config.yaml:3: policy.approval_ttl: -5m0s is below the minimum of 1s`}},
		{"an unknown action in policy.approvals is suggested", base + "policy: {approvals: {isolat: 1}}",
			nil, []string{`config.yaml:3: unknown action "policy.approvals.isolat" (did you mean "policy.approvals.isolate"?)`}},
		{"a look-up limit that is not a whole number is refused", storage + "slack: {approvers: [U0A], lookups_per_minute: 1.5}",
			nil, []string{`config.yaml:2: slack.lookups_per_minute: "1.5" is not a number from 0 to 6000`}},
		{"a negative look-up limit is refused", storage + "slack: {approvers: [U0A], lookups_per_minute: -1}",
			nil, []string{`config.yaml:2: slack.lookups_per_minute: "-1" is not a number from 0 to 6000`}},
		{"an approval count above 5 is refused", base + "policy: {approvals: {offboard: 6}}",
			nil, []string{`config.yaml:3: policy.approvals.offboard: "6" is not a number from 0 to 5`}},
		{"a negative approval count is refused", base + "policy: {approvals: {block: -1}}",
			nil, []string{`config.yaml:3: policy.approvals.block: "-1" is not a number from 0 to 5`}},
		{"a quoted approval count is refused", base + "policy: {approvals: {block: '1'}}",
			nil, []string{`config.yaml:3: policy.approvals.block: "1" is not a number from 0 to 5`}},
		{"approvals that no one could give are refused", storage + "policy: {approvals: {isolate: 0, unisolate: 0, restrict: 0, unrestrict: 0, quarantine: 0, block: 0, unblock: 0}}",
			nil, []string{`config.yaml: slack.approvers is empty, so no one could approve offboard: list approvers, or set policy.approvals to 0 for these actions`}},
		{"an admin address without a port is refused", base + "admin: {listen: localhost}",
			nil, []string{`config.yaml:3: admin.listen: "localhost" is not a host:port address such as 127.0.0.1:9464`}},
		{"an unknown log format is refused", base + "log: {format: xml}",
			nil, []string{`config.yaml:3: log.format: "xml" is not text or json`}},
		{"an unknown log level is refused", base + "log: {level: trace}",
			nil, []string{`config.yaml:3: log.level: "trace" is not debug, info, warn or error`}},
		{"missing environment variables are each named", base,
			map[string]string{"SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": "", "AZURE_TENANT_ID": "", "AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": ""},
			[]string{
				`environment: SLACK_APP_TOKEN is not set: the Slack app-level token with connections:write, for Socket Mode (xapp-…)`,
				`environment: SLACK_BOT_TOKEN is not set: the Slack bot token (xoxb-…)`,
				`environment: AZURE_TENANT_ID is not set: the Entra ID tenant (directory) id`,
				`environment: AZURE_CLIENT_ID is not set: the Entra ID application (client) id`,
				`environment: neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set: set one to authenticate to Entra ID`,
			}},
		{"tokens of the wrong kind are refused without echoing them", base,
			map[string]string{"SLACK_APP_TOKEN": "xoxb-secret-1", "SLACK_BOT_TOKEN": "xoxp-secret-2"},
			[]string{
				`environment: SLACK_APP_TOKEN does not start with "xapp-": it must be the Slack app-level token with connections:write, for Socket Mode`,
				`environment: SLACK_BOT_TOKEN does not start with "xoxb-": it must be the Slack bot token`,
			}},
		{"both a client secret and a certificate are refused", base,
			map[string]string{"AZURE_CLIENT_CERTIFICATE_PATH": "/etc/app.pem"},
			[]string{`environment: both AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH are set: set only one`}},
		{"a relative URL is refused", base,
			map[string]string{"SLACK_API_URL": "/api/"},
			[]string{`environment: SLACK_API_URL: "/api/" is not an absolute URL such as https://slack.com/api/`}},
		{"a URL that does not parse is refused", base,
			map[string]string{"MDE_API_URL": "http://[::1"},
			[]string{`environment: MDE_API_URL: "http://[::1" is not an absolute URL such as https://api.security.microsoft.com`}},
		{"an unknown MDE_CLOUD is refused with the known ones", base,
			map[string]string{"MDE_CLOUD": "gcc-hihg"},
			[]string{`environment: MDE_CLOUD: "gcc-hihg" is not a Defender cloud: use one of commercial, us, eu, uk, au, swa, ina, aea, gcc, gcc-high, dod (did you mean "gcc-high"?)`}},
		{"a URL with another scheme is refused", base,
			map[string]string{"MDE_API_URL": "ftp://mde.example"},
			[]string{`environment: MDE_API_URL: "ftp://mde.example" must be an http or https URL`}},
		{"both an audit key and an audit key file are refused", base,
			map[string]string{"MDEBOT_AUDIT_KEY": strings.Repeat("k", 40), "MDEBOT_AUDIT_KEY_FILE": "/etc/mdebot/audit.key"},
			[]string{`environment: both MDEBOT_AUDIT_KEY and MDEBOT_AUDIT_KEY_FILE are set: set only one`}},
		{"a short audit key is refused without echoing it", base,
			map[string]string{"MDEBOT_AUDIT_KEY": "hunter2"},
			[]string{`environment: MDEBOT_AUDIT_KEY has 7 characters, fewer than 32: use a random key (openssl rand -hex 32)`}},
		{"plain http to a remote MDE is refused", base,
			map[string]string{"MDE_API_URL": "http://mde.example"},
			[]string{`environment: MDE_API_URL: "http://mde.example" must be an https URL: plain http is accepted only for a loopback host (localhost, 127.0.0.1, ::1), since mdebot sends its tokens there`}},
		{"plain http to a remote Slack is refused", base,
			map[string]string{"SLACK_API_URL": "http://10.0.0.8:8080/api/"},
			[]string{`environment: SLACK_API_URL: "http://10.0.0.8:8080/api/" must be an https URL: plain http is accepted only for a loopback host (localhost, 127.0.0.1, ::1), since mdebot sends its tokens there`}},
		{"plain http to a host named like localhost is refused", base,
			map[string]string{"MDE_API_URL": "http://localhost.evil.example"},
			[]string{`environment: MDE_API_URL: "http://localhost.evil.example" must be an https URL: plain http is accepted only for a loopback host (localhost, 127.0.0.1, ::1), since mdebot sends its tokens there`}},
		{"plain http to the authority is refused even on loopback", base,
			map[string]string{"AZURE_AUTHORITY_HOST": "http://127.0.0.1:8443"},
			[]string{`environment: AZURE_AUTHORITY_HOST: "http://127.0.0.1:8443" must be an https URL`}},
		{"an authority host over plain http is refused", base,
			map[string]string{"AZURE_AUTHORITY_HOST": "http://login.example"},
			[]string{`environment: AZURE_AUTHORITY_HOST: "http://login.example" must be an https URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("config.yaml", []byte(tt.yaml), testEnv(tt.env))
			if cfg != nil {
				t.Errorf("Parse returned a Config along with problems: %+v", cfg)
			}
			if diff := cmp.Diff(tt.want, problemStrings(t, err)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReportsEveryProblemInABadFileTogether(t *testing.T) {
	const bad = `storage:
  path: /data/mdebot.db
slack:
  channels: [C0OK, general]
  aprovers: [U0LEAD0001]
defender:
  poll_interval: 10ms
policy:
  approval_ttl: soon
  approvals:
    isolate: 9
    offbord: 1
admin:
  listen: nowhere
log:
  format: yaml
`
	_, err := Parse("config.yaml", []byte(bad), testEnv(map[string]string{"SLACK_BOT_TOKEN": ""}))
	want := []string{
		`config.yaml:4: slack.channels: "general" is not a channel id (C… or G…)`,
		`config.yaml:5: unknown key "slack.aprovers" (did you mean "slack.approvers"?)`,
		`config.yaml:7: defender.poll_interval: 10ms is below the minimum of 100ms`,
		`config.yaml:9: policy.approval_ttl: "soon" is not a duration such as 15s or 30m`,
		`config.yaml:11: policy.approvals.isolate: "9" is not a number from 0 to 5`,
		`config.yaml:12: unknown action "policy.approvals.offbord" (did you mean "policy.approvals.offboard"?)`,
		`config.yaml:14: admin.listen: "nowhere" is not a host:port address such as 127.0.0.1:9464`,
		`config.yaml:16: log.format: "yaml" is not text or json`,
		`config.yaml: slack.approvers is empty, so no one could approve isolate, unisolate, restrict, unrestrict, quarantine, block, unblock, offboard: list approvers, or set policy.approvals to 0 for these actions`,
		`environment: SLACK_BOT_TOKEN is not set: the Slack bot token (xoxb-…)`,
	}
	if diff := cmp.Diff(want, problemStrings(t, err)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("Error() = %q, want the problems one per line", got)
	}
	var p Problem
	if !errors.As(err, &p) || p.Line != 4 || p.Key != "slack.channels" {
		t.Errorf("errors.As(err, *Problem) = %+v, want the first problem", p)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg, err := Parse("config.yaml", []byte(Example), testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{cfg.Slack.AppToken.Reveal(), cfg.Slack.BotToken.Reveal(), cfg.Azure.ClientSecret.Reveal()}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg, "token", cfg.Slack.BotToken)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg, "token", cfg.Slack.BotToken)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%v":   fmt.Sprintf("%v", *cfg),
		"%#v":  fmt.Sprintf("%#v", cfg),
		"%s":   fmt.Sprintf("%s", cfg.Azure.ClientSecret),
		"json": string(js),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains the secret %q:\n%s", name, s, out)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not show [redacted]:\n%s", name, out)
		}
	}
}
