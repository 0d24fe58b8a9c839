package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/mdebot/mdebot/storage"
)

// auditUsage heads "mdebot audit verify -h".
const auditUsage = `Usage: mdebot audit verify --config FILE [--anchor SEQ:HASH]

Checks the hash chain of the audit log in the database that FILE's
storage.path names, with the bot stopped. Prints the number of records and
where the chain is keyed, and exits 0 when every record verifies; exits 1
naming the first broken record.

Records written with the audit key (MDEBOT_AUDIT_KEY or
MDEBOT_AUDIT_KEY_FILE, as the bot had it) are HMAC-SHA256 links, checked
with that key: set the same variable here. Records written before the key
was first set are plain SHA-256 links, anchored by the first keyed record.

--anchor checks the chain against a head kept elsewhere: the "audit chain
head" seq and hash the bot logs every hour, or mdebot_audit_head's value
and hash label. The record SEQ must still have that hash.

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
	anchor := fs.String("anchor", "", "a head kept elsewhere, `SEQ:HASH`, that the chain must still hold")
	if ok, code := m.parseOffline(fs, auditUsage, args[1:]); !ok {
		return code
	}
	anchorSeq, anchorHash, err := parseAnchor(*anchor)
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot audit verify: --anchor %q: %v\n", *anchor, err)
		return exitUsage
	}
	db, code := m.openOffline(ctx, "mdebot audit verify", *configPath)
	if db == nil {
		return code
	}
	defer db.Close()
	rep, err := db.VerifyChain(ctx)
	var ce *storage.ChainError
	var ke *storage.KeyError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(m.Stderr, "mdebot audit verify: %v (%d records before it verified)\n", ce, rep.Records)
		return exitFatal
	case errors.As(err, &ke):
		fmt.Fprintf(m.Stderr, "mdebot audit verify: records from %d on are keyed with the audit key: %s (%d records before them verified)\n",
			ke.Seq, auditKeyHint, rep.Records)
		return exitFatal
	case err != nil:
		fmt.Fprintf(m.Stderr, "mdebot audit verify: %v\n", err)
		return exitFatal
	}
	if anchorSeq != 0 {
		recs, err := db.AuditLog(ctx, anchorSeq-1, 1)
		switch {
		case err != nil:
			fmt.Fprintf(m.Stderr, "mdebot audit verify: %v\n", err)
			return exitFatal
		case len(recs) == 0 || recs[0].Seq != anchorSeq:
			fmt.Fprintf(m.Stderr, "mdebot audit verify: the anchor's record %d is not in the log (%d records): records were removed\n", anchorSeq, rep.Records)
			return exitFatal
		case recs[0].Hash != anchorHash:
			fmt.Fprintf(m.Stderr, "mdebot audit verify: record %d has hash %s, not the anchor's %s: the log was rewritten since the anchor was taken\n",
				anchorSeq, recs[0].Hash, anchorHash)
			return exitFatal
		}
	}
	switch {
	case rep.KeyedFrom == 0:
		fmt.Fprintf(m.Stdout, "audit log of %s verified: %d records, none keyed (set %s to key new records)\n", db.Path(), rep.Records, envAuditKey)
	case rep.KeyedFrom == 1:
		fmt.Fprintf(m.Stdout, "audit log of %s verified: %d records, all keyed with the audit key\n", db.Path(), rep.Records)
	default:
		fmt.Fprintf(m.Stdout, "audit log of %s verified: %d records, keyed with the audit key from record %d on (records 1-%d were written before the key was set)\n",
			db.Path(), rep.Records, rep.KeyedFrom, rep.KeyedFrom-1)
	}
	if anchorSeq != 0 {
		fmt.Fprintf(m.Stdout, "record %d still has the anchor's hash\n", anchorSeq)
	}
	return exitOK
}

// parseAnchor parses --anchor's SEQ:HASH; "" is no anchor (0).
func parseAnchor(s string) (uint64, string, error) {
	if s == "" {
		return 0, "", nil
	}
	seqText, hash, ok := strings.Cut(s, ":")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || err != nil || seq == 0 {
		return 0, "", errors.New("want SEQ:HASH, the record's sequence number (1 or more) and its hash")
	}
	hash = strings.ToLower(hash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 {
		return 0, "", errors.New("the hash must be 64 hex digits")
	}
	return seq, hash, nil
}
