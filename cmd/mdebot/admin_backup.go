package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// backupFunc writes a consistent copy of the database to w (storage.DB's
// Backup).
type backupFunc func(ctx context.Context, w io.Writer) (int64, error)

// backupTrailer is the HTTP trailer of a /backup reply: "ok" once the
// whole copy was sent, else "failed: …". mdebot backup keeps the copy only
// if it says ok.
const backupTrailer = "X-Mdebot-Backup"

// backupTimeout bounds one online backup: past it the copy is cut off and
// its read transaction ends, whatever the client does.
const backupTimeout = 10 * time.Minute

// backupStall is how long one write of the copy to the client may take: a
// client that stops reading for this long is cut off, so that it cannot
// hold the database's read transaction open.
const backupStall = 30 * time.Second

// backupOptions configure backupHandler.
type backupOptions struct {
	// token is the secret a client must send as "Authorization: Bearer …"
	// (admin.backup_token_file's contents).
	token []byte
	// timeout and stall default to backupTimeout and backupStall.
	timeout, stall time.Duration
}

// backupHandler serves POST /backup: the database, read in one bbolt read
// transaction while the bot keeps running, as application/octet-stream.
// It is served only to loopback clients naming a loopback host
// (127.0.0.1, ::1, localhost), whatever address admin.listen binds (403
// otherwise), that send the token (401 otherwise), one at a time (409 to
// a second while one runs). The copy is cut off, and its transaction ends,
// once it has taken opts.timeout or the client has not read for
// opts.stall, or when the admin listener stops (its request context
// ends). The backupTrailer trailer says whether the copy is whole, since
// a failure half-way comes after the 200 status.
func backupHandler(backup backupFunc, opts backupOptions, log *slog.Logger) http.Handler {
	if opts.timeout <= 0 {
		opts.timeout = backupTimeout
	}
	if opts.stall <= 0 {
		opts.stall = backupStall
	}
	want := sha256.Sum256(opts.token)
	running := make(chan struct{}, 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) || !isLoopbackHost(r.Host) {
			http.Error(w, "backup is served to loopback clients only", http.StatusForbidden)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || len(opts.token) == 0 || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			log.WarnContext(r.Context(), "online backup refused: missing or wrong token", "client", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="mdebot backup"`)
			http.Error(w, "backup needs the token in admin.backup_token_file (Authorization: Bearer …)", http.StatusUnauthorized)
			return
		}
		select {
		case running <- struct{}{}:
			defer func() { <-running }()
		default:
			http.Error(w, "a backup is already running; try again when it ends", http.StatusConflict)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), opts.timeout)
		defer cancel()
		dw := newDeadlineWriter(ctx, w, opts.stall)
		defer dw.stop()
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="mdebot-backup.db"`)
		w.Header().Set("Trailer", backupTrailer)
		n, err := backup(ctx, dw)
		if err != nil {
			log.ErrorContext(ctx, "online backup failed", "bytes", n, "error", err)
			w.Header().Set(backupTrailer, "failed: "+err.Error())
			return
		}
		w.Header().Set(backupTrailer, "ok")
		log.InfoContext(ctx, "online backup served", "bytes", n, "client", r.RemoteAddr)
	})
}

// errBackupCut is the error of a write after the backup's context ended.
var errBackupCut = errors.New("backup cut off")

// deadlineWriter writes a reply under write deadlines: each Write must
// finish within stall, and none may start, or go on, once ctx ends (its
// deadline, or the listener stopping): a write blocked on a client that
// stopped reading then fails at once.
type deadlineWriter struct {
	ctx   context.Context
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
	after func() bool // stops the AfterFunc

	mu  sync.Mutex
	cut bool
}

func newDeadlineWriter(ctx context.Context, w http.ResponseWriter, stall time.Duration) *deadlineWriter {
	dw := &deadlineWriter{ctx: ctx, w: w, rc: http.NewResponseController(w), stall: stall}
	dw.after = context.AfterFunc(ctx, func() {
		dw.mu.Lock()
		defer dw.mu.Unlock()
		dw.cut = true
		_ = dw.rc.SetWriteDeadline(time.Unix(1, 0)) // in the past: fail the write under way
	})
	return dw
}

// Write implements io.Writer.
func (dw *deadlineWriter) Write(p []byte) (int, error) {
	dw.mu.Lock()
	if dw.cut {
		dw.mu.Unlock()
		return 0, errors.Join(errBackupCut, dw.why())
	}
	deadline := time.Now().Add(dw.stall)
	if d, ok := dw.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	err := dw.rc.SetWriteDeadline(deadline)
	dw.mu.Unlock()
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	n, err := dw.w.Write(p)
	if why := dw.why(); err != nil && why != nil {
		err = errors.Join(errBackupCut, why, err)
	}
	return n, err
}

// why returns why the backup is being cut off, or nil while it may go
// on: its deadline passed (the write failing at that deadline may come
// before the context's own timer, and the server then cancels the
// request), or its context ended.
func (dw *deadlineWriter) why() error {
	if d, ok := dw.ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return context.Cause(dw.ctx)
}

// stop ends the deadlines: the trailer may still be written.
func (dw *deadlineWriter) stop() {
	dw.after()
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
