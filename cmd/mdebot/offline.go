package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/storage"
)

// offlineEnv stands in for the environment of the offline subcommands
// (audit verify, export, backup): they read only the file's storage.path
// and the audit key, so the Slack and Entra ID secrets need not be set
// where they run. The audit key comes from the real environment.
func (m *Main) offlineEnv(key string) string {
	switch key {
	case "SLACK_APP_TOKEN":
		return "xapp-offline"
	case "SLACK_BOT_TOKEN":
		return "xoxb-offline"
	case "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET":
		return "offline"
	case envAuditKey, envAuditKeyFile:
		return m.Getenv(key)
	}
	return ""
}

// openOffline loads the configuration at path and opens its database
// with the audit key the environment gives (if any), printing what went wrong (a running bot holding the file among it) to
// stderr under name. It returns nil and the exit code on failure.
func (m *Main) openOffline(name, path string) (*storage.DB, int) {
	cfg, err := config.Load(path, m.offlineEnv)
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(m.Stderr, p.Error())
			}
		}
		fmt.Fprintf(m.Stderr, "%s: %v\n", name, err)
		return nil, exitFatal
	}
	key, err := auditKey(cfg.Audit)
	if err != nil {
		fmt.Fprintf(m.Stderr, "%s: %v\n", name, err)
		return nil, exitFatal
	}
	db, err := storage.Open(cfg.Storage.Path, &storage.Options{AuditKey: key})
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
