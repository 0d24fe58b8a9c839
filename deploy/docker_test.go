package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

// readDockerfile parses the Dockerfile at p.
func readDockerfile(t *testing.T, p string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, p)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		cont := strings.HasSuffix(line, `\`)
		cur.WriteString(strings.TrimSuffix(line, `\`))
		if cont {
			cur.WriteString(" ")
			continue
		}
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// execForm decodes an exec-form argument (["a", "b"]), failing the test on
// the shell form.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var args []string
	if err := json.Unmarshal([]byte(in.args), &args); err != nil {
		t.Errorf("%s %s is not in exec form: %v", in.cmd, in.args, err)
	}
	return args
}

// goDirectiveRE finds go.mod's go line.
var goDirectiveRE = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)

func TestTheImageBuildsAStaticBinaryWithTheModulesGoVersion(t *testing.T) {
	ins := readDockerfile(t, "Dockerfile")
	var froms, runs []string
	args := map[string]string{}
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			froms = append(froms, in.args)
		case "RUN":
			runs = append(runs, in.args)
		case "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		}
	}
	if len(froms) != 2 {
		t.Fatalf("FROM %q: want a build stage and a runtime stage", froms)
	}
	m := goDirectiveRE.FindSubmatch(readFile(t, "../go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	build := strings.ReplaceAll(froms[0], "${GO_VERSION}", args["GO_VERSION"])
	if !strings.HasPrefix(build, "golang:"+string(m[1])+" ") {
		t.Errorf("the build stage is FROM %s, want golang:%s (go.mod's go line)", build, m[1])
	}
	if runtime := froms[1]; runtime != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("the runtime stage is FROM %s, want gcr.io/distroless/static-debian12:nonroot", runtime)
	}
	built := false
	for _, r := range runs {
		if strings.Contains(r, "CGO_ENABLED=0 go build -trimpath") && strings.Contains(r, "./cmd/mdebot") {
			built = true
		}
	}
	if !built {
		t.Errorf("no RUN builds ./cmd/mdebot with CGO_ENABLED=0 and -trimpath: %q", runs)
	}
}

func TestTheImageRunsAsTheKubernetesUserWithTheKubernetesLayout(t *testing.T) {
	ins := readDockerfile(t, "Dockerfile")
	k := readK8s(t)
	cfg := parseConfig(t, "kubernetes/mdebot.yaml")
	got := map[string]string{}
	var entrypoint, cmd []string
	for _, in := range ins {
		switch in.cmd {
		case "ENTRYPOINT":
			entrypoint = execForm(t, in)
		case "CMD":
			cmd = execForm(t, in)
		default:
			got[in.cmd] = in.args
		}
	}
	_, port, _ := strings.Cut(cfg.Admin.Listen, ":")
	want := map[string]string{
		"USER":       "65532:65532",
		"EXPOSE":     port,
		"VOLUME":     `["` + path.Dir(cfg.Storage.Path) + `"]`,
		"STOPSIGNAL": "SIGTERM",
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			delete(got, key)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Dockerfile instructions (-want +got):\n%s", diff)
	}
	if uid := k.pod.SecurityContext.RunAsUser; uid == nil || *uid != 65532 {
		t.Errorf("the pod runs as uid %s, the image as 65532", show(uid))
	}
	if diff := cmp.Diff([]string{"/mdebot"}, entrypoint); diff != "" {
		t.Errorf("ENTRYPOINT (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(k.c.Args, cmd); diff != "" {
		t.Errorf("CMD differs from the Deployment's args (-deployment +Dockerfile):\n%s", diff)
	}
}

// ignoreRE compiles one .dockerignore pattern: "**" crosses directories,
// "*" and "?" do not; a pattern matching a directory matches what is in it.
func ignoreRE(pattern string) *regexp.Regexp {
	p := strings.TrimPrefix(path.Clean(strings.TrimPrefix(pattern, "/")), "./")
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	b.WriteString("(?:/.*)?$")
	return regexp.MustCompile(b.String())
}

func TestTheIgnoreRulesMatchLikeDocker(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{".git", ".git/config", true},
		{"**/*_test.go", "bot/bot_test.go", true},
		{"**/*_test.go", "main_test.go", true},
		{"**/testdata", "bot/testdata/x.golden.json", true},
		{"*.db", "bot/x.db", false},
		{"/mdebot", "cmd/mdebot/main.go", false},
		{"deploy", "deploy/Dockerfile", true},
		{"docs", "docsy/x.go", false},
	} {
		if got := ignoreRE(tc.pattern).MatchString(tc.path); got != tc.want {
			t.Errorf("pattern %q on %q: got %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

func TestTheBuildContextKeepsEveryFileTheBinaryIsBuiltFrom(t *testing.T) {
	var patterns []*regexp.Regexp
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "Dockerfile.dockerignore")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf("exceptions (%s) are not supported by this test", line)
		}
		patterns = append(patterns, ignoreRE(line))
	}

	// The module's files ./cmd/mdebot is compiled from, embedded files
	// included, relative to the repository root.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the build's files")
	}
	list := exec.Command(goCmd, "list", "-deps", "-json=ImportPath,Dir,GoFiles,EmbedFiles,Module", "./cmd/mdebot")
	list.Dir = ".."
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	modDir := strings.TrimSpace(string(root))
	needed := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Main bool }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.Dir, modDir), "/")
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			needed = append(needed, path.Join(rel, f))
		}
	}
	if len(needed) < 10 {
		t.Fatalf("go list found only %v", needed)
	}
	for _, f := range needed {
		for _, re := range patterns {
			if re.MatchString(f) {
				t.Errorf("Dockerfile.dockerignore excludes %s (%s), which the build needs", f, re)
			}
		}
	}
}
