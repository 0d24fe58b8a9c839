package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/storage"
)

// offlineAuditKey is the audit key the environment gives the offline
// commands (MDEBOT_AUDIT_KEY or MDEBOT_AUDIT_KEY_FILE), nil if none: they
// read no other secret.
func (m *Main) offlineAuditKey() ([]byte, error) {
	a, err := config.LoadAudit(m.Getenv)
	if err != nil {
		return nil, err
	}
	return auditKey(a)
}

// openOffline loads the configuration at path and opens its database
// with the audit key the environment gives (if any),
// printing what went wrong (a running bot holding the file among it) to
// stderr under name. It returns nil and the exit code on failure.
func (m *Main) openOffline(ctx context.Context, name, path string) (database, int) {
	cfg, ok := m.loadOffline(name, path, "storage.path")
	if !ok {
		return nil, exitFatal
	}
	key, err := m.offlineAuditKey()
	if err != nil {
		fmt.Fprintf(m.Stderr, "%s: %v\n", name, err)
		return nil, exitFatal
	}
	cfg.Storage.Etcd.Password = config.EtcdPassword(m.Getenv)
	db, err := openDatabase(ctx, cfg.Storage, key)
	if errors.Is(err, storage.ErrLocked) {
		fmt.Fprintf(m.Stderr, "%s: %v: stop the bot first (these commands read the file directly)\n", name, err)
		return nil, exitFatal
	}
	if err != nil {
		fmt.Fprintf(m.Stderr, "%s: %v\n", name, err)
		return nil, exitFatal
	}
	return db, exitOK
}

// loadOffline loads the configuration at path for the offline subcommand
// name, which reads only keys (config.LoadKeys). On failure it prints each
// problem once, on its own line, then how many there were, and reports
// false.
func (m *Main) loadOffline(name, path string, keys ...string) (*config.Config, bool) {
	cfg, err := config.LoadKeys(path, keys...)
	var ps config.Problems
	switch {
	case errors.As(err, &ps):
		for _, p := range ps {
			fmt.Fprintln(m.Stderr, p.Error())
		}
		noun := "problems"
		if len(ps) == 1 {
			noun = "problem"
		}
		fmt.Fprintf(m.Stderr, "%s: %d configuration %s (it reads only %s)\n", name, len(ps), noun, strings.Join(keys, " and "))
		return nil, false
	case err != nil:
		fmt.Fprintf(m.Stderr, "%s: %v\n", name, err)
		return nil, false
	}
	return cfg, true
}

// parseOffline parses the flags of an offline subcommand into fs; usage
// heads -h. It returns false and the exit code when the caller should stop.
func (m *Main) parseOffline(fs *flag.FlagSet, usage string, args []string) (bool, int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	print := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		print(m.Stdout)
		return false, exitOK
	case err != nil:
		fmt.Fprintf(m.Stderr, "%s: %v\n", fs.Name(), err)
		print(m.Stderr)
		return false, exitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(m.Stderr, "%s: unexpected argument %q (run \"%s -h\")\n", fs.Name(), fs.Arg(0), fs.Name())
		return false, exitUsage
	}
	if f := fs.Lookup("config"); f != nil && f.Value.String() == "" {
		fmt.Fprintf(m.Stderr, "%s: --config FILE is required (run \"%s -h\")\n", fs.Name(), fs.Name())
		return false, exitUsage
	}
	return true, exitOK
}
