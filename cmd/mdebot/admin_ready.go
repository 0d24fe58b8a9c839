package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mdebot/mdebot/bot"
)

// readyDBTimeout bounds the database write of one /readyz.
const readyDBTimeout = 2 * time.Second

// readyCacheTTL is how long the database check's result answers /readyz
// before another write is tried. Probes arriving meanwhile, or while a
// check runs, share it: a slow database never holds more than one check.
const readyCacheTTL = time.Second

// pinger is a database that can prove it takes writes (storage.DB).
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness answers /readyz: ready while the Socket Mode connection is up
// and the database takes writes. It learns the socket's state as a
// bot.Observer (see observer).
type readiness struct {
	db  pinger
	now func() time.Time

	mu    sync.Mutex
	up    bool
	since time.Time // when up last changed; zero before the first connection

	dbMu     sync.Mutex
	dbCheck  *dbCheck  // the check running, or the last one
	dbCached time.Time // when dbCheck ended; zero while it runs
}

// dbCheck is one database write shared by every probe that asks for it.
type dbCheck struct {
	done   chan struct{} // closed when reason is set
	reason string        // "" when the database took the write
}

// newReadiness returns a readiness over db, not ready until the socket
// first connects.
func newReadiness(db pinger) *readiness {
	return &readiness{db: db, now: time.Now}
}

// observer returns a bot.Observer that tells r of the socket's state and
// passes everything on to next.
func (r *readiness) observer(next bot.Observer) bot.Observer {
	return &readyObserver{Observer: next, r: r}
}

// readyObserver is a bot.Observer feeding a readiness.
type readyObserver struct {
	bot.Observer
	r *readiness
}

// SocketConnected implements bot.Observer.
func (o *readyObserver) SocketConnected(up, reconnect bool) {
	o.r.mu.Lock()
	if o.r.up != up || o.r.since.IsZero() {
		o.r.up, o.r.since = up, o.r.now()
	}
	o.r.mu.Unlock()
	o.Observer.SocketConnected(up, reconnect)
}

// check returns "" when ready, else why not.
func (r *readiness) check(ctx context.Context) string {
	r.mu.Lock()
	up, since := r.up, r.since
	r.mu.Unlock()
	switch {
	case since.IsZero():
		return "Slack Socket Mode not connected yet"
	case !up:
		return fmt.Sprintf("Slack Socket Mode disconnected since %s", since.UTC().Format(time.RFC3339))
	}
	return r.checkDB(ctx)
}

// checkDB returns "" when the database takes writes, else why not. It
// answers from the last check if that ended less than readyCacheTTL ago,
// joins the check running if any, and else starts one. The check runs
// apart from any probe's context, bounded by readyDBTimeout, so a probe
// that gives up does not cut it short for the others.
func (r *readiness) checkDB(ctx context.Context) string {
	r.dbMu.Lock()
	c := r.dbCheck
	switch {
	case c == nil, !r.dbCached.IsZero() && r.now().Sub(r.dbCached) >= readyCacheTTL:
		c = &dbCheck{done: make(chan struct{})}
		r.dbCheck, r.dbCached = c, time.Time{}
		go r.runDBCheck(c)
	}
	r.dbMu.Unlock()
	select {
	case <-c.done:
		return c.reason
	case <-ctx.Done():
		return "database check not finished: " + ctx.Err().Error()
	}
}

// runDBCheck writes to the database once and records the result in c.
func (r *readiness) runDBCheck(c *dbCheck) {
	ctx, cancel := context.WithTimeout(context.Background(), readyDBTimeout)
	defer cancel()
	if err := r.db.Ping(ctx); err != nil {
		c.reason = "database not writable: " + err.Error()
	}
	r.dbMu.Lock()
	r.dbCached = r.now()
	r.dbMu.Unlock()
	close(c.done)
}

// ServeHTTP answers GET /readyz: 200 "ready", or 503 and the reason.
func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if reason := r.check(req.Context()); reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: "+reason)
		return
	}
	fmt.Fprintln(w, "ready")
}
