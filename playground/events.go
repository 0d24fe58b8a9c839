package playground

import (
	"fmt"
	"net/http"
	"time"
)

// keepAlive is how often an idle event stream gets a comment line, so that
// proxies and the browser keep it open.
const keepAlive = 15 * time.Second

// nudge wakes every event stream for a change the fakes do not report (a
// modal the page closed).
func (p *Playground) nudge() {
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

func (p *Playground) changedChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// handleEvents answers GET /events: a server-sent event stream with an
// "update" event (data: what changed) whenever the workspace or the tenant
// changes, coalescing bursts. The page fetches /api/state on each.
func (p *Playground) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	slackEvents, stopSlack := p.slack.Subscribe()
	defer stopSlack()
	tenantEvents, stopTenant := p.tenant.Subscribe()
	defer stopTenant()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	write := func(format string, args ...any) bool {
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 1000\nevent: hello\ndata: connected\n\n") {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	// Held across iterations: a nudge while an event is being written
	// closes this channel, so the next select sees it. (Asking for the
	// current channel in each select would miss a nudge made meanwhile.)
	// A nudge between firing and taking the next channel needs no event of
	// its own: the page fetches the state after the one written now.
	changed := p.changedChan()
	for {
		var what string
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-slackEvents:
			if !ok {
				return
			}
			what = string(e.Kind)
		case _, ok := <-tenantEvents:
			if !ok {
				return
			}
			what = "tenant"
		case <-changed:
			changed = p.changedChan()
			what = "page"
		case <-tick.C:
			if !write(": keep-alive\n\n") {
				return
			}
			continue
		}
		if !write("event: update\ndata: %s\n\n", what) {
			return
		}
	}
}
