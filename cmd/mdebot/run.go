package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mdebot/mdebot"
)

// The exit codes of mdebot.
const (
	exitOK    = 0 // done, or stopped by SIGINT/SIGTERM
	exitFatal = 1 // bad configuration, or a fatal error while serving
	exitUsage = 2 // a command line mdebot does not understand
)

// Main is the whole program: main only wires signals and os.Exit to it, and
// tests run it end to end.
type Main struct {
	// Args are the command-line arguments without the program name, e.g.
	// {"serve", "--config", "/etc/mdebot/mdebot.yaml"}.
	Args []string
	// Getenv reads the environment (SLACK_*, AZURE_*, MDE_*); os.Getenv in
	// production.
	Getenv func(string) string
	// Stdout receives the output asked for (help, the manifest); Stderr
	// receives logs and errors.
	Stdout, Stderr io.Writer
}

// Run runs the subcommand named by m.Args[0] until it is done or ctx ends,
// and returns the process exit code: 0 on success or a graceful stop, 1 for
// a fatal error, 2 for a command line it does not understand.
func (m *Main) Run(ctx context.Context) int {
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	if m.Stderr == nil {
		m.Stderr = io.Discard
	}
	if len(m.Args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return exitUsage
	}
	cmd, args := m.Args[0], m.Args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
		return exitOK
	case "manifest":
		return m.manifest(args)
	case "serve":
		return m.serve(ctx, args)
	case "playground":
		return m.playground(ctx, args)
	case "audit":
		return m.audit(ctx, args)
	case "export":
		return m.export(ctx, args)
	case "backup":
		return m.backup(ctx, args)
	case "check":
		return m.check(ctx, args)
	case "migrate":
		return m.migrate(ctx, args)
	}
	fmt.Fprintf(m.Stderr, "mdebot: unknown command %q (run \"mdebot help\" for the commands)\n", cmd)
	return exitUsage
}

// manifest prints the embedded Slack app manifest.
func (m *Main) manifest(args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(m.Stderr, "mdebot manifest: takes no arguments")
		return exitUsage
	}
	if _, err := m.Stdout.Write(mdebot.Manifest); err != nil {
		fmt.Fprintf(m.Stderr, "mdebot: writing the manifest: %v\n", err)
		return exitFatal
	}
	return exitOK
}
