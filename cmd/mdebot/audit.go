package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/mdebot/mdebot/storage"
)

// auditUsage heads "mdebot audit verify -h".
const auditUsage = `Usage: mdebot audit verify --config FILE

Checks the hash chain of the audit log in the database that FILE's
storage.path names, with the bot stopped. Prints the number of records and
exits 0 when every record verifies; exits 1 naming the first broken record.

Flags:
`

// audit runs "mdebot audit SUBCOMMAND".
func (m *Main) audit(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(m.Stderr, "mdebot audit: the subcommand is verify (mdebot audit verify --config FILE)")
		return exitUsage
	}
	fs := flag.NewFlagSet("mdebot audit verify", flag.ContinueOnError)
	configPath := fs.String("config", "", "the YAML configuration `FILE` whose storage.path is checked")
	if ok, code := m.parseOffline(fs, auditUsage, args[1:]); !ok {
		return code
	}
	db, code := m.openOffline("mdebot audit verify", *configPath)
	if db == nil {
		return code
	}
	defer db.Close()
	n, err := db.Verify(ctx)
	var ce *storage.ChainError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(m.Stderr, "mdebot audit verify: %v (%d records before it verified)\n", ce, n)
		return exitFatal
	case err != nil:
		fmt.Fprintf(m.Stderr, "mdebot audit verify: %v\n", err)
		return exitFatal
	}
	fmt.Fprintf(m.Stdout, "audit log of %s verified: %d records\n", db.Path(), n)
	return exitOK
}
