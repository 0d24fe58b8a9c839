package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/mdebot/mdebot/report"
)

// exportUsage heads "mdebot export -h".
const exportUsage = `Usage: mdebot export --config FILE [--since 30d] [--format csv|json]

Writes one row per request created within --since (who requested, who
approved or denied, the reason, the outcome, the times and the Defender
action id) to stdout, from the database that FILE's storage.path names, with
the bot stopped. The content is the same as /mde export's file.

Flags:
`

// export runs "mdebot export".
func (m *Main) export(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("mdebot export", flag.ContinueOnError)
	configPath := fs.String("config", "", "the YAML configuration `FILE` whose storage.path is read")
	since := fs.String("since", "30d", "export requests created within this `long` (30m, 12h, 30d, 2w)")
	format := fs.String("format", "csv", "the output `format`: csv or json")
	if ok, code := m.parseOffline(fs, exportUsage, args); !ok {
		return code
	}
	d, err := report.ParseSince(*since)
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot export: --since: %v\n", err)
		return exitUsage
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot export: --format: %v\n", err)
		return exitUsage
	}
	db, code := m.openOffline(ctx, "mdebot export", *configPath)
	if db == nil {
		return code
	}
	defer db.Close()
	rows, err := report.Collect(ctx, db, report.Query{Since: time.Now().Add(-d)})
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot export: %v\n", err)
		return exitFatal
	}
	w := bufio.NewWriter(m.Stdout)
	if err := report.Write(w, f, rows); err != nil {
		fmt.Fprintf(m.Stderr, "mdebot export: %v\n", err)
		return exitFatal
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(m.Stderr, "mdebot export: writing: %v\n", err)
		return exitFatal
	}
	fmt.Fprintf(m.Stderr, "mdebot export: %d requests\n", len(rows))
	return exitOK
}
