package main

import (
	"io"
	"log/slog"

	"github.com/mdebot/mdebot/config"
)

// newLogger returns the slog logger log.format and log.level ask for,
// writing to w.
func newLogger(w io.Writer, c config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
