package defendertest

import (
	"fmt"
	"slices"
	"time"
)

// The MachineAction statuses.
const (
	statusPending    = "Pending"
	statusInProgress = "InProgress"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
	statusTimeOut    = "TimeOut"
	statusCancelled  = "Cancelled"
)

var allStatuses = []string{statusPending, statusInProgress, statusSucceeded, statusFailed, statusTimeOut, statusCancelled}

func terminal(status string) bool {
	switch status {
	case statusSucceeded, statusFailed, statusTimeOut, statusCancelled:
		return true
	}
	return false
}

// Action is a snapshot of a machine action held by the server.
type Action struct {
	ID               string
	Type             string // Isolate, Unisolate, RunAntiVirusScan, …
	Status           string // status as of the server clock when read
	MachineID        string
	ComputerDNSName  string
	Requestor        string
	RequestorComment string
	Scope            string // isolation or scan type, "" otherwise
	Created          time.Time
	Updated          time.Time
	Sha1             string // StopAndQuarantineFile only
	Cancelled        bool
	// Error is the failure message of a Failed action ("" otherwise).
	Error string
	// CancellationRequestor and CancellationComment are set once cancelled.
	CancellationRequestor string
	CancellationComment   string
}

// actionRecord is the server's state of one action.
type actionRecord struct {
	Action
	phaseStart time.Time // when the current status began (progression base)
	outcome    Outcome
	cancelTime time.Time
}

// advanceLocked moves a to the status it has reached at now. s.mu must be
// held. It reports whether the status changed.
func (s *Server) advanceLocked(a *actionRecord, now time.Time) bool {
	changed := false
	for {
		at, next, ok := s.nextStep(a)
		if !ok || now.Before(at) {
			return changed
		}
		a.Status, a.Updated, a.phaseStart = next, at, at
		if next == statusFailed {
			a.Error = a.outcome.Error
		}
		if next == statusSucceeded && a.Type == "Offboard" {
			if m := s.machineByIDLocked(a.MachineID); m != nil {
				m.Offboarded = true
			}
		}
		changed = true
	}
}

// nextStep computes when a leaves its current status and for which one.
func (s *Server) nextStep(a *actionRecord) (time.Time, string, bool) {
	pending, inProgress := s.cfg.pending, s.cfg.inProgress
	if terminal(a.Status) || (pending == 0 && inProgress == 0) {
		return time.Time{}, "", false
	}
	if m := s.machineByIDLocked(a.MachineID); m != nil && m.Offboarded {
		// The sensor is gone: MDE accepts the action, nothing runs it.
		return time.Time{}, "", false
	}
	o := a.outcome
	end := statusSucceeded
	switch o.Status {
	case statusFailed, statusTimeOut, statusCancelled:
		end = o.Status
	}
	if o.Delay > 0 {
		pending = min(pending, o.Delay)
		inProgress = o.Delay - pending
	}
	switch a.Status {
	case statusPending:
		if end == statusTimeOut {
			d := s.cfg.pending + s.cfg.inProgress
			if o.Delay > 0 {
				d = o.Delay
			}
			return a.phaseStart.Add(d), statusTimeOut, true
		}
		return a.phaseStart.Add(pending), statusInProgress, true
	case statusInProgress:
		return a.phaseStart.Add(inProgress), end, true
	}
	return time.Time{}, "", false
}

// seedOffboardLocked records the Succeeded Offboard action that left a
// seeded machine offboarded, a day before now (after its last report).
// s.mu must be held (or the server not yet shared).
func (s *Server) seedOffboardLocked(m *Machine, now time.Time) {
	at := now.Add(-24 * time.Hour)
	if !m.LastSeen.Before(at) {
		at = m.LastSeen.Add(time.Minute)
	}
	a := &actionRecord{
		Action: Action{
			ID: newGUID(), Type: "Offboard", Status: statusSucceeded, MachineID: m.ID,
			ComputerDNSName: m.ComputerDNSName, Requestor: "analyst@contoso.com",
			RequestorComment: "offboarded before the server started", Created: at, Updated: at,
		},
		phaseStart: at,
	}
	s.actions = append(s.actions, a)
	s.actionByID[a.ID] = a
}

// advanceAllLocked advances every action; it notifies if any changed.
func (s *Server) advanceAllLocked() {
	now := s.now()
	changed := false
	for _, a := range s.actions {
		if s.advanceLocked(a, now) {
			changed = true
		}
	}
	if changed {
		s.notifyLocked()
	}
}

// nextTransitionLocked returns the earliest pending automatic transition.
func (s *Server) nextTransitionLocked() (time.Time, bool) {
	var best time.Time
	found := false
	for _, a := range s.actions {
		at, _, ok := s.nextStep(a)
		if ok && (!found || at.Before(best)) {
			best, found = at, true
		}
	}
	return best, found
}

// Actions returns every action in creation order, with its status as of
// the server clock.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceAllLocked()
	out := make([]Action, len(s.actions))
	for i, a := range s.actions {
		out[i] = a.Action
	}
	return out
}

// SetStatus forces action id into status (Pending, InProgress, Succeeded,
// Failed, TimeOut or Cancelled) at the current server time. Automatic
// progression, if enabled, continues from a non-terminal status.
func (s *Server) SetStatus(id, status string) error {
	if !slices.Contains(allStatuses, status) {
		return fmt.Errorf("defendertest: unknown action status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actionByID[normalizeGUID(id)]
	if a == nil {
		return fmt.Errorf("defendertest: no action %q", id)
	}
	now := s.now()
	s.advanceLocked(a, now)
	a.Status, a.Updated, a.phaseStart = status, now, now
	switch status {
	case statusFailed:
		a.Error = a.outcome.Error
	case statusCancelled:
		a.Cancelled = true
		a.CancellationRequestor = "defendertest"
		a.cancelTime = now
	case statusSucceeded:
		if m := s.machineByIDLocked(a.MachineID); m != nil && a.Type == "Offboard" {
			m.Offboarded = true
		}
	}
	s.notifyLocked()
	return nil
}

// SetPackageURI overrides the SAS URI getPackageUri returns for actionID.
func (s *Server) SetPackageURI(actionID, uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.packageURIs[normalizeGUID(actionID)] = uri
	s.notifyLocked()
}

// QuarantineFails makes StopAndQuarantineFile actions created from now on
// for sha1 end Failed with message (e.g. a Microsoft-signed file).
func (s *Server) QuarantineFails(sha1, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quarantine[normalizeHash(sha1)] = message
	s.notifyLocked()
}
