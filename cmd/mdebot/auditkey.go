package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/storage"
)

// The environment variables that give the audit key (config.Audit). It
// is read from the environment by every command that opens the database
// (serve, audit verify, backup, export), never from the configuration
// file, which may sit beside the database.
const (
	envAuditKey     = "MDEBOT_AUDIT_KEY"
	envAuditKeyFile = "MDEBOT_AUDIT_KEY_FILE"
)

// auditKeyHint says how to give the audit key.
const auditKeyHint = "set " + envAuditKey + " (or " + envAuditKeyFile + ", a 0600 file holding it) to the key the bot writes with"

// auditKey returns the audit key a gives: MDEBOT_AUDIT_KEY's value or
// MDEBOT_AUDIT_KEY_FILE's contents (a file neither its group nor others
// may read). It returns nil when neither is set. Errors never echo the
// key.
func auditKey(a config.Audit) ([]byte, error) {
	switch {
	case a.KeyFile != "":
		key, err := readSecretFile(a.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envAuditKeyFile, err)
		}
		return key, nil
	case !a.Key.IsZero():
		return []byte(a.Key.Reveal()), nil
	}
	return nil, nil
}

// checkAuditKey tells, before the bot writes, whether db can extend its
// audit chain with the key it was opened with: a keyed chain needs the
// key, and the right one (fatal otherwise). A chain without a key is
// logged as a warning at every start.
func checkAuditKey(ctx context.Context, db database, keyed bool, log *slog.Logger) error {
	err := db.CheckAuditKey(ctx)
	var ke *storage.KeyError
	var ce *storage.ChainError
	switch {
	case errors.As(err, &ke):
		return fmt.Errorf("the audit log of %s is keyed from record %d on: %s", db.Path(), ke.Seq, auditKeyHint)
	case errors.As(err, &ce):
		return fmt.Errorf("the audit key does not verify record %d of %s (%s): %s", ce.Seq, db.Path(), ce.Reason, auditKeyHint)
	case err != nil:
		return err
	}
	if !keyed {
		log.Warn("the audit log is not keyed: anyone who can write the database file can rewrite it unnoticed; " +
			"set " + envAuditKey + " or " + envAuditKeyFile + " (see README, Security)")
	}
	return nil
}

// auditHeadInterval is how often serve logs the audit chain's head.
const auditHeadInterval = time.Hour

// logAuditHead logs the audit chain's head now and every interval until
// ctx ends, so that a copy of the logs kept elsewhere anchors the chain:
// a later rewrite of the database cannot match a head logged before it.
func logAuditHead(ctx context.Context, db database, interval time.Duration, log *slog.Logger) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if h, err := db.AuditHead(ctx); err != nil {
			if ctx.Err() == nil {
				log.Error("reading the audit chain head failed", "error", err)
			}
		} else {
			log.Info("audit chain head", "seq", h.Seq, "hash", h.Hash, "keyed", h.Keyed, "keyed_from", h.KeyedFrom)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
