package slacktest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

func TestARestoredSnapshotKeepsMessagesEditsAndUsers(t *testing.T) {
	ctx := testContext(t)
	carol := User{ID: "U0CAROL", Name: "carol", RealName: "Carol Added"}
	before := newTestServer(t)
	before.AddUser(carol)
	api := webClient(before)
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("card v1", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionText("card v2", false)); err != nil {
		t.Fatal(err)
	}
	data, err := before.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	after := newTestServer(t)
	if err := after.Restore(data); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.AllMessages(), after.AllMessages()); diff != "" {
		t.Errorf("messages after restore (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Users(), after.Users()); diff != "" {
		t.Errorf("users after restore (-before +after):\n%s", diff)
	}

	// The restored card still edits, and new messages sort after the old ones.
	api = webClient(after)
	if _, _, _, err := api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionText("card v3", false)); err != nil {
		t.Fatalf("editing a restored message: %v", err)
	}
	m, ok := after.Message(MessageRef{Channel: ops.ID, TS: ts})
	if !ok || m.Text != "card v3" || m.Edited != 2 {
		t.Errorf("restored card after an edit = %+v, %v; want text card v3, edited twice", m, ok)
	}
	_, ts2, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("new", false))
	if err != nil {
		t.Fatal(err)
	}
	if compareTS(ts2, ts) <= 0 {
		t.Errorf("new message ts %s is not after restored ts %s", ts2, ts)
	}
}

func TestTimestampsStayMonotonicWhenTheClockIsBehindTheSnapshot(t *testing.T) {
	ctx := testContext(t)
	clock := newManualClock()
	before := newTestServer(t, WithClock(clock.Now))
	_, ts, err := webClient(before).PostMessageContext(ctx, ops.ID, slack.MsgOptionText("first", false))
	if err != nil {
		t.Fatal(err)
	}
	data, err := before.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	earlier := func() time.Time { return clock.Now().Add(-time.Hour) }
	after := newTestServer(t, WithClock(earlier))
	if err := after.Restore(data); err != nil {
		t.Fatal(err)
	}
	_, ts2, err := webClient(after).PostMessageContext(ctx, ops.ID, slack.MsgOptionText("second", false))
	if err != nil {
		t.Fatal(err)
	}
	if compareTS(ts2, ts) <= 0 {
		t.Errorf("ts after restore %s is not after %s", ts2, ts)
	}
}

func TestRestoreRefusesAnUnknownVersionOrGarbage(t *testing.T) {
	s := newTestServer(t)
	if err := s.Restore([]byte(`{"version":99}`)); !errors.Is(err, ErrSnapshotVersion) {
		t.Errorf("Restore(version 99) = %v, want ErrSnapshotVersion", err)
	}
	if err := s.Restore([]byte(`not json`)); err == nil {
		t.Error("Restore(garbage) = nil, want an error")
	}
}
