package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot"
	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

// checkUsage heads "mdebot check -h".
const checkUsage = `Usage: mdebot check --config FILE [--explain MACHINE]

Checks, without changing anything, that mdebot can run with FILE and the
environment: the configuration is valid, Slack accepts the bot token
(auth.test) and the app token (apps.connections.open), Entra ID issues a
Defender token, Defender answers a one-machine read (GET
/api/machines?$top=1), and every user group in slack.requesters,
slack.approvers, slack.auditors and policy.rules resolves
(usergroups.users.list). policy.rules are checked for contradictions, and
each device group they name must hold a machine in Defender (GET
/api/machines). With --explain, it then prints the effective policy for
MACHINE (a name or a machine id, read from Defender): for each action,
the approvals needed, whose, and which rule says so; with
storage.backend etcd, first that etcd answers a read under
storage.etcd.prefix.
Prints one line per check: ✓, ✗ with what to fix (a server that cannot
be reached is named with its variable and the network path to it), or –
for a check skipped because one it needs failed (the Defender read
without a token). Exits 0 only if every check passed.

Flags:
`

// checkResult is one line of the report.
type checkResult struct {
	ok bool
	// skipped marks a check that could not run because one it needs
	// failed; text says which.
	skipped bool
	text    string // what passed, or what failed and how to fix it
}

// check runs "mdebot check".
func (m *Main) check(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("mdebot check", flag.ContinueOnError)
	configPath := fs.String("config", "", "the YAML configuration `FILE` to check")
	explainMachine := fs.String("explain", "", "print the effective policy for `MACHINE` (a name or a machine id)")
	if ok, code := m.parseOffline(fs, checkUsage, args); !ok {
		return code
	}
	cfg, err := config.Load(*configPath, m.Getenv)
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				printCheck(m.Stdout, checkResult{text: p.Error()})
			}
		} else {
			printCheck(m.Stdout, checkResult{text: err.Error()})
		}
		fmt.Fprintln(m.Stdout, "the configuration must be fixed before the other checks can run (see config/example.yaml and \"mdebot help\")")
		return exitFatal
	}
	results := []checkResult{{ok: true, text: "configuration " + *configPath + " is valid"}}
	if len(cfg.Policy.Rules) > 0 {
		results = append(results, checkPolicy(cfg))
	}
	results = append(results, runChecks(ctx, cfg)...)
	if *explainMachine != "" {
		lines, r := explainPolicy(ctx, cfg, *explainMachine)
		for _, l := range lines {
			fmt.Fprintln(m.Stdout, l)
		}
		results = append(results, r)
	}
	failed, skipped := 0, 0
	for _, r := range results {
		printCheck(m.Stdout, r)
		switch {
		case r.skipped:
			skipped++
		case !r.ok:
			failed++
		}
	}
	if failed > 0 {
		summary := fmt.Sprintf("%d of %d checks failed", failed, len(results))
		if skipped > 0 {
			summary += fmt.Sprintf(", %d skipped", skipped)
		}
		fmt.Fprintln(m.Stdout, summary)
		return exitFatal
	}
	fmt.Fprintf(m.Stdout, "all %d checks passed\n", len(results))
	return exitOK
}

// printCheck writes one report line: ✓, ✗ or – (skipped), then the text
// with any line breaks (Entra ID's error descriptions hold several) folded
// into spaces, so that each check stays on one line.
func printCheck(w io.Writer, r checkResult) {
	mark := "✗"
	switch {
	case r.skipped:
		mark = "–"
	case r.ok:
		mark = "✓"
	}
	fmt.Fprintf(w, "%s %s\n", mark, strings.Join(strings.Fields(r.text), " "))
}

// isNetworkError reports whether err is a failure to reach a server at
// all (DNS, connect, TLS, timeout) rather than a server's answer.
func isNetworkError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// runChecks runs every check after the configuration's, in order.
func runChecks(ctx context.Context, cfg *config.Config) []checkResult {
	ctx, cancel := context.WithTimeout(ctx, 2*startupCheckTimeout)
	defer cancel()
	api, _ := newSlack(cfg.Slack)
	var rs []checkResult
	if cfg.Storage.Backend == config.StorageEtcd {
		rs = append(rs, checkEtcd(ctx, cfg.Storage.Etcd))
	}
	rs = append(rs, checkSlackBot(ctx, api), checkSlackApp(ctx, cfg.Slack))
	rs = append(rs, checkDefender(ctx, cfg)...)
	return append(rs, checkGroups(ctx, api, cfg.Slack, cfg.Policy.Rules)...)
}

// checkEtcd reads the schema under storage.etcd.prefix, writing nothing.
func checkEtcd(ctx context.Context, cfg config.Etcd) checkResult {
	empty, err := etcdstore.Probe(ctx, etcdConfig(cfg, nil))
	switch {
	case err != nil:
		return checkResult{text: fmt.Sprintf("etcd (storage.etcd.endpoints %s): %v: check that etcd runs and this host reaches it, storage.etcd.tls and username (%s)",
			strings.Join(cfg.Endpoints, ","), err, config.EnvEtcdPassword)}
	case empty:
		return checkResult{ok: true, text: fmt.Sprintf("etcd answers at %s; prefix %s is empty (the first mdebot serve initializes it)", strings.Join(cfg.Endpoints, ","), cfg.Prefix)}
	}
	return checkResult{ok: true, text: fmt.Sprintf("etcd answers at %s; prefix %s holds an mdebot store", strings.Join(cfg.Endpoints, ","), cfg.Prefix)}
}

// checkSlackBot calls auth.test with the bot token.
func checkSlackBot(ctx context.Context, api *slack.Client) checkResult {
	resp, err := api.AuthTestContext(ctx)
	if err == nil {
		return checkResult{ok: true, text: fmt.Sprintf("Slack accepted SLACK_BOT_TOKEN (auth.test: team %s, bot user %s)", resp.Team, resp.UserID)}
	}
	if code, refused := bot.AuthErrorCode(err); refused {
		return checkResult{text: fmt.Sprintf("Slack refused SLACK_BOT_TOKEN (%s): set it to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions)", code)}
	}
	return checkResult{text: fmt.Sprintf("Slack auth.test failed: %v: check SLACK_API_URL and the network path to Slack (a proxy: HTTPS_PROXY)", err)}
}

// checkSlackApp asks for a Socket Mode URL with the app-level token,
// without connecting to it.
func checkSlackApp(ctx context.Context, cfg config.Slack) checkResult {
	api := slack.New(cfg.BotToken.Reveal(), slack.OptionAppLevelToken(cfg.AppToken.Reveal()),
		slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(newHTTPClient(slackTimeout)))
	_, _, err := api.StartSocketModeContext(ctx)
	if err == nil {
		return checkResult{ok: true, text: "Slack accepted SLACK_APP_TOKEN (apps.connections.open)"}
	}
	if code, refused := bot.AuthErrorCode(err); refused {
		return checkResult{text: fmt.Sprintf("Slack refused SLACK_APP_TOKEN (%s): set it to an app-level token (xapp-…) with connections:write (Basic Information → App-Level Tokens) and enable Socket Mode", code)}
	}
	if isNetworkError(err) {
		return checkResult{text: fmt.Sprintf("Slack apps.connections.open failed: %v: check SLACK_API_URL (%s) and the network path to Slack (a proxy: HTTPS_PROXY)", err, cfg.APIURL)}
	}
	return checkResult{text: fmt.Sprintf("Slack apps.connections.open failed: %v: check that Socket Mode is enabled for the app", err)}
}

// slackErrorCode is Slack's error string in err ("invalid_auth"), or err's
// text.
func slackErrorCode(err error) string {
	var serr slack.SlackErrorResponse
	if errors.As(err, &serr) {
		return serr.Err
	}
	return err.Error()
}

// checkDefender gets a token from Entra ID, then reads one machine.
func checkDefender(ctx context.Context, cfg *config.Config) []checkResult {
	mde, tokens, err := newDefender(cfg, nil)
	if err != nil {
		return []checkResult{{text: fmt.Sprintf("Defender client: %v", err)}}
	}
	if _, err := tokens.Token(ctx); err != nil {
		return []checkResult{{text: entraFix(err, cfg.Defender.Scope)}, {skipped: true,
			text: "Defender GET /api/machines?$top=1 skipped: it needs the token Entra ID did not issue (above)"}}
	}
	rs := []checkResult{{ok: true, text: "Entra ID issued a Defender token (tenant " + cfg.Azure.TenantID + ", client " + cfg.Azure.ClientID + ", " + credentialKind(cfg.Azure) + ")"}}
	ms, err := mde.Machines.List(ctx, defender.ListOptions{PageSize: 1, Limit: 1})
	var de *defender.Error
	switch {
	case err == nil:
		rs = append(rs, checkResult{ok: true, text: fmt.Sprintf("Defender answered GET /api/machines?$top=1 (%d machine)", len(ms))})
		rs = append(rs, checkRuleGroups(ctx, mde, policyFrom(cfg))...)
	case errors.As(err, &de) && de.StatusCode == http.StatusForbidden:
		rs = append(rs, checkResult{text: fmt.Sprintf("Defender refused GET /api/machines (403 %s): grant the app the WindowsDefenderATP application permissions it lacks (Machine.Read.All among them) and grant admin consent", de.Message)})
	case errors.As(err, &de) && de.StatusCode == http.StatusUnauthorized:
		rs = append(rs, checkResult{text: "Defender refused the token (401): check MDE_SCOPE (now " + cfg.Defender.Scope + "), MDE_API_URL and MDE_CLOUD"})
	default:
		rs = append(rs, checkResult{text: fmt.Sprintf("Defender GET /api/machines?$top=1 failed: %v: check MDE_API_URL (%s) and the network path to it (a proxy: HTTPS_PROXY)", err, cfg.Defender.APIURL)})
	}
	return rs
}

// entraFix turns a token error into the report's ✗ line; scope is the one
// requested (MDE_SCOPE, or MDE_CLOUD's).
func entraFix(err error, scope string) string {
	code, desc, ok := entraRefusal(err)
	if !ok {
		return fmt.Sprintf("Entra ID did not issue a token: %v: check AZURE_AUTHORITY_HOST and the network path to it (a proxy: HTTPS_PROXY)", err)
	}
	aadsts, _, _ := strings.Cut(desc, ":")
	switch aadsts {
	case "AADSTS7000215", "AADSTS7000222":
		return fmt.Sprintf("AZURE_CLIENT_SECRET was refused by Entra ID (%s): create a new client secret in the app registration (Certificates & secrets) and set AZURE_CLIENT_SECRET to its Value, not its Secret ID", aadsts)
	case "AADSTS700027", "AADSTS700023":
		return fmt.Sprintf("the client certificate was refused by Entra ID (%s): upload the certificate of AZURE_CLIENT_CERTIFICATE_PATH to the app registration (Certificates & secrets)", aadsts)
	case "AADSTS700016":
		return fmt.Sprintf("AZURE_CLIENT_ID is not an application in the tenant (%s): set it to the app registration's Application (client) ID", aadsts)
	case "AADSTS90002", "AADSTS900023":
		return fmt.Sprintf("AZURE_TENANT_ID was not found (%s): set it to the Directory (tenant) ID of the app registration", aadsts)
	case "AADSTS70011", "AADSTS500011":
		return fmt.Sprintf("Entra ID refused the scope (%s): check MDE_SCOPE (now %s) and MDE_CLOUD", aadsts, scope)
	}
	return fmt.Sprintf("Entra ID refused the credential (%s: %s): check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH", code, desc)
}

// checkGroups resolves every user group (S…) the policy names, once each.
func checkGroups(ctx context.Context, api *slack.Client, cfg config.Slack, rules []config.Rule) []checkResult {
	var order []string
	keys := map[string][]string{}
	lists := []struct {
		key string
		ids []string
	}{{"slack.requesters", cfg.Requesters}, {"slack.approvers", cfg.Approvers}, {"slack.auditors", cfg.Auditors}}
	for i, r := range rules {
		lists = append(lists, struct {
			key string
			ids []string
		}{fmt.Sprintf("policy.rules[%d].approvers", i), r.Approvers})
	}
	for _, list := range lists {
		for _, id := range list.ids {
			if !approvals.IsGroupID(id) || slices.Contains(keys[id], list.key) {
				continue
			}
			if keys[id] == nil {
				order = append(order, id)
			}
			keys[id] = append(keys[id], list.key)
		}
	}
	var rs []checkResult
	for _, id := range order {
		where := strings.Join(keys[id], ", ")
		members, err := api.GetUserGroupMembersContext(ctx, id)
		if err == nil && len(members) == 0 {
			rs = append(rs, checkResult{text: fmt.Sprintf("user group %s (%s) has no members, so it grants nobody anything: add people to it or fix %s", id, where, where)})
			continue
		}
		if err == nil {
			rs = append(rs, checkResult{ok: true, text: fmt.Sprintf("user group %s (%s) resolves to %d members", id, where, len(members))})
			continue
		}
		switch code := slackErrorCode(err); code {
		case "no_such_subteam", "subteam_not_found":
			rs = append(rs, checkResult{text: fmt.Sprintf("user group %s not found: check %s; the bot needs usergroups:read", id, where)})
		case "missing_scope":
			rs = append(rs, checkResult{text: fmt.Sprintf("user group %s (%s) cannot be read: add the usergroups:read bot scope and reinstall the app", id, where)})
		default:
			if isNetworkError(err) {
				rs = append(rs, checkResult{text: fmt.Sprintf("user group %s (%s) could not be resolved: %v: check SLACK_API_URL and the network path to Slack", id, where, err)})
				continue
			}
			rs = append(rs, checkResult{text: fmt.Sprintf("user group %s (%s) could not be resolved (%s): check %s; the bot needs usergroups:read", id, where, code, where)})
		}
	}
	return rs
}
