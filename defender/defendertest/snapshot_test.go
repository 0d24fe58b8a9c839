package defendertest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestARestoredSnapshotKeepsActionsAndIndicatorsAndActionsGoOn(t *testing.T) {
	clock := newManualClock()
	opts := []Option{WithClock(clock.Now), WithProgress(10*time.Second, 20*time.Second)}
	before := newTestServer(t, opts...)
	tok := accessToken(t, before)
	res := postJSON(t, before, tok, "/api/machines/"+ws42+"/isolate", `{"Comment":"c","IsolationType":"Selective"}`)
	if res.status != http.StatusCreated {
		t.Fatalf("isolate: %d %s", res.status, res.body)
	}
	id := res.json(t)["id"].(string)
	ind := postJSON(t, before, tok, "/api/indicators", blockBody(sha1Hex, "FileSha1"))
	if ind.status != http.StatusOK {
		t.Fatalf("indicator: %d %s", ind.status, ind.body)
	}
	clock.Advance(15 * time.Second) // InProgress
	data, err := before.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	after := newTestServer(t, opts...)
	if err := after.Restore(data); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Actions(), after.Actions()); diff != "" {
		t.Errorf("actions after restore (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Indicators(), after.Indicators()); diff != "" {
		t.Errorf("indicators after restore (-before +after):\n%s", diff)
	}

	tok = accessToken(t, after)
	if got := get(t, after, tok, "/api/machineactions/"+id).json(t)["status"]; got != "InProgress" {
		t.Errorf("restored action status = %v, want InProgress", got)
	}
	clock.Advance(20 * time.Second)
	if got := get(t, after, tok, "/api/machineactions/"+id).json(t)["status"]; got != "Succeeded" {
		t.Errorf("restored action status after its run time = %v, want Succeeded", got)
	}
	again := postJSON(t, after, tok, "/api/indicators", blockBody(sha1Hex[:38]+"ff", "FileSha1")).json(t)
	if again["id"] == ind.json(t)["id"] {
		t.Errorf("a new indicator reused the restored ID %v", again["id"])
	}
}

func TestTenantRestoreRefusesAnUnknownVersionOrGarbage(t *testing.T) {
	srv := newTestServer(t)
	if err := srv.Restore([]byte(`{"version":2}`)); !errors.Is(err, ErrSnapshotVersion) {
		t.Errorf("Restore(version 2) = %v, want ErrSnapshotVersion", err)
	}
	if err := srv.Restore([]byte(`[`)); err == nil {
		t.Error("Restore(garbage) = nil, want an error")
	}
}
