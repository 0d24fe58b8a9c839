// Command mdebot is a Slack bot that runs Microsoft Defender for Endpoint
// response actions under a two-person rule. Run "mdebot help" for usage.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mdebot/mdebot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `mdebot: Microsoft Defender for Endpoint response actions from Slack, with a second pair of eyes.

Usage:
  mdebot manifest      print the Slack app manifest to create the app from
  mdebot help          show this help
`

// run executes one mdebot subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	_ = ctx
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch args[0] {
	case "manifest":
		if len(args) > 1 {
			fmt.Fprintln(stderr, "mdebot manifest: takes no arguments")
			return 2
		}
		if _, err := stdout.Write(mdebot.Manifest); err != nil {
			fmt.Fprintf(stderr, "mdebot manifest: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "mdebot: unknown command %q (run \"mdebot help\")\n", args[0])
	return 2
}
