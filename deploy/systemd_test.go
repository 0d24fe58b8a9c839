package deploy

import (
	"bufio"
	"bytes"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// unit is a parsed systemd unit file: section → key → values, in order
// (a key may repeat). Commented-out directives are kept apart, in
// commented, as suggestions to check too.
type unit struct {
	sections  map[string]map[string][]string
	commented map[string][]string
}

// readUnit parses the systemd unit at p (no line continuations).
func readUnit(t *testing.T, p string) unit {
	t.Helper()
	u := unit{sections: map[string]map[string][]string{}, commented: map[string][]string{}}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, p)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u.sections[section] = map[string][]string{}
		case strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			k, v, ok := strings.Cut(strings.TrimLeft(line, "#; "), "=")
			if ok && !strings.Contains(k, " ") && k != "" && k[0] >= 'A' && k[0] <= 'Z' {
				u.commented[k] = append(u.commented[k], v)
			}
		case section == "":
			t.Errorf("%s:%d: %q outside a section", p, n, line)
		case strings.HasSuffix(line, `\`):
			t.Errorf("%s:%d: line continuations are not supported here", p, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s:%d: %q is not Key=value", p, n, line)
				continue
			}
			k = strings.TrimSpace(k)
			u.sections[section][k] = append(u.sections[section][k], strings.TrimSpace(v))
		}
	}
	return u
}

// get returns the last value of section's key ("" if unset).
func (u unit) get(section, key string) string {
	vs := u.sections[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// parseSystemdTime parses a systemd time span such as "45s", "1min 30s" or
// "90" (seconds).
func parseSystemdTime(s string) (time.Duration, bool) {
	units := map[string]time.Duration{"": time.Second, "s": time.Second, "sec": time.Second,
		"m": time.Minute, "min": time.Minute, "ms": time.Millisecond}
	var total time.Duration
	for _, f := range strings.Fields(s) {
		i := strings.IndexFunc(f, func(r rune) bool { return r < '0' || r > '9' })
		if i == 0 {
			return 0, false
		}
		if i < 0 {
			i = len(f)
		}
		u, ok := units[f[i:]]
		if !ok {
			return 0, false
		}
		total += time.Duration(atoi(f[:i])) * u
	}
	return total, s != ""
}

func TestTheSystemdUnitServesTheConfigFromTheStateDirectory(t *testing.T) {
	u := readUnit(t, "systemd/mdebot.service")
	exec := strings.Fields(u.get("Service", "ExecStart"))
	if len(exec) < 2 || path.Base(exec[0]) != "mdebot" || exec[1] != "serve" {
		t.Fatalf("ExecStart = %q, want mdebot serve --config FILE", exec)
	}
	if got := configArg(exec); got != "/etc/mdebot/mdebot.yaml" {
		t.Errorf("ExecStart reads --config %q, want /etc/mdebot/mdebot.yaml (the documented path)", got)
	}
	state := u.get("Service", "StateDirectory")
	if state == "" {
		t.Fatal("no StateDirectory= for the bbolt file")
	}
	// config/example.yaml is the file the docs tell systemd users to start
	// from: its storage.path must be in the state directory.
	cfg := parseConfig(t, "../config/example.yaml")
	if dir := path.Dir(cfg.Storage.Path); dir != path.Join("/var/lib", state) {
		t.Errorf("config/example.yaml's storage.path %s is not in StateDirectory=%s (/var/lib/%s)", cfg.Storage.Path, state, state)
	}
	if u.get("Service", "DynamicUser") != "yes" && u.get("Service", "User") == "" {
		t.Error("the unit runs as root: set DynamicUser=yes or User=")
	}
}

func TestTheSystemdUnitStopsGracefullyAndRestartsOnFailure(t *testing.T) {
	u := readUnit(t, "systemd/mdebot.service")
	if got := u.get("Service", "KillSignal"); got != "SIGTERM" {
		t.Errorf("KillSignal = %q, want SIGTERM (mdebot's graceful stop)", got)
	}
	stop, ok := parseSystemdTime(u.get("Service", "TimeoutStopSec"))
	if !ok || stop < mdebotShutdownGrace+stopMargin {
		t.Errorf("TimeoutStopSec = %q, want at least %s (mdebot's graceful stop takes up to %s)",
			u.get("Service", "TimeoutStopSec"), mdebotShutdownGrace+stopMargin, mdebotShutdownGrace)
	}
	if got := u.get("Service", "Restart"); got != "on-failure" {
		t.Errorf("Restart = %q, want on-failure", got)
	}
}

func TestTheSystemdUnitIsHardened(t *testing.T) {
	u := readUnit(t, "systemd/mdebot.service")
	want := map[string]string{
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"CapabilityBoundingSet":   "",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"UMask":                   "0077",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = u.get("Service", k)
		if _, set := u.sections["Service"][k]; !set {
			got[k] = "(unset)"
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hardening directives (-want +got):\n%s", diff)
	}
	families := strings.Fields(u.get("Service", "RestrictAddressFamilies"))
	if diff := cmp.Diff([]string{"AF_UNIX", "AF_INET", "AF_INET6"}, families); diff != "" {
		t.Errorf("RestrictAddressFamilies (-want +got):\n%s", diff)
	}
	if u.get("Service", "SystemCallFilter") == "" {
		t.Error("no SystemCallFilter=")
	}
}

func TestTheSystemdUnitReadsSecretsFromTheEnvironmentFile(t *testing.T) {
	u := readUnit(t, "systemd/mdebot.service")
	if got := u.get("Service", "EnvironmentFile"); strings.TrimPrefix(got, "-") != "/etc/mdebot/mdebot.env" {
		t.Errorf("EnvironmentFile = %q, want /etc/mdebot/mdebot.env", got)
	}
	known := configEnvNames(t)
	var envs []string
	envs = append(envs, u.sections["Service"]["Environment"]...)
	envs = append(envs, u.commented["Environment"]...)
	for _, e := range envs {
		for _, a := range strings.Fields(e) {
			name, _, _ := strings.Cut(strings.Trim(a, `"`), "=")
			if !known[name] && !goEnvNames[name] {
				t.Errorf("Environment=%s: mdebot does not read %s", e, name)
			}
		}
	}
	example := readEnvFile(t, "systemd/mdebot.env.example")
	checkEnvNames(t, "systemd/mdebot.env.example", example, known)
	for name, v := range example.set {
		if v != "" {
			t.Errorf("mdebot.env.example sets %s=%q: leave the values empty", name, v)
		}
	}
}
