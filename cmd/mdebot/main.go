package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// main wires the process to Main: the arguments, the environment, the
// standard streams, SIGINT and SIGTERM (which cancel the context, so that
// serve stops gracefully; a second signal kills at once), and the exit code.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore the default action: a second signal ends the process
	}()
	m := &Main{Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}
	code := m.Run(ctx)
	stop()
	os.Exit(code)
}
