package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/playground"
)

// urlLine is the line "mdebot playground" prints once it is ready.
var urlLine = regexp.MustCompile(`^mdebot playground: open (http://127\.0\.0\.1:[0-9]+/) in your browser$`)

// pgRun is one "mdebot playground" run by Main in this process.
type pgRun struct {
	url    string
	stop   context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

// lineWriter hands each complete line written to it to a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(w.buf[:i]):
		default: // nobody reads further lines
		}
		w.buf = w.buf[i+1:]
	}
}

// startPlaygroundMain runs "mdebot playground --listen 127.0.0.1:0 --data
// dir args…" and waits for its URL line.
func startPlaygroundMain(t *testing.T, ctx context.Context, dir string, args ...string) *pgRun {
	t.Helper()
	runCtx, stop := context.WithCancel(context.Background())
	out := &lineWriter{lines: make(chan string, 4)}
	r := &pgRun{stop: stop, done: make(chan int, 1), stderr: &syncBuffer{}}
	m := &Main{
		Args:   append([]string{"playground", "--listen", "127.0.0.1:0", "--data", dir}, args...),
		Stdout: out,
		Stderr: r.stderr,
	}
	go func() { r.done <- m.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-r.done
	})
	select {
	case line := <-out.lines:
		sub := urlLine.FindStringSubmatch(line)
		if sub == nil {
			t.Fatalf("first line %q does not match %s", line, urlLine)
		}
		r.url = sub[1]
	case code := <-r.done:
		r.done <- code
		t.Fatalf("mdebot playground exited %d before printing its URL:\n%s", code, r.stderr.String())
	case <-ctx.Done():
		t.Fatalf("mdebot playground printed no URL:\n%s", r.stderr.String())
	}
	return r
}

// shutdown cancels the run as Ctrl-C does and returns its exit code.
func (r *pgRun) shutdown(t *testing.T, ctx context.Context) int {
	t.Helper()
	r.stop()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-ctx.Done():
		t.Fatal("mdebot playground did not stop after its context ended")
		return -1
	}
}

// state fetches the page state as user sees it.
func (r *pgRun) state(t *testing.T, user string) playground.State {
	t.Helper()
	res, err := http.Get(r.url + "api/state?user=" + user)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st playground.State
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// post sends a JSON body to the page's API as the page does.
func (r *pgRun) post(t *testing.T, path string, body any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(r.url+path, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Contains(answer, []byte(`"ok":true`)) {
		t.Fatalf("POST %s %s: %s %s", path, data, res.Status, answer)
	}
}

// waitState waits, following the page's event stream, until the state user
// sees satisfies cond, and returns it.
func (r *pgRun) waitState(t *testing.T, ctx context.Context, user, what string, cond func(playground.State) bool) playground.State {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /events: %v", err)
	}
	defer res.Body.Close()
	events := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event:") {
				select {
				case events <- struct{}{}:
				default:
				}
			}
		}
		close(events)
	}()
	for {
		st := r.state(t, user)
		if cond(st) {
			return st
		}
		select {
		case _, ok := <-events:
			if !ok && ctx.Err() == nil {
				t.Fatalf("the event stream ended while waiting for %s", what)
			}
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			got, _ := json.MarshalIndent(r.state(t, user).Messages, "", " ")
			t.Fatalf("%s never saw %s; messages:\n%s", user, what, got)
		}
	}
}

// findMessage returns the first message (or reply) whose text contains want.
func findMessage(ms []playground.StateMessage, want string) (playground.StateMessage, bool) {
	for _, m := range ms {
		if strings.Contains(m.Text, want) {
			return m, true
		}
		if r, ok := findMessage(m.Replies, want); ok {
			return r, true
		}
	}
	return playground.StateMessage{}, false
}

func has(want string) func(playground.State) bool {
	return func(st playground.State) bool {
		_, ok := findMessage(st.Messages, want)
		return ok
	}
}

func playgroundContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPlaygroundServesThePageAndTheRealBotAnswersHelp(t *testing.T) {
	ctx := playgroundContext(t)
	r := startPlaygroundMain(t, ctx, t.TempDir())

	res, err := http.Get(r.url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`data-testid="composer"`)) {
		t.Fatalf("GET %s: %s, the page has no composer", r.url, res.Status)
	}
	if !r.state(t, playground.ResponderID).BotConnected {
		t.Error("the URL was printed before the bot connected")
	}

	r.post(t, "api/command", map[string]string{"user": playground.ResponderID, "text": "/mde help"})
	st := r.waitState(t, ctx, playground.ResponderID, "the help", has("runs Microsoft Defender for Endpoint response actions"))
	if m, _ := findMessage(st.Messages, "runs Microsoft Defender"); !m.Ephemeral || !m.IsBot {
		t.Errorf("the help is %+v, want an ephemeral bot message", m)
	}
	if _, ok := findMessage(r.state(t, playground.Approver1ID).Messages, "runs Microsoft Defender"); ok {
		t.Error("another person sees Riley's help")
	}

	if code := r.shutdown(t, ctx); code != exitOK {
		t.Fatalf("exit %d after the context ended, want 0:\n%s", code, r.stderr.String())
	}
	if !strings.Contains(r.stderr.String(), "mdebot playground: stopped") {
		t.Errorf("stderr does not say it stopped:\n%s", r.stderr.String())
	}
}

func TestASecondPlaygroundStartShowsTheEarlierRequestAndItsCardStillEdits(t *testing.T) {
	ctx := playgroundContext(t)
	dir := t.TempDir()
	first := startPlaygroundMain(t, ctx, dir, "--action-time", "1s")
	first.post(t, "api/command", map[string]string{"user": playground.ResponderID, "text": "/mde isolate ws-0042 selective before the restart"})
	st := first.waitState(t, ctx, playground.ResponderID, "the request card", has("awaiting approval"))
	card, _ := findMessage(st.Messages, "awaiting approval")
	if code := first.shutdown(t, ctx); code != exitOK {
		t.Fatalf("first run exit %d:\n%s", code, first.stderr.String())
	}

	second := startPlaygroundMain(t, ctx, dir, "--action-time", "1s")
	if got, ok := findMessage(second.state(t, playground.Approver1ID).Messages, "awaiting approval"); !ok || got.TS != card.TS {
		t.Fatalf("after a restart the card %s is gone (found %+v)", card.TS, got)
	}
	second.post(t, "api/click", map[string]string{"user": playground.Approver1ID, "channel": playground.ChannelID,
		"ts": card.TS, "actionId": "mde_approve"})
	succeeded := func(st playground.State) bool {
		for _, m := range st.Messages {
			if m.TS == card.TS {
				_, replied := findMessage(m.Replies, "Defender: Succeeded")
				return replied && m.Edited && strings.Contains(m.Text, ": succeeded")
			}
		}
		return false
	}
	second.waitState(t, ctx, playground.ResponderID, "the card edited to succeeded with its thread", succeeded)
}

func TestPlaygroundHelpExplainsTheFlagsAndBadFlagsAreUsageErrors(t *testing.T) {
	code, out, _ := runMain(t, nil, "playground", "-h")
	if code != exitOK {
		t.Fatalf("playground -h: exit %d", code)
	}
	for _, want := range []string{"mdebot playground [--listen ADDR] [--data DIR]", "-listen ADDR", "127.0.0.1:8080",
		"-data DIR", "./mdebot-playground", "no Slack workspace", "Ctrl-C",
		"Usage: mdebot playground [--listen ADDR] [--data DIR] [--action-time D]\n", "-action-time duration"} {
		if !strings.Contains(out, want) {
			t.Errorf("playground -h does not mention %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runMain(t, nil, "playground", "--bogus"); code != exitUsage || !strings.Contains(errOut, "-bogus") {
		t.Errorf("playground --bogus: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runMain(t, nil, "playground", "extra"); code != exitUsage {
		t.Errorf("playground extra: exit %d, want %d", code, exitUsage)
	}
	if _, out, _ := runMain(t, nil, "help"); !strings.Contains(out, "mdebot playground") {
		t.Error("mdebot help does not mention the playground")
	}
}

func TestPlaygroundInAProcessStopsOnSIGINTWithExitStatus0(t *testing.T) {
	ctx := playgroundContext(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "playground", "--listen", "127.0.0.1:0", "--data", dir)
	cmd.Env = []string{childEnv + "=1"}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		done <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	select {
	case line := <-lines:
		if !urlLine.MatchString(line) {
			t.Fatalf("first line %q does not match %s", line, urlLine)
		}
	case <-ctx.Done():
		t.Fatalf("no URL line:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after SIGINT, want 0:\n%s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("the playground did not stop after SIGINT:\n%s", stderr.String())
	}
	for _, name := range []string{playground.DBFileName, playground.SlackStateFileName, playground.TenantStateFileName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("after SIGINT: %v", err)
		}
	}
}

// helpLine is a verb's line of the help: its usage and its example.
var helpLine = regexp.MustCompile("(?m)^`([^`]+)` .*Example: `([^`]+)`$")

func TestHelpExamplesNameMachinesThePlaygroundTenantHas(t *testing.T) {
	known := map[string]bool{}
	for _, m := range defendertest.DefaultMachines() {
		short, _, _ := strings.Cut(m.ComputerDNSName, ".")
		known[m.ComputerDNSName], known[short], known[m.LastIPAddress] = true, true, true
	}
	checked := 0
	for _, line := range helpLine.FindAllStringSubmatch(command.HelpText(), -1) {
		usage, example := strings.Fields(line[1]), strings.Fields(line[2])
		for i, word := range usage {
			if (word == "<target>" || word == "<targets>" || strings.HasPrefix(word, "[target")) && i < len(example) && !strings.HasPrefix(example[i], "-") {
				checked++
				if !known[example[i]] {
					t.Errorf("the example %q names %q, which the playground's tenant lacks", line[2], example[i])
				}
			}
		}
	}
	if checked < 5 {
		t.Errorf("only %d examples with a target found: the help's format changed", checked)
	}
	if !strings.Contains(command.HelpText(), "(ws-0042 or ws-0042.contoso.local)") {
		t.Error("the help's description of a target does not use the tenant's machines")
	}
}
