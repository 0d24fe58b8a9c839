package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot"
	"github.com/mdebot/mdebot/config"
)

// TestMain lets the end-to-end tests run this test binary as mdebot itself:
// with childEnv set, it is main() with the child's arguments.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		return // not reached: main exits
	}
	code := m.Run()
	stopEtcd()
	os.Exit(code)
}

// runMain runs Main in-process with args and env, returning the exit code,
// stdout and stderr.
func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Args: args, Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errOut}
	code := m.Run(t.Context())
	return code, out.String(), errOut.String()
}

func TestManifestPrintsTheEmbeddedFile(t *testing.T) {
	code, out, errOut := runMain(t, nil, "manifest")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != string(mdebot.Manifest) {
		t.Fatal("mdebot manifest printed something other than manifest.yaml")
	}
}

func TestManifestRefusesArguments(t *testing.T) {
	if code, _, _ := runMain(t, nil, "manifest", "extra"); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
}

func TestUnknownCommandExitsWithAHint(t *testing.T) {
	code, out, errOut := runMain(t, nil, "frobnicate")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if out != "" || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "mdebot help") {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
}

func TestHelpTeachesCommandsEnvironmentAndExample(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		code, out, _ := runMain(t, nil, arg)
		if code != exitOK {
			t.Fatalf("%s: exit %d", arg, code)
		}
		want := []string{"serve --config FILE", "manifest", "config/example.yaml"}
		for _, k := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "AZURE_TENANT_ID",
			"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_AUTHORITY_HOST",
			"MDE_CLOUD", "MDE_API_URL", "MDE_SCOPE", "SSL_CERT_FILE"} {
			want = append(want, k)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: help does not mention %q", arg, w)
			}
		}
	}
}

func TestNoArgumentsPrintsUsageAsAnError(t *testing.T) {
	code, out, errOut := runMain(t, nil)
	if code != exitUsage || out != "" || !strings.Contains(errOut, "mdebot serve") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestServeHelpListsTheConfigFlag(t *testing.T) {
	code, out, _ := runMain(t, nil, "serve", "-h")
	if code != exitOK || !strings.Contains(out, "-config FILE") || !strings.Contains(out, "SIGTERM") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

func TestServeCommandLineMistakesAreUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no config":      {"serve"},
		"unknown flag":   {"serve", "--confg", "x.yaml"},
		"extra argument": {"serve", "--config", "x.yaml", "now"},
	} {
		code, _, errOut := runMain(t, nil, args...)
		if code != exitUsage || !strings.HasPrefix(errOut, "mdebot serve: ") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut)
		}
	}
}

func TestServeWithAMissingConfigFileSaysWhichFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	code, _, errOut := runMain(t, nil, "serve", "--config", path)
	if code != exitFatal || !strings.HasPrefix(errOut, "mdebot: ") || !strings.Contains(errOut, path) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestServeWithABadConfigPrintsEveryProblemOnItsOwnLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	yaml := "storage:\n  pth: /tmp/x.db\nslack:\n  approvers: [bob]\npolicy:\n  approvals:\n    isolate: 9\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_TENANT_ID": defaultTenant}
	code, out, errOut := runMain(t, env, "serve", "--config", path)
	if code != exitFatal || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}

	_, err := config.Load(path, func(k string) string { return env[k] })
	var ps config.Problems
	if !errors.As(err, &ps) || len(ps) < 6 {
		t.Fatalf("config.Load = %v, want several problems", err)
	}
	var want []string
	for _, p := range ps {
		want = append(want, p.Error())
	}
	want = append(want, "mdebot: "+strconv.Itoa(len(ps))+` configuration problems; see config/example.yaml and "mdebot help"`)
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	for _, named := range []string{path + ":2: ", `"storage.path"`, "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} {
		if !strings.Contains(errOut, named) {
			t.Errorf("stderr does not name %q:\n%s", named, errOut)
		}
	}
}

func TestSweepIntervalIsATenthOfTheTTLWithinBounds(t *testing.T) {
	got := []string{sweepInterval(time.Second).String(), sweepInterval(time.Minute).String(), sweepInterval(30 * time.Minute).String(), sweepInterval(0).String()}
	if diff := cmp.Diff([]string{"100ms", "6s", "15s", "100ms"}, got); diff != "" {
		t.Error(diff)
	}
}
