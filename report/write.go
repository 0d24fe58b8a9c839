package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

// Format is an export file format.
type Format string

// The export formats.
const (
	CSV  Format = "csv"
	JSON Format = "json"
)

// ParseFormat reads a --format value (csv or json, any case).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("format %q is not csv or json", s)
}

// Ext is the file name extension of f, with its dot.
func (f Format) Ext() string { return "." + string(f) }

// header is the CSV header, in Row's order.
var header = []string{"id", "kind", "machine", "machine_name", "file_hash", "requester", "approvers", "denier",
	"deny_reason", "reason", "state", "created", "decided", "submitted", "finished", "mde_action_id", "duration_seconds",
	"detail", "requester_name", "approver_names", "denier_name",
	"break_glass", "review", "review_overdue", "review_by", "review_note", "machine_status"}

// Write writes rows to w in format f: CSV with a header line, or a JSON
// array (one object per row; "[]" when there are none).
func Write(w io.Writer, f Format, rows []Row) error {
	switch f {
	case CSV:
		return writeCSV(w, rows)
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []Row{}
		}
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("report: writing JSON: %w", err)
		}
		return nil
	}
	return fmt.Errorf("report: unknown format %q", f)
}

func writeCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("report: writing CSV: %w", err)
	}
	for _, r := range rows {
		duration := ""
		if r.Duration > 0 {
			duration = strconv.FormatFloat(r.Duration.Seconds(), 'f', -1, 64)
		}
		rec := []string{r.ID, r.Kind, r.Machine, r.MachineName, r.FileHash, r.Requester,
			strings.Join(r.Approvers, " "), r.Denier, r.DenyReason, r.Reason, r.State,
			csvTime(r.Created), csvTime(r.Decided), csvTime(r.Submitted), csvTime(r.Finished), r.ActionID, duration,
			r.Detail, r.RequesterName, strings.Join(r.ApproverNames, "; "), r.DenierName}
		if r.BreakGlass {
			rec = append(rec, "true", r.Review, strconv.FormatBool(r.ReviewOverdue), r.ReviewBy, r.ReviewNote)
		} else {
			rec = append(rec, "", "", "", "", "")
		}
		rec = append(rec, r.MachineStatus)
		for i, c := range rec {
			rec[i] = defuse(c)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("report: writing CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing CSV: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// defuse prefixes a cell a spreadsheet would evaluate as a formula with a
// single quote (OWASP's advice against CSV injection).
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// Query selects the requests of an export: those created in [Since, Until)
// (a zero bound does not limit).
type Query struct {
	Since, Until time.Time
}

// pageSize is how many requests Collect reads per History call.
const pageSize = 500

// MaxRows bounds an export, so one command cannot exhaust memory; Collect
// returns ErrTooMany past it.
const MaxRows = 200_000

// ErrTooMany is returned by Collect when more than MaxRows requests match.
var ErrTooMany = fmt.Errorf("report: more than %d requests match; narrow the time range", MaxRows)

// Collect reads every request q selects from h, newest first, as rows.
func Collect(ctx context.Context, h approvals.History, q Query) ([]Row, error) {
	var rows []Row
	cursor := ""
	for {
		page, err := h.History(ctx, approvals.HistoryQuery{Since: q.Since, Until: q.Until, Limit: pageSize, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("report: reading history: %w", err)
		}
		for _, r := range page.Requests {
			rows = append(rows, Rows(r)...)
		}
		if len(rows) > MaxRows {
			return nil, ErrTooMany
		}
		if page.Next == "" {
			return rows, nil
		}
		cursor = page.Next
	}
}
