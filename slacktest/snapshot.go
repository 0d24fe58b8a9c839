package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// SnapshotVersion is the format version Snapshot writes and Restore reads.
const SnapshotVersion = 1

// ErrSnapshotVersion is returned by Restore for a snapshot written in a
// format it does not know.
var ErrSnapshotVersion = errors.New("slacktest: unsupported snapshot version")

// snapshot is the JSON form of the workspace's durable state: what a person
// would expect to find again after a restart. Connections, envelopes, acks,
// recorded calls, scripted failures and trigger IDs are not part of it.
type snapshot struct {
	Version  int         `json:"version"`
	Users    []User      `json:"users"`
	Groups   []UserGroup `json:"groups"`
	Channels []Channel   `json:"channels"`
	Messages []Message   `json:"messages"`
	Views    []View      `json:"views"`
	Files    []File      `json:"files"`
	LastTS   int64       `json:"last_ts"`
	Seq      int         `json:"seq"`
}

// Snapshot returns the workspace's durable state as versioned JSON: users,
// user groups, channels, messages (with their edits and files), views,
// uploaded files and the ts and ID counters. Restore reads it back.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	snap := snapshot{Version: SnapshotVersion, LastTS: s.lastTS, Seq: s.seq}
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		snap.Users = append(snap.Users, s.users[id])
	}
	for _, id := range slices.Sorted(maps.Keys(s.groups)) {
		g := *s.groups[id]
		g.Members = slices.Clone(g.Members)
		snap.Groups = append(snap.Groups, g)
	}
	for _, id := range slices.Sorted(maps.Keys(s.channels)) {
		snap.Channels = append(snap.Channels, s.channels[id])
	}
	for _, ch := range slices.Sorted(maps.Keys(s.messages)) {
		for _, m := range s.messages[ch] {
			snap.Messages = append(snap.Messages, *m)
		}
	}
	for _, v := range s.views {
		snap.Views = append(snap.Views, *v)
	}
	for _, id := range slices.Sorted(maps.Keys(s.uploads)) {
		if u := s.uploads[id]; u.completed {
			snap.Files = append(snap.Files, File{ID: id, Name: u.name, Title: u.name, Content: u.content})
		}
	}
	data, err := json.Marshal(snap) // copies every slice and map while the lock is held
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("slacktest: snapshot: %w", err)
	}
	return data, nil
}

// Restore loads a state written by Snapshot into a server that has not
// served yet (call it right after NewServer, before the bot connects). The
// snapshot's messages, views and files replace the server's; its users,
// groups and channels are added, those given as options winning on equal
// IDs (so a changed seed applies); the ts and ID counters never go back, so
// new messages sort after the restored ones and IDs are not reused.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("slacktest: restore: %w", err)
	}
	if snap.Version != SnapshotVersion {
		return fmt.Errorf("%w: %d (want %d)", ErrSnapshotVersion, snap.Version, SnapshotVersion)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range snap.Users {
		if _, ok := s.users[u.ID]; !ok {
			s.users[u.ID] = u
		}
	}
	for _, g := range snap.Groups {
		if _, ok := s.groups[g.ID]; !ok {
			s.groups[g.ID] = &g
		}
	}
	for _, c := range snap.Channels {
		if _, ok := s.channels[c.ID]; !ok {
			s.channels[c.ID] = c
		}
	}
	s.messages = map[string][]*Message{}
	for _, m := range snap.Messages {
		if string(m.Blocks) == "null" {
			m.Blocks = nil // as posted without blocks
		}
		s.messages[m.Channel] = append(s.messages[m.Channel], &m)
		s.lastTS = max(s.lastTS, tsMicros(m.TS))
	}
	s.views = nil
	for _, v := range snap.Views {
		s.views = append(s.views, &v)
	}
	s.uploads = map[string]*upload{}
	for _, f := range snap.Files {
		s.uploads[f.ID] = &upload{name: f.Name, length: len(f.Content), content: f.Content, uploaded: true, completed: true}
	}
	s.lastTS = max(s.lastTS, snap.LastTS)
	s.seq = max(s.seq, snap.Seq)
	s.changeLocked()
	return nil
}
