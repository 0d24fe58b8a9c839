package etcdstore

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxMarkKey bounds a mark's key, as storage does.
const maxMarkKey = 512

// Mark records value under key unless key is already recorded: one etcd
// transaction that creates the key only if it is absent. Of several
// replicas marking one key, exactly one sees first true.
func (s *Store) Mark(ctx context.Context, key, value string) (first bool, err error) {
	if key == "" || len(key) > maxMarkKey {
		return false, fmt.Errorf("etcdstore: mark key of %d bytes (want 1 to %d)", len(key), maxMarkKey)
	}
	k := s.prefix + famMarks + key
	resp, err := s.cli.Txn(ctx).If(append(s.fenceCmp(), clientv3.Compare(clientv3.CreateRevision(k), "=", 0))...).
		Then(clientv3.OpPut(k, value)).Commit()
	if err != nil {
		return false, fmt.Errorf("etcdstore: marking %q: %w", key, err)
	}
	if !resp.Succeeded {
		if err := s.deposed(ctx); err != nil {
			return false, fmt.Errorf("etcdstore: marking %q: %w", key, err)
		}
	}
	return resp.Succeeded, nil
}

// Marked returns the value recorded under key by Mark, and whether there is
// one.
func (s *Store) Marked(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.view(ctx, func(t *tx) error {
		v, mod, err := t.read(famMarks + key)
		value, ok = string(v), mod != 0
		return err
	})
	return value, ok, err
}

// Ping checks that etcd takes writes: it stores the current time under
// meta/ping (a quorum write).
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.cli.Put(ctx, s.prefix+keyPing, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("etcdstore: writing to %s: %w", s.Path(), err)
	}
	return nil
}
