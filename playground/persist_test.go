package playground

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestAfterARestartTheCardStillEditsAndTheActionGoesOn(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Listen: "127.0.0.1:0", DataDir: dir, ActionTime: time.Hour}
	first, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := postCard(t, first)
	startAction(t, first.Tenant(), "ws-0042.contoso.local", "isolate", `{"Comment":"c","IsolationType":"Full"}`)
	action := first.Tenant().Actions()[0]
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	msgs := getState(t, second, ResponderID).Messages
	if len(msgs) != 1 || msgs[0].TS != ts {
		t.Fatalf("messages after a restart = %+v, want the card %s", msgs, ts)
	}
	if _, _, _, err := botClient(second).UpdateMessageContext(testContext(t), ChannelID, ts,
		slack.MsgOptionText("Isolate (Full): ws-0042.contoso.local: approved", false)); err != nil {
		t.Fatalf("editing the card after a restart: %v", err)
	}
	acts := second.Tenant().Actions()
	if len(acts) != 1 || acts[0].ID != action.ID || acts[0].Status != "Pending" {
		t.Errorf("tenant actions after a restart = %+v, want %s Pending", acts, action.ID)
	}
	_, ts2, err := botClient(second).PostMessageContext(testContext(t), ChannelID, slack.MsgOptionText("later", false))
	if err != nil {
		t.Fatal(err)
	}
	if tsKey(ts2) <= tsKey(ts) {
		t.Errorf("a new message's ts %s is not after the restored %s", ts2, ts)
	}
}

func TestAChangeIsSavedWithoutWaitingForClose(t *testing.T) {
	p := startPlayground(t)
	postCard(t, p)
	ctx := testContext(t)
	path := filepath.Join(p.dataDir, SlackStateFileName)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), "awaiting approval") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never held the posted card", path)
		case <-tick.C:
		}
	}
}

func TestACorruptStateFileStopsTheStartAndIsKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TenantStateFileName)
	if err := os.WriteFile(path, []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: dir}); err == nil {
		p.Close()
		t.Fatal("Start succeeded on a corrupt state file")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != "{oops" {
		t.Errorf("the corrupt file was overwritten: %q", data)
	}
}

// tsKey makes Slack ts values compare as strings in time order.
func tsKey(ts string) string {
	sec, frac, _ := strings.Cut(ts, ".")
	return strings.Repeat("0", 12-len(sec)) + sec + "." + frac
}
