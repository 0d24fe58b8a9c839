package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"testing"
)

// checkEnvNames checks an environment file example: every name it
// mentions is one mdebot (or Go) reads, and it sets every variable
// config requires.
func checkEnvNames(t *testing.T, path string, f envFile, known map[string]bool) {
	t.Helper()
	for _, name := range f.mentioned {
		if !known[name] && !goEnvNames[name] {
			t.Errorf("%s names %s, which mdebot does not read", path, name)
		}
	}
	for _, name := range requiredEnvNames(t) {
		if _, ok := f.set[name]; !ok {
			t.Errorf("%s does not set %s, which mdebot requires", path, name)
		}
	}
}

func TestConfigReadsTheVariablesTheDeploymentFilesName(t *testing.T) {
	// The check the other tests rely on: the names config reads include
	// the ones every deployment needs, and the required ones among them.
	known := configEnvNames(t)
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
		"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "MDE_CLOUD", "AZURE_AUTHORITY_HOST", "MDE_API_URL", "MDE_SCOPE"} {
		if !known[name] {
			t.Errorf("config does not read %s, which docs/ and deploy/ describe", name)
		}
	}
	if req := requiredEnvNames(t); !slices.Contains(req, "SLACK_APP_TOKEN") {
		t.Errorf("required variables %v lack SLACK_APP_TOKEN", req)
	}
}

// envMentionRE matches what looks like one of mdebot's variables in prose.
var envMentionRE = regexp.MustCompile(`\b(?:SLACK|AZURE|MDE)_[A-Z0-9_]*[A-Z0-9]\b`)

func TestTheDocsAndDeploymentFilesNameOnlyVariablesMdebotReads(t *testing.T) {
	known := configEnvNames(t)
	files := []string{"Dockerfile", "systemd/mdebot.service", "systemd/mdebot.env.example",
		"kubernetes/deployment.yaml", "kubernetes/kustomization.yaml", "kubernetes/mdebot.env.example"}
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no docs/*.md found")
	}
	files = append(files, docs...)
	unknown := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range envMentionRE.FindAllString(string(data), -1) {
			if !known[name] {
				unknown[name] = append(unknown[name], f)
			}
		}
	}
	names := make([]string, 0, len(unknown))
	for n := range unknown {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Errorf("%s is named in %v but mdebot does not read it", n, slices.Compact(unknown[n]))
	}
}
