package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/report"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// finished is an isolation approved by two people that MDE ran in 90 s.
func finished() *approvals.Request {
	return &approvals.Request{
		ID: "R-1", Kind: approvals.KindIsolate, Requester: "U1", Reason: "=HYPERLINK(\"http://x\")", Created: t0,
		Params: approvals.Params{Machine: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", MachineName: "ws-42"},
		Decisions: []approvals.Decision{
			{Actor: "U2", Verdict: approvals.Approve, At: t0.Add(time.Minute)},
			{Actor: "U3", Verdict: approvals.Approve, At: t0.Add(2 * time.Minute)},
		},
		StatusHistory: []approvals.StatusChange{
			{At: t0.Add(3 * time.Minute), Status: defender.StatusPending},
			{At: t0.Add(3*time.Minute + 90*time.Second), Status: defender.StatusSucceeded},
		},
		MDEStatus: defender.StatusSucceeded, State: approvals.StateSucceeded, ActionID: "a-1",
		Updated: t0.Add(3*time.Minute + 90*time.Second),
	}
}

func TestARowNamesWhoDecidedAndWhatMDEDid(t *testing.T) {
	got := report.FromRequest(finished())
	want := report.Row{
		ID: "R-1", Kind: "isolate", Machine: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", MachineName: "ws-42",
		Requester: "U1", Approvers: []string{"U2", "U3"}, Reason: "=HYPERLINK(\"http://x\")", State: "succeeded",
		Created: t0, Decided: t0.Add(2 * time.Minute), Submitted: t0.Add(3 * time.Minute),
		Finished: t0.Add(3*time.Minute + 90*time.Second), ActionID: "a-1", Duration: 90 * time.Second, DurationSeconds: 90,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FromRequest (-want +got):\n%s", d)
	}
	denied := &approvals.Request{ID: "R-2", Kind: approvals.KindScan, Requester: "U1", Created: t0, State: approvals.StateDenied,
		Updated: t0.Add(time.Minute), Decisions: []approvals.Decision{{Actor: "U2", Verdict: approvals.Deny, Reason: "no", At: t0.Add(time.Minute)}}}
	row := report.FromRequest(denied)
	if row.Denier != "U2" || row.DenyReason != "no" || len(row.Approvers) != 0 || !row.Finished.Equal(t0.Add(time.Minute)) {
		t.Errorf("denied row = %+v", row)
	}
}

func TestCSVHasAHeaderAndDefusesFormulas(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Write(&buf, report.CSV, []report.Row{report.FromRequest(finished())}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want header + 1", len(recs))
	}
	got := map[string]string{}
	for i, name := range recs[0] {
		got[name] = recs[1][i]
	}
	want := map[string]string{
		"id": "R-1", "kind": "isolate", "requester": "U1", "approvers": "U2 U3", "reason": "'=HYPERLINK(\"http://x\")",
		"state": "succeeded", "created": "2026-11-02T09:00:00Z", "finished": "2026-11-02T09:04:30Z",
		"mde_action_id": "a-1", "duration_seconds": "90",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s = %q, want %q", k, got[k], v)
		}
	}
	for _, cell := range []string{"+1", "-1", "@SUM(A1)", "\tx"} {
		buf.Reset()
		r := finished()
		r.Reason = cell
		if err := report.Write(&buf, report.CSV, []report.Row{report.FromRequest(r)}); err != nil {
			t.Fatal(err)
		}
		recs, _ := csv.NewReader(&buf).ReadAll()
		if reason := recs[1][9]; reason != "'"+cell {
			t.Errorf("reason %q was written %q", cell, reason)
		}
	}
}

func TestJSONIsAnArrayEvenWhenEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Write(&buf, report.JSON, nil); err != nil {
		t.Fatal(err)
	}
	if got := bytes.TrimSpace(buf.Bytes()); string(got) != "[]" {
		t.Errorf("empty export = %s", got)
	}
	buf.Reset()
	if err := report.Write(&buf, report.JSON, []report.Row{report.FromRequest(finished())}); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["reason"] != "=HYPERLINK(\"http://x\")" || rows[0]["duration_seconds"] != 90.0 {
		t.Errorf("JSON rows = %v", rows)
	}
}

func TestParseFormatAcceptsCSVAndJSONOnly(t *testing.T) {
	for in, want := range map[string]report.Format{"csv": report.CSV, "JSON": report.JSON} {
		if got, err := report.ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := report.ParseFormat("xlsx"); err == nil {
		t.Error("xlsx was accepted")
	}
}

// pagedHistory serves its requests two per page, checking the time range.
type pagedHistory struct {
	t    *testing.T
	reqs []*approvals.Request
	want report.Query
}

func (p pagedHistory) History(_ context.Context, q approvals.HistoryQuery) (approvals.HistoryPage, error) {
	if !q.Since.Equal(p.want.Since) || !q.Until.Equal(p.want.Until) {
		p.t.Errorf("History asked for [%v, %v)", q.Since, q.Until)
	}
	start := 0
	if q.Cursor != "" {
		start, _ = strconv.Atoi(q.Cursor)
	}
	end := min(start+2, len(p.reqs))
	page := approvals.HistoryPage{Requests: p.reqs[start:end]}
	if end < len(p.reqs) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

func TestCollectReadsEveryPage(t *testing.T) {
	var reqs []*approvals.Request
	for i := range 5 {
		r := finished()
		r.ID = "R-" + strconv.Itoa(i)
		reqs = append(reqs, r)
	}
	q := report.Query{Since: t0.Add(-time.Hour)}
	rows, err := report.Collect(t.Context(), pagedHistory{t: t, reqs: reqs, want: q}, q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	if d := cmp.Diff([]string{"R-0", "R-1", "R-2", "R-3", "R-4"}, ids); d != "" {
		t.Errorf("ids (-want +got):\n%s", d)
	}
}

func TestTheExportNamesPeopleAndCarriesDefendersFailureText(t *testing.T) {
	r := &approvals.Request{ID: "R-9", Kind: approvals.KindIsolate, Requester: "U1", State: approvals.StateFailed,
		Error: "The device is offline", Decisions: []approvals.Decision{{Actor: "U2", Verdict: approvals.Approve}}}
	row := report.FromRequest(r)
	names := map[string]string{"U1": "Rita Responder", "U2": "Alex Approver"}
	row.Name(func(id string) string { return names[id] })
	var buf bytes.Buffer
	if err := report.Write(&buf, report.CSV, []report.Row{row}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("CSV %v, %v", recs, err)
	}
	got := map[string]string{}
	for i, h := range recs[0] {
		got[h] = recs[1][i]
	}
	for k, v := range map[string]string{"detail": "The device is offline", "requester_name": "Rita Responder",
		"approver_names": "Alex Approver", "requester": "U1", "state": "failed"} {
		if got[k] != v {
			t.Errorf("column %s = %q, want %q", k, got[k], v)
		}
	}
}
func TestABreakGlassRowCarriesItsReview(t *testing.T) {
	r := finished()
	r.BreakGlass = true
	r.Review = &approvals.Review{Due: t0.Add(24 * time.Hour), State: approvals.ReviewFlagged, Overdue: true, By: "U3", Note: "=cmd"}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.CSV, []report.Row{report.FromRequest(r), report.FromRequest(finished())}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for i, name := range recs[0] {
		got[name] = recs[1][i]
	}
	want := map[string]string{"break_glass": "true", "review": "flagged", "review_overdue": "true", "review_by": "U3", "review_note": "'=cmd"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s = %q, want %q", k, got[k], v)
		}
	}
	if n := len(recs[2]); n != len(recs[0]) || recs[2][len(recs[2])-5] != "" {
		t.Errorf("a plain row has %d cells (header %d), break_glass %q", n, len(recs[0]), recs[2][len(recs[2])-5])
	}
}

func TestABulkRequestIsOneLinePerMachine(t *testing.T) {
	r := finished()
	r.ID, r.Params, r.ActionID, r.MDEStatus, r.State, r.Error = "R-B", approvals.Params{Isolation: defender.IsolationFull}, "", "", approvals.StateFailed, "1 of 3 machines did not succeed"
	r.Targets = []approvals.Target{
		{Machine: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", Name: "ws-1", ActionID: "a-1", Status: defender.StatusSucceeded},
		{Machine: "2e5bc9d7e413ddd7902c2932e418702b84d0cc07", Name: "ws-2", ActionID: "a-2", Status: defender.StatusFailed, Error: "device unreachable"},
		{Machine: "3e5bc9d7e413ddd7902c2932e418702b84d0cc07", Name: "ws-3", ActionID: "a-9", Status: defender.StatusSucceeded,
			Owner: approvals.OwnerForeign, Requestor: "soc@contoso.com"},
	}
	rows := report.Rows(r)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want one per machine", len(rows))
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.CSV, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for i, want := range []struct{ name, action, status, detail string }{
		{"ws-1", "a-1", "Succeeded", ""},
		{"ws-2", "a-2", "Failed", "device unreachable"},
		{"ws-3", "a-9", "Succeeded", "someone else's action, by soc@contoso.com, followed."},
	} {
		rec := recs[i+1]
		if rec[col["id"]] != "R-B" || rec[col["machine_name"]] != want.name || rec[col["mde_action_id"]] != want.action ||
			rec[col["machine_status"]] != want.status || rec[col["detail"]] != want.detail || rec[col["state"]] != "failed" {
			t.Errorf("line %d = %v, want %+v under request R-B (failed)", i+1, rec, want)
		}
	}
	if rows := report.Rows(finished()); len(rows) != 1 || rows[0].MachineStatus != "" {
		t.Errorf("a single request's rows = %+v, want its one row", rows)
	}
}
