package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mdebot/mdebot/config"
)

// mdebotShutdownGrace is how long mdebot waits for the bot to stop after
// SIGTERM: cmd/mdebot's shutdownGrace, unexported in package main, so
// copied here. Every stop timeout must exceed it.
const mdebotShutdownGrace = 30 * time.Second

// stopMargin is the time a stop timeout leaves, beyond
// mdebotShutdownGrace, for closing the database and exiting.
const stopMargin = 5 * time.Second

// readFile returns the content of a file of this directory (or of the
// repository, with a "../" path), failing the test if it cannot.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decodeYAML decodes the YAML document in path into out.
func decodeYAML(t *testing.T, path string, out any) {
	t.Helper()
	if err := yaml.Unmarshal(readFile(t, path), out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// envNameRE matches an assignment in an environment file: NAME=value,
// also commented out (#NAME=value, # NAME=value), which suggests a value.
var envNameRE = regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]*)=(.*)$`)

// envFile is an environment file's variables: set are the uncommented
// assignments (name → value), mentioned every name assigned, commented
// out or not.
type envFile struct {
	set       map[string]string
	mentioned []string
}

// readEnvFile parses an environment file (systemd EnvironmentFile= or
// kustomize envs:) at path.
func readEnvFile(t *testing.T, path string) envFile {
	t.Helper()
	f := envFile{set: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, path)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		m := envNameRE.FindStringSubmatch(line)
		if m == nil {
			if line != "" && !strings.HasPrefix(line, "#") {
				t.Errorf("%s:%d: %q is neither NAME=value nor a comment", path, n, line)
			}
			continue
		}
		f.mentioned = append(f.mentioned, m[1])
		if !strings.HasPrefix(line, "#") {
			if _, dup := f.set[m[1]]; dup {
				t.Errorf("%s:%d: %s is set twice", path, n, m[1])
			}
			f.set[m[1]] = m[2]
		}
	}
	return f
}

// configEnvNames returns the environment variables package config reads:
// the names config.Parse asks its getenv for. config exports no list, so
// this asks the code itself.
func configEnvNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	_, _ = config.Parse("example.yaml", []byte(config.Example), func(k string) string {
		names[k] = true
		return ""
	})
	if len(names) == 0 {
		t.Fatal("config.Parse read no environment variable")
	}
	return names
}

// requiredEnvNames returns the variables config.Parse reports as a
// problem when the environment is empty.
func requiredEnvNames(t *testing.T) []string {
	t.Helper()
	_, err := config.Parse("example.yaml", []byte(config.Example), nil)
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("config.Parse with an empty environment: got %v, want Problems", err)
	}
	var names []string
	for _, p := range ps {
		if p.File == "" {
			names = append(names, p.Key)
		}
	}
	return names
}

// goEnvNames are variables mdebot does not read itself but Go's standard
// library honours: its TLS trust store and HTTP proxy settings (used by
// both the Web API and the Socket Mode connections).
var goEnvNames = map[string]bool{
	"SSL_CERT_FILE": true, "SSL_CERT_DIR": true,
	"HTTPS_PROXY": true, "HTTP_PROXY": true, "NO_PROXY": true,
}

// fakeEnv is an environment config.Parse accepts: fake values for the
// required variables.
func fakeEnv(name string) string {
	switch name {
	case "SLACK_APP_TOKEN":
		return "xapp-1-fake"
	case "SLACK_BOT_TOKEN":
		return "xoxb-fake"
	case "AZURE_TENANT_ID", "AZURE_CLIENT_ID":
		return "00000000-0000-0000-0000-000000000000"
	case "AZURE_CLIENT_SECRET":
		return "fake-secret"
	}
	return ""
}

// parseConfig parses the configuration file at path with fakeEnv, failing
// the test on any problem.
func parseConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(path, readFile(t, path), fakeEnv)
	if err != nil {
		t.Fatalf("config.Parse(%s): %v", path, err)
	}
	return cfg
}
