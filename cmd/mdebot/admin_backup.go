package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// backupFunc writes a consistent copy of the database to w (storage.DB's
// Backup).
type backupFunc func(ctx context.Context, w io.Writer) (int64, error)

// backupTrailer is the HTTP trailer of a /backup reply: "ok" once the
// whole copy was sent, else "failed: …". mdebot backup keeps the copy only
// if it says ok.
const backupTrailer = "X-Mdebot-Backup"

// backupTimeout bounds one online backup.
const backupTimeout = 10 * time.Minute

// backupHandler serves POST /backup: the database, read in one bbolt read
// transaction while the bot keeps running, as application/octet-stream.
// Only loopback clients naming a loopback host (127.0.0.1, ::1,
// localhost) are served (403 otherwise), whatever address
// admin.listen binds. The backupTrailer trailer says whether the copy is
// whole, since a failure half-way comes after the 200 status.
func backupHandler(backup backupFunc, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) || !isLoopbackHost(r.Host) {
			http.Error(w, "backup is served to loopback clients only", http.StatusForbidden)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), backupTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="mdebot-backup.db"`)
		w.Header().Set("Trailer", backupTrailer)
		n, err := backup(ctx, w)
		if err != nil {
			log.ErrorContext(ctx, "online backup failed", "bytes", n, "error", err)
			w.Header().Set(backupTrailer, "failed: "+err.Error())
			return
		}
		w.Header().Set(backupTrailer, "ok")
		log.InfoContext(ctx, "online backup served", "bytes", n, "client", r.RemoteAddr)
	})
}

// isLoopback reports whether a request's RemoteAddr is a loopback address.
func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// isLoopbackHost reports whether a request's Host names this machine by a
// loopback address or "localhost". A browser on the bot's host steered to
// the admin port by DNS rebinding sends another name, so a web page can
// never read the database through it.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
