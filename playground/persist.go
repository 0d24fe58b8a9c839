package playground

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mdebot/mdebot/slacktest"
)

// Files holding the fake workspace's and the tenant's state in DataDir, so
// that a second start finds the messages and actions the bot's database
// points at.
const (
	// SlackStateFileName holds the workspace's snapshot (slacktest.Server.Snapshot).
	SlackStateFileName = "slack-state.json"
	// TenantStateFileName holds the tenant's snapshot (defendertest.Server.Snapshot).
	TenantStateFileName = "tenant-state.json"
)

// saveDelay is how long the playground waits after a change before saving
// the state, so that a burst of changes is written once and a crash loses at
// most this much.
const saveDelay = 500 * time.Millisecond

// restorer is what the playground restores a snapshot into.
type restorer interface{ Restore([]byte) error }

// restore loads the snapshots found in the data directory; a missing file
// is a fresh start.
func (p *Playground) restore() error {
	for name, s := range map[string]restorer{SlackStateFileName: p.slack, TenantStateFileName: p.tenant} {
		path := filepath.Join(p.dataDir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the playground state: %w", err)
		}
		if err := s.Restore(data); err != nil {
			return fmt.Errorf("%s: %w (move it away to start afresh)", path, err)
		}
	}
	return nil
}

// save writes both snapshots to the data directory, each atomically.
func (p *Playground) save() error {
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	slackState, err := p.slack.Snapshot()
	if err != nil {
		return err
	}
	tenantState, err := p.tenant.Snapshot()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(p.dataDir, SlackStateFileName), slackState); err != nil {
		return fmt.Errorf("saving the workspace state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(p.dataDir, TenantStateFileName), tenantState); err != nil {
		return fmt.Errorf("saving the tenant state: %w", err)
	}
	return nil
}

// startSaving saves the state saveDelay after each change of the workspace
// or the tenant, until stopSaving.
func (p *Playground) startSaving() {
	slackEvents, stopSlack := p.slack.Subscribe()
	tenantEvents, stopTenant := p.tenant.Subscribe()
	p.saveStop = make(chan struct{})
	p.saveDone = make(chan struct{})
	go func() {
		defer close(p.saveDone)
		defer stopSlack()
		defer stopTenant()
		var fire <-chan time.Time
		later := func() {
			if fire == nil {
				fire = time.After(saveDelay)
			}
		}
		for {
			select {
			case <-p.saveStop:
				return
			case e, ok := <-slackEvents:
				if !ok {
					slackEvents = nil
				} else if durable(e.Kind) {
					later()
				}
			case _, ok := <-tenantEvents:
				if !ok {
					tenantEvents = nil
				} else {
					later()
				}
			case <-fire:
				fire = nil
				if err := p.save(); err != nil {
					p.log.Warn("cannot save the playground state", "error", err)
				}
			}
		}
	}()
}

// stopSaving ends startSaving's goroutine.
func (p *Playground) stopSaving() {
	if p.saveStop == nil {
		return
	}
	close(p.saveStop)
	<-p.saveDone
}

// durable reports whether a workspace change is part of its snapshot.
func durable(k slacktest.EventKind) bool {
	switch k {
	case slacktest.EventMessagePosted, slacktest.EventMessageUpdated, slacktest.EventMessageDeleted,
		slacktest.EventViewOpened, slacktest.EventViewUpdated, slacktest.EventViewClosed, slacktest.EventViewPublished:
		return true
	}
	return false
}

// DataDir returns the absolute path of the data directory.
func (p *Playground) DataDir() string { return p.dataDir }
