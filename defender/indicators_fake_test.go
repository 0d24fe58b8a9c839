package defender_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func TestFilesAreBlockedAndUnblockedWithIndicators(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	in, err := c.Indicators.BlockFile(ctx, defender.FileBlock{
		Hash: sha1Hash, Title: "Block evil.exe", Description: "INC-1 [req 1]", Severity: defender.SeverityHigh, GenerateAlert: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.ID == "" || in.IndicatorValue != sha1Hash || in.IndicatorType != "FileSha1" || in.Action != "Block" {
		t.Errorf("indicator = %+v", in)
	}
	posts := routeCalls(srv, "indicators.post")
	var body map[string]any
	if err := json.Unmarshal(posts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"indicatorValue": sha1Hash, "indicatorType": "FileSha1", "action": "Block", "title": "Block evil.exe",
		"description": "INC-1 [req 1]", "severity": "High", "generateAlert": true,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	// Blocking again updates the same indicator.
	again, err := c.Indicators.BlockFile(ctx, defender.FileBlock{Hash: sha1Hash, Title: "Block evil.exe", Description: "again", Action: defender.IndicatorBlockAndRemediate})
	if err != nil || again.ID != in.ID {
		t.Errorf("upsert = %+v, %v; want id %s", again, err, in.ID)
	}
	in256, err := c.Indicators.BlockFile(ctx, defender.FileBlock{Hash: sha256H, Title: "t", Description: "d"})
	if err != nil || in256.IndicatorType != "FileSha256" {
		t.Errorf("sha256 indicator = %+v, %v", in256, err)
	}
	found, err := c.Indicators.FindByValue(ctx, sha1Hash)
	if err != nil || len(found) != 1 || found[0].ID != in.ID {
		t.Errorf("FindByValue = %+v, %v", found, err)
	}
	if hostile, err := c.Indicators.FindByValue(ctx, "x' or indicatorValue ne '"); err != nil || len(hostile) != 0 {
		t.Errorf("hostile value matched %d indicators, %v", len(hostile), err)
	}
	n, err := c.Indicators.UnblockFile(ctx, sha1Hash)
	if err != nil || n != 1 {
		t.Errorf("UnblockFile = %d, %v", n, err)
	}
	if found, _ := c.Indicators.FindByValue(ctx, sha1Hash); len(found) != 0 {
		t.Errorf("still blocked: %+v", found)
	}
	if err := c.Indicators.Delete(ctx, in.ID); err != nil {
		t.Errorf("deleting a deleted indicator: %v", err)
	}
	if _, err := c.Indicators.BlockFile(ctx, defender.FileBlock{Hash: "abc", Title: "t", Description: "d"}); err == nil {
		t.Error("a malformed hash was sent")
	}
}

func TestUnblockDeletesOnlyBlockIndicators(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for _, action := range []string{"Allowed", "Audit", "Warn"} {
		srv.AddIndicator(defendertest.Indicator{Value: sha1Hash, Type: "FileSha1", Action: action, Title: action, Description: "kept"})
	}
	srv.AddIndicator(defendertest.Indicator{Value: sha1Hash, Type: "FileSha1", Action: "Block", Title: "b", Description: "b"})
	srv.AddIndicator(defendertest.Indicator{Value: sha1Hash, Type: "FileSha1", Action: "BlockAndRemediate", Title: "br", Description: "br"})
	n, err := c.Indicators.UnblockFile(ctx, sha1Hash)
	if err != nil || n != 2 {
		t.Fatalf("UnblockFile = %d, %v; want 2 deleted", n, err)
	}
	var left []string
	for _, in := range srv.Indicators() {
		left = append(left, in.Action)
	}
	if diff := cmp.Diff([]string{"Allowed", "Audit", "Warn"}, left); diff != "" {
		t.Errorf("indicators left (-want +got):\n%s", diff)
	}
	if n, err := c.Indicators.UnblockFile(ctx, sha1Hash); !errors.Is(err, defender.ErrNoBlockIndicator) || n != 0 {
		t.Errorf("unblocking again = %d, %v; want ErrNoBlockIndicator", n, err)
	}
}

func TestUnblockSeesOthersBlocksOnlyWithTiReadWriteAll(t *testing.T) {
	byAnalyst := defendertest.Indicator{Value: sha256H, Type: "FileSha256", Action: "Block", Title: "b", Description: "portal",
		CreatedBy: "analyst@contoso.com", CreatedByDisplayName: "Analyst"}
	t.Run("Ti.ReadWrite: none visible, nothing deleted", func(t *testing.T) {
		roles := []string{defendertest.RoleMachineReadAll, defendertest.RoleTiReadWrite}
		srv, c := setup(t, defendertest.WithRoles(roles...))
		srv.AddIndicator(byAnalyst)
		n, err := c.Indicators.UnblockFile(context.Background(), sha256H)
		if !errors.Is(err, defender.ErrNoBlockIndicator) || n != 0 {
			t.Errorf("UnblockFile = %d, %v; want ErrNoBlockIndicator", n, err)
		}
		if !strings.Contains(err.Error(), "with Ti.ReadWrite.All it would see those created by others") {
			t.Errorf("the error does not say why: %v", err)
		}
		if got := len(srv.Indicators()); got != 1 {
			t.Errorf("%d indicators left, want the analyst's block kept", got)
		}
	})
	t.Run("Ti.ReadWrite.All: the analyst's block is deleted", func(t *testing.T) {
		srv, c := setup(t)
		in := srv.AddIndicator(byAnalyst)
		found, err := c.Indicators.FindByValue(context.Background(), sha256H)
		if err != nil || len(found) != 1 || found[0].CreatedBy != "analyst@contoso.com" || found[0].CreatedByDisplayName != "Analyst" {
			t.Fatalf("FindByValue = %+v, %v", found, err)
		}
		if n, err := c.Indicators.UnblockFile(context.Background(), sha256H); err != nil || n != 1 {
			t.Errorf("UnblockFile = %d, %v", n, err)
		}
		if got := srv.Indicators(); len(got) != 0 {
			t.Errorf("indicator %s still there: %+v", in.ID, got)
		}
	})
}
