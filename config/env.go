package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/internal/suggest"
	"github.com/mdebot/mdebot/secret"
)

// envReader reads and checks the environment variables into cfg.
type envReader struct {
	getenv   func(string) string
	cfg      *Config
	problems Problems
}

func (e *envReader) problemf(key, format string, args ...any) {
	e.problems = append(e.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// get returns the variable's value with surrounding space trimmed (a
// trailing newline from a secrets file is a common mistake).
func (e *envReader) get(key string) string { return strings.TrimSpace(e.getenv(key)) }

// required returns the variable's value, or reports that it is missing.
func (e *envReader) required(key, what string) string {
	v := e.get(key)
	if v == "" {
		e.problemf(key, "%s is not set: %s", key, what)
	}
	return v
}

// token returns a required Slack token that must start with prefix. A bad
// token is reported without any of its characters.
func (e *envReader) token(key, prefix, what string) secret.Value {
	v := e.required(key, what+" ("+prefix+"…)")
	if v != "" && !strings.HasPrefix(v, prefix) {
		e.problemf(key, "%s does not start with %q: it must be %s", key, prefix, what)
	}
	return secret.New(v)
}

// url returns the variable's value, or def when unset, checked to be an
// absolute https URL. Plain http is accepted only for a loopback host
// (localhost, 127.0.0.0/8, ::1), such as a local fake, since the bot sends
// bearer tokens there; with httpsOnly, not even then.
func (e *envReader) url(key, def string, httpsOnly bool) string {
	v := e.get(key)
	if v == "" {
		return def
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		e.problemf(key, "%s: %q is not an absolute URL such as %s", key, v, def)
	case httpsOnly && u.Scheme != "https":
		e.problemf(key, "%s: %q must be an https URL", key, v)
	case u.Scheme != "https" && u.Scheme != "http":
		e.problemf(key, "%s: %q must be an http or https URL", key, v)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		e.problemf(key, "%s: %q must be an https URL: plain http is accepted only for a loopback host (localhost, 127.0.0.1, ::1), since mdebot sends its tokens there", key, v)
	case u.User != nil:
		e.problemf(key, "%s must not carry credentials in the URL", key)
	default:
		return v
	}
	return def
}

// read fills the environment's part of cfg.
func (e *envReader) read() {
	s := &e.cfg.Slack
	s.AppToken = e.token("SLACK_APP_TOKEN", "xapp-", "the Slack app-level token with connections:write, for Socket Mode")
	s.BotToken = e.token("SLACK_BOT_TOKEN", "xoxb-", "the Slack bot token")
	s.APIURL = e.url("SLACK_API_URL", DefaultSlackAPIURL, false)
	if !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/" // slack-go appends method names to it
	}

	a := &e.cfg.Azure
	a.TenantID = e.required("AZURE_TENANT_ID", "the Entra ID tenant (directory) id")
	a.ClientID = e.required("AZURE_CLIENT_ID", "the Entra ID application (client) id")
	a.ClientSecret = secret.New(e.get("AZURE_CLIENT_SECRET"))
	a.CertificatePath = e.get("AZURE_CLIENT_CERTIFICATE_PATH")
	switch {
	case a.ClientSecret.IsZero() && a.CertificatePath == "":
		e.problemf("AZURE_CLIENT_SECRET", "neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set: set one to authenticate to Entra ID")
	case !a.ClientSecret.IsZero() && a.CertificatePath != "":
		e.problemf("AZURE_CLIENT_SECRET", "both AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH are set: set only one")
	}
	cloud := e.cloud()
	a.AuthorityHost = e.url("AZURE_AUTHORITY_HOST", cloud.AuthorityHost(), true)

	d := &e.cfg.Defender
	d.Cloud = cloud
	d.APIURL = e.url("MDE_API_URL", cloud.BaseURL(), false)
	d.Scope = e.get("MDE_SCOPE")
	if d.Scope == "" {
		d.Scope = cloud.Scope()
	}

	e.readAudit()
	e.cfg.Storage.Etcd.Password = EtcdPassword(e.getenv)
}

// readAudit reads the audit key (MDEBOT_AUDIT_KEY or
// MDEBOT_AUDIT_KEY_FILE) into cfg.Audit.
func (e *envReader) readAudit() {
	au := &e.cfg.Audit
	key := e.get("MDEBOT_AUDIT_KEY")
	au.KeyFile = e.get("MDEBOT_AUDIT_KEY_FILE")
	switch {
	case key != "" && au.KeyFile != "":
		e.problemf("MDEBOT_AUDIT_KEY", "both MDEBOT_AUDIT_KEY and MDEBOT_AUDIT_KEY_FILE are set: set only one")
	case key != "" && len(key) < MinAuditKeyLen:
		e.problemf("MDEBOT_AUDIT_KEY", "MDEBOT_AUDIT_KEY has %d characters, fewer than %d: use a random key (openssl rand -hex 32)", len(key), MinAuditKeyLen)
	default:
		au.Key = secret.New(key)
	}
}

// loopbackHost reports whether host (a URL's host name, without port or
// brackets) names this machine: localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// cloud returns the MDE_CLOUD preset (commercial when unset), whose hosts
// and scope AZURE_AUTHORITY_HOST, MDE_API_URL and MDE_SCOPE default to.
func (e *envReader) cloud() defender.Cloud {
	v := e.get("MDE_CLOUD")
	c, err := defender.ParseCloud(v)
	if err != nil {
		names := make([]string, 0, len(defender.Clouds()))
		for _, k := range defender.Clouds() {
			names = append(names, string(k))
		}
		msg := fmt.Sprintf("MDE_CLOUD: %.32q is not a Defender cloud: use one of %s", v, strings.Join(names, ", "))
		if s := suggest.Closest(strings.ToLower(v), names, 2); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		e.problemf("MDE_CLOUD", "%s", msg)
		return defender.CloudCommercial
	}
	return c
}
