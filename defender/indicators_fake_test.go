package defender_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/defender"
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
