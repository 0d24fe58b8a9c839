package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// adminRoutes are what the admin listener serves besides /healthz; a nil
// field leaves its endpoint out.
type adminRoutes struct {
	metrics http.Handler // GET /metrics
	ready   *readiness   // GET /readyz
	backup  backupFunc   // POST /backup (loopback clients with the token only)
	// backupToken is admin.backup_token_file's secret; backup is left out
	// without it.
	backupToken []byte
}

// adminServer is the local admin HTTP listener (admin.listen):
//
//	GET  /healthz  200 "ok" while serve runs
//	GET  /readyz   200 "ready" while the Socket Mode connection is up and
//	               the database takes writes, else 503 and the reason
//	GET  /metrics  the Prometheus metrics
//	POST /backup   a consistent copy of the database (loopback clients
//	               sending the token of admin.backup_token_file; off
//	               without it)
type adminServer struct {
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
	cancel context.CancelFunc // ends every request's context
}

// startAdmin listens on addr and serves the admin endpoints in the
// background. A port in use is an error, so serve stops at once.
func startAdmin(addr string, log *slog.Logger, routes adminRoutes) (*adminServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin.listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	if routes.ready != nil {
		mux.Handle("GET /readyz", routes.ready)
	}
	if routes.metrics != nil {
		mux.Handle("GET /metrics", routes.metrics)
	}
	if routes.backup != nil && len(routes.backupToken) > 0 {
		mux.Handle("POST /backup", backupHandler(routes.backup, backupOptions{token: routes.backupToken}, log))
	}
	base, cancel := context.WithCancel(context.Background())
	a := &adminServer{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return base },
		},
		ln:     ln,
		done:   make(chan struct{}),
		cancel: cancel,
	}
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", "error", err)
		}
	}()
	log.Info("admin listener up", "addr", ln.Addr().String())
	return a, nil
}

// stop shuts the listener down, waiting a few seconds for open requests.
// A backup under way is cut off at once (its request context ends), so a
// client that stopped reading cannot hold shutdown up.
func (a *adminServer) stop() {
	a.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
	<-a.done
}
