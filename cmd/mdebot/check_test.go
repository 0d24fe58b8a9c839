package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/slacktest"
)

// approverGroup is a user group of approvers in the check tests.
const approverGroup = "S0APPROVE1"

// runCheck runs "mdebot check" in a child (so that SSL_CERT_FILE trusts the
// fake MDE) and returns its exit code and its report's lines.
func runCheck(t *testing.T, w *world, override map[string]string) (int, []string) {
	t.Helper()
	c := w.startWith(override, "check", "--config", w.config)
	code := c.wait(w.ctx())
	var lines []string
	for l := range strings.Lines(c.out.String()) {
		lines = append(lines, strings.TrimSuffix(l, "\n"))
	}
	return code, lines
}

// hasLine reports whether a line of lines starts with prefix and holds
// every one of parts.
func hasLine(lines []string, prefix string, parts ...string) bool {
next:
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		return true
	}
	return false
}

func TestCheckPassesEveryCheckOnAGoodSetup(t *testing.T) {
	w := newWorld(t, spec{approvers: []string{bob, approverGroup}})
	w.slack.AddUserGroup(slacktest.UserGroup{ID: approverGroup, Handle: "ir-approvers", Members: []string{bob, carol}})
	code, lines := runCheck(t, w, nil)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; report:\n%s", code, strings.Join(lines, "\n"))
	}
	for _, want := range [][]string{
		{"configuration", "is valid"},
		{"Slack accepted SLACK_BOT_TOKEN (auth.test"},
		{"Slack accepted SLACK_APP_TOKEN"},
		{"Entra ID issued a Defender token"},
		{"Defender answered GET /api/machines?$top=1 (1 machine)"},
		{"user group " + approverGroup + " (slack.approvers, slack.auditors) resolves to 2 members"},
	} {
		if !hasLine(lines, "✓ ", want...) {
			t.Errorf("no ✓ line with %q; report:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if hasLine(lines, "✗") {
		t.Errorf("a ✗ line on a good setup:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("report:\n%s", strings.Join(lines, "\n"))
	if n := w.mde.CallCount("machines.list"); n != 1 {
		t.Errorf("%d machine lists, want 1", n)
	}
}

func TestCheckNamesAWrongClientSecretAndHowToFixIt(t *testing.T) {
	w := newWorld(t, spec{})
	code, lines := runCheck(t, w, map[string]string{"AZURE_CLIENT_SECRET": "not-the-secret"})
	if code == exitOK {
		t.Fatalf("exit 0 with a wrong secret; report:\n%s", strings.Join(lines, "\n"))
	}
	if !hasLine(lines, "✗ AZURE_CLIENT_SECRET was refused by Entra ID (AADSTS7000215): create a new client secret") {
		t.Errorf("no ✗ line naming the secret; report:\n%s", strings.Join(lines, "\n"))
	}
	if !hasLine(lines, "✓ Slack accepted SLACK_BOT_TOKEN") {
		t.Errorf("the Slack checks did not run on; report:\n%s", strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "not-the-secret") {
			t.Errorf("the report shows the secret: %q", l)
		}
	}
}

func TestCheckNamesAnUnknownUserGroupAndTheScopeItNeeds(t *testing.T) {
	w := newWorld(t, spec{approvers: []string{bob, "S0NOSUCH01"}})
	code, lines := runCheck(t, w, nil)
	if code == exitOK {
		t.Fatalf("exit 0 with an unknown group; report:\n%s", strings.Join(lines, "\n"))
	}
	if !hasLine(lines, "✗ user group S0NOSUCH01 not found: check slack.approvers, slack.auditors; the bot needs usergroups:read") {
		t.Errorf("no ✗ line naming the group; report:\n%s", strings.Join(lines, "\n"))
	}
	if !hasLine(lines, "✓ Defender answered") {
		t.Errorf("the Defender checks did not pass; report:\n%s", strings.Join(lines, "\n"))
	}
}

func TestCheckOfABadConfigurationStopsAtTheConfiguration(t *testing.T) {
	w := newWorld(t, spec{})
	w.writeFile(w.config, "storage:\n  path: x.db\nslack:\n  aprovers: [U0BOB00001]\n")
	code, lines := runCheck(t, w, nil)
	if code != exitFatal || !hasLine(lines, "✗ ", "aprovers") {
		t.Errorf("exit %d; report:\n%s", code, strings.Join(lines, "\n"))
	}
	if n := w.mde.CallCount("token"); n != 0 {
		t.Errorf("%d token requests after a bad configuration", n)
	}
}

func TestCheckShowsTheDefenderReadAsSkippedWithoutAToken(t *testing.T) {
	w := newWorld(t, spec{})
	code, lines := runCheck(t, w, map[string]string{"AZURE_CLIENT_SECRET": "not-the-secret"})
	if code == exitOK {
		t.Fatalf("exit 0 without a token; report:\n%s", strings.Join(lines, "\n"))
	}
	if !hasLine(lines, "– Defender GET /api/machines?$top=1 skipped", "token") {
		t.Errorf("no skipped line for the Defender read; report:\n%s", strings.Join(lines, "\n"))
	}
	if last := lines[len(lines)-1]; last != "1 of 5 checks failed, 1 skipped" {
		t.Errorf("summary %q, want the skipped read counted; report:\n%s", last, strings.Join(lines, "\n"))
	}
}

func TestCheckNamesTheNetworkWhenSlackIsUnreachable(t *testing.T) {
	w := newWorld(t, spec{approvers: []string{bob, approverGroup}})
	code, lines := runCheck(t, w, map[string]string{"SLACK_API_URL": "http://127.0.0.1:1/api"})
	if code == exitOK {
		t.Fatalf("exit 0 with Slack unreachable; report:\n%s", strings.Join(lines, "\n"))
	}
	for _, prefix := range []string{"✗ Slack auth.test failed", "✗ Slack apps.connections.open failed", "✗ user group " + approverGroup} {
		if !hasLine(lines, prefix, "SLACK_API_URL", "network path to Slack") {
			t.Errorf("no %q line naming the network; report:\n%s", prefix, strings.Join(lines, "\n"))
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "Socket Mode") || strings.Contains(l, "usergroups:read") {
			t.Errorf("a network error blamed on the app's setup: %q", l)
		}
	}
}

func TestCheckKeepsEachCheckOnOneLine(t *testing.T) {
	w := newWorld(t, spec{})
	w.mde.FailNext("token", 10, http.StatusBadGateway, "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>\n", nil)
	_, lines := runCheck(t, w, nil)
	for _, l := range lines {
		if !strings.HasPrefix(l, "✓ ") && !strings.HasPrefix(l, "✗ ") && !strings.HasPrefix(l, "– ") &&
			!strings.Contains(l, "checks failed") && !strings.Contains(l, "checks passed") {
			t.Errorf("a line that is not a check's nor the summary: %q; report:\n%s", l, strings.Join(lines, "\n"))
		}
	}
	if !hasLine(lines, "✗ Entra ID did not issue a token", "502 Bad Gateway") {
		t.Errorf("no ✗ line for the failed token; report:\n%s", strings.Join(lines, "\n"))
	}
}

func TestCheckValidatesRulesAndExplainsAMachinesPolicy(t *testing.T) {
	w := newWorld(t, spec{rules: `    - name: Tier0-Servers
      group: Servers
      approvals: {isolate: 2}
      approvers: [` + approverGroup + `]
    - name: VIP
      tag: VIP
      approvals: {isolate: 1, collect: 1}
      approvers: [` + bob + `]
    - name: Typo
      group: Tier0-Serverz
      approvals: {restrict: 2}
`})
	w.slack.AddUserGroup(slacktest.UserGroup{ID: approverGroup, Handle: "ir-leads", Members: []string{bob, carol}})
	c := w.startWith(nil, "check", "--config", w.config, "--explain", "ws-0042")
	code := c.wait(w.ctx())
	out := c.out.String()
	lines := strings.Split(out, "\n")
	if code == exitOK {
		t.Fatalf("exit 0 with a rule naming an unknown group; report:\n%s", out)
	}
	for _, want := range []struct {
		prefix string
		parts  []string
	}{
		{"✓ ", []string{"policy is consistent (3 rules)"}},
		{"✓ ", []string{`device group "Servers" of policy.rules holds`}},
		{"✗ ", []string{`device group "Tier0-Serverz" of policy.rules is unknown`}},
		{"✓ ", []string{"user group " + approverGroup + " (policy.rules[0].approvers) resolves to 2 members"}},
		{"effective policy for ws-0042.contoso.local", []string{"group Workstations", "tags [finance, vip]"}},
		{"  isolate ", []string{"1 approvals from someone in [" + bob + "] (VIP: 1 approval from " + bob + ")"}},
		{"  scan ", []string{"0 approvals (policy.approvals)"}},
		{"  unisolate ", []string{"1 approvals from slack.approvers (policy.approvals)"}},
		{"✓ ", []string{"explained the policy for ws-0042.contoso.local"}},
	} {
		if !hasLine(lines, want.prefix, want.parts...) {
			t.Errorf("no line %q with %q; report:\n%s", want.prefix, want.parts, out)
		}
	}
}

func TestCheckRefusesContradictoryRules(t *testing.T) {
	w := newWorld(t, spec{rules: `    - name: servers
      group: Servers
      approvals: {isolate: 2}
    - name: servers again
      group: servers
      approvals: {isolate: 1}
`})
	code, lines := runCheck(t, w, nil)
	if code == exitOK || !hasLine(lines, "✗ ", "servers and servers again match the same machines but ask 2 and 1 approvals for isolate") {
		t.Errorf("exit %d; report:\n%s", code, strings.Join(lines, "\n"))
	}
}
