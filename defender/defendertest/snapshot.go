package defendertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SnapshotVersion is the format version Snapshot writes and Restore reads.
const SnapshotVersion = 1

// ErrSnapshotVersion is returned by Restore for a snapshot written in a
// format it does not know.
var ErrSnapshotVersion = errors.New("defendertest: unsupported snapshot version")

// snapshot is the JSON form of the tenant's durable state. Machines and
// configured behaviours (QuarantineFails, FailNext, rate limits) come from
// the options, not from the snapshot.
type snapshot struct {
	Version         int               `json:"version"`
	Actions         []actionSnapshot  `json:"actions"`
	Indicators      []Indicator       `json:"indicators"`
	NextIndicatorID int               `json:"next_indicator_id"`
	PackageURIs     map[string]string `json:"package_uris,omitempty"`
}

// actionSnapshot is one action with the progression state Action hides.
type actionSnapshot struct {
	Action
	PhaseStart time.Time `json:"phase_start"`
	Outcome    Outcome   `json:"outcome"`
	CancelTime time.Time `json:"cancel_time"`
}

// Snapshot returns the tenant's durable state as versioned JSON: every
// machine action (with where it is in its progression), the indicators, the
// next indicator ID and the package URIs set with SetPackageURI. Restore
// reads it back.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	snap := snapshot{Version: SnapshotVersion, NextIndicatorID: s.nextIndID, PackageURIs: s.packageURIs}
	for _, a := range s.actions {
		snap.Actions = append(snap.Actions, actionSnapshot{Action: a.Action, PhaseStart: a.phaseStart, Outcome: a.outcome, CancelTime: a.cancelTime})
	}
	for _, in := range s.indicators {
		snap.Indicators = append(snap.Indicators, in.Indicator)
	}
	data, err := json.Marshal(snap) // copies everything while the lock is held
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("defendertest: snapshot: %w", err)
	}
	return data, nil
}

// Restore loads a state written by Snapshot, replacing the server's actions,
// indicators and package URIs; call it right after NewServer. Actions go on
// progressing on the server's clock from where they were (one still
// InProgress when the snapshot was taken finishes when its time comes), and
// indicator IDs are never reused.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("defendertest: restore: %w", err)
	}
	if snap.Version != SnapshotVersion {
		return fmt.Errorf("%w: %d (want %d)", ErrSnapshotVersion, snap.Version, SnapshotVersion)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions = nil
	s.actionByID = map[string]*actionRecord{}
	for _, a := range snap.Actions {
		rec := &actionRecord{Action: a.Action, phaseStart: a.PhaseStart, outcome: a.Outcome, cancelTime: a.CancelTime}
		s.actions = append(s.actions, rec)
		s.actionByID[normalizeGUID(rec.ID)] = rec
	}
	s.indicators = nil
	for _, in := range snap.Indicators {
		s.indicators = append(s.indicators, &indicatorRecord{in})
	}
	s.nextIndID = max(s.nextIndID, snap.NextIndicatorID)
	s.packageURIs = map[string]string{}
	for id, uri := range snap.PackageURIs {
		s.packageURIs[id] = uri
	}
	s.notifyLocked()
	return nil
}
