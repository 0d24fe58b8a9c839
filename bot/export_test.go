package bot

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

// openWithdrawn opens n isolation requests (reasons "drill 0"…) and
// withdraws them.
func (h *harness) openWithdrawn(n int, reason func(i int) string) {
	h.t.Helper()
	ctx := h.ctx()
	for i := range n {
		res, err := h.svc.Open(ctx, approvals.Draft{Kind: approvals.KindIsolate, Requester: responder, Channel: socChannel,
			Reason: reason(i), Params: approvals.Params{Machine: ws42, MachineName: "ws-0042.contoso.local", Isolation: defender.IsolationFull}})
		if err != nil {
			h.t.Fatal(err)
		}
		if _, err := h.svc.Withdraw(ctx, res.Request.ID, responder); err != nil {
			h.t.Fatal(err)
		}
	}
}

// exportFile waits for the file uploaded to user's DM.
func (h *harness) exportFile(user string) slacktest.File {
	h.t.Helper()
	m := h.wait("export file in the DM of "+user, func(m slacktest.Message) bool {
		return m.Channel == "D"+strings.TrimPrefix(user, "U") && len(m.Files) > 0
	})
	return m.Files[0]
}

func TestAnAuditorExportsCSVToTheirDM(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approver1} })
	h.openWithdrawn(3, func(i int) string { return "=HYPERLINK(\"http://evil.example\") " + strconv.Itoa(i) })
	h.slash(approver1, socChannel, "export --since 7d")
	f := h.exportFile(approver1)
	if !strings.HasSuffix(f.Name, ".csv") {
		t.Errorf("file name %q", f.Name)
	}
	recs, err := csv.NewReader(bytes.NewReader(f.Content)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "id" {
		t.Fatalf("%d CSV records, header %v", len(recs), recs[0])
	}
	if got := recs[1][9]; got != "'=HYPERLINK(\"http://evil.example\") 2" {
		t.Errorf("newest reason cell = %q", got)
	}
	if recs[1][5] != responder || recs[1][10] != "withdrawn" {
		t.Errorf("first row = %v", recs[1])
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	if got := recs[1][col["requester_name"]]; got != "Rita Responder" {
		t.Errorf("requester_name = %q, want the requester's name", got)
	}
	h.ephemeral(approver1, "Sent you the export")
	if h.slack.CallCount("conversations.open") == 0 || h.slack.CallCount("files.completeUploadExternal") != 1 {
		t.Errorf("calls: conversations.open %d, files.completeUploadExternal %d",
			h.slack.CallCount("conversations.open"), h.slack.CallCount("files.completeUploadExternal"))
	}
}

func TestAnAuditorExportsJSONAsAnArray(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approverSet} })
	h.openWithdrawn(2, func(i int) string { return "drill " + strconv.Itoa(i) })
	h.slash(approver2, socChannel, "export --since 30d --format json")
	f := h.exportFile(approver2)
	var rows []map[string]any
	if err := json.Unmarshal(f.Content, &rows); err != nil {
		t.Fatalf("%v in %s", err, f.Content)
	}
	if len(rows) != 2 || rows[0]["reason"] != "drill 1" || rows[1]["requester"] != responder || rows[0]["state"] != "withdrawn" {
		t.Errorf("rows = %v", rows)
	}
}

func TestANonAuditorIsRefusedTheExportAndTheRefusalAudited(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approver1} })
	h.openWithdrawn(1, func(int) string { return "drill" })
	h.slash(approver2, socChannel, "export --since 7d")
	h.ephemeral(approver2, "Only the auditors")
	if n := len(h.slack.Files()); n != 0 {
		t.Errorf("%d files uploaded to a non-auditor", n)
	}
	recs, err := h.db.AuditLog(h.ctx(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.Type == approvals.EventRefused && r.Actor == approver2 && strings.Contains(r.Detail, "export") {
			found = true
		}
	}
	if !found {
		t.Error("the refused export is not in the audit log")
	}
}
