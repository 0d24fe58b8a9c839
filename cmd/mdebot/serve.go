package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"

	"github.com/mdebot/mdebot/config"
)

// serveUsage heads "mdebot serve -h".
const serveUsage = `Usage: mdebot serve --config FILE [--dry-run]

Connects to Slack over Socket Mode and serves /mde until SIGINT or SIGTERM,
then stops gracefully (exit status 0). The file holds the policy and routing
(start from config/example.yaml); secrets and endpoints come from the
environment (SLACK_APP_TOKEN, SLACK_BOT_TOKEN, AZURE_TENANT_ID, AZURE_CLIENT_ID,
AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, …; see "mdebot help").

Flags:
`

// serve parses serve's flags, loads the configuration and serves until ctx
// ends or a fatal error.
func (m *Main) serve(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("mdebot serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configPath := fs.String("config", "", "the YAML configuration `FILE` (see config/example.yaml)")
	dryRun := fs.Bool("dry-run", false, "run the whole flow but send no action to Defender: approved requests close with a DRY RUN note")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printFlags(m.Stdout, fs)
			return exitOK
		}
		fmt.Fprintf(m.Stderr, "mdebot serve: %v\n", err)
		printFlags(m.Stderr, fs)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(m.Stderr, "mdebot serve: unexpected argument %q (run \"mdebot serve -h\")\n", fs.Arg(0))
		return exitUsage
	}
	if *configPath == "" {
		fmt.Fprintln(m.Stderr, "mdebot serve: --config FILE is required (start from config/example.yaml; run \"mdebot serve -h\")")
		return exitUsage
	}

	cfg, err := config.Load(*configPath, m.Getenv)
	if err != nil {
		m.printConfigError(err)
		return exitFatal
	}
	key, err := auditKey(cfg.Audit)
	if err != nil {
		fmt.Fprintf(m.Stderr, "mdebot: %v\n", err)
		return exitFatal
	}
	if err := serveConfig(ctx, cfg, newLogger(m.Stderr, cfg.Log), serveOptions{dryRun: *dryRun, auditKey: key}); err != nil {
		fmt.Fprintf(m.Stderr, "mdebot: %v\n", err)
		return exitFatal
	}
	return exitOK
}

// serveOptions are serve's flags beyond the configuration file.
type serveOptions struct {
	// dryRun runs the whole flow without sending any action to MDE
	// (bot.Options.DryRun).
	dryRun bool
	// defenderHTTP, when not nil, is the HTTP client of Entra ID and MDE
	// (the playground's, trusting its simulated tenant).
	defenderHTTP *http.Client
	// auditKey keys the audit chain (MDEBOT_AUDIT_KEY); nil leaves it
	// plain, which serve warns of.
	auditKey []byte
}

// printFlags writes serve's usage and flags to w.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, serveUsage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// printConfigError prints every configuration problem on its own line
// ("file:line: message" or "environment: message"), then a summary.
func (m *Main) printConfigError(err error) {
	var ps config.Problems
	if !errors.As(err, &ps) {
		fmt.Fprintf(m.Stderr, "mdebot: %v\n", err)
		return
	}
	for _, p := range ps {
		fmt.Fprintln(m.Stderr, p.Error())
	}
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(m.Stderr, "mdebot: %d configuration %s; see config/example.yaml and \"mdebot help\"\n", len(ps), noun)
}
