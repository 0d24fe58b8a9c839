package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// famLeader is the election's key prefix (etcd's concurrency.Election).
const famLeader = "leader/"

// ErrDeposed matches the error of a write by a replica whose term has
// ended (its lease expired and another replica may lead): nothing was
// written.
var ErrDeposed = errors.New("etcdstore: this replica no longer leads")

// fence is the leader key whose existence every write of a leading Store
// requires.
type fence struct {
	key string
	rev int64 // the key's CreateRevision: the term
}

// Term is one replica's leadership, held by a lease that the client keeps
// alive; it ends when the lease is lost (the process stops, is paused past
// the lease, or loses etcd) or on Resign.
type Term struct {
	session  *concurrency.Session
	election *concurrency.Election
}

// Lead campaigns, as replicaID, for the leadership of s's prefix with a
// lease of leaseTTL (rounded up to whole seconds, etcd's unit), and
// returns once this replica leads, or ctx's error. From then on every write
// of s is fenced by the term: it commits only while the leader key this
// campaign created still exists, so a deposed leader's writes fail with
// ErrDeposed instead of racing its successor's. waiting, if not nil, is
// called with the current leader's id while another replica leads.
func (s *Store) Lead(ctx context.Context, replicaID string, leaseTTL time.Duration, waiting func(leader string)) (*Term, error) {
	ttl := max(1, int(math.Ceil(leaseTTL.Seconds())))
	session, err := concurrency.NewSession(s.cli, concurrency.WithTTL(ttl), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, fmt.Errorf("etcdstore: opening a session: %w", err)
	}
	election := concurrency.NewElection(session, s.prefix+famLeader)
	if waiting != nil {
		if resp, err := election.Leader(ctx); err == nil && len(resp.Kvs) == 1 {
			waiting(string(resp.Kvs[0].Value))
		}
	}
	if err := election.Campaign(ctx, replicaID); err != nil {
		session.Close()
		return nil, fmt.Errorf("etcdstore: campaigning for leadership: %w", err)
	}
	s.fence.Store(&fence{key: election.Key(), rev: election.Rev()})
	return &Term{session: session, election: election}, nil
}

// Done is closed when the term ends.
func (t *Term) Done() <-chan struct{} { return t.session.Done() }

// Rev is the term's number: the leader key's creation revision, greater
// for every later term.
func (t *Term) Rev() int64 { return t.election.Rev() }

// Resign ends the term at once, so that another replica need not wait for
// the lease to expire.
func (t *Term) Resign(ctx context.Context) error {
	err := t.election.Resign(ctx)
	if cerr := t.session.Close(); err == nil {
		err = cerr
	}
	return err
}

// fenceCmp returns the condition of s's term, if s leads.
func (s *Store) fenceCmp() []clientv3.Cmp {
	f := s.fence.Load()
	if f == nil {
		return nil
	}
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(f.key), "=", f.rev)}
}

// deposed reports, after a failed conditional write, whether it failed
// because s's term has ended.
func (s *Store) deposed(ctx context.Context) error {
	f := s.fence.Load()
	if f == nil {
		return nil
	}
	resp, err := s.cli.Get(ctx, f.key)
	if err != nil {
		return fmt.Errorf("etcdstore: reading the leader key: %w", err)
	}
	if len(resp.Kvs) != 1 || resp.Kvs[0].CreateRevision != f.rev {
		return ErrDeposed
	}
	return nil
}

// ObserveLeaders calls changed with the leader's id and term each time the
// leadership of s's prefix passes to a new term — not for the term found
// at the start — until ctx ends (returning nil). Every replica may call
// it, leading or not.
func (s *Store) ObserveLeaders(ctx context.Context, changed func(leader string, term int64)) error {
	prefix := s.prefix + famLeader
	var last int64 // the last term seen; 0: none yet
	for ctx.Err() == nil {
		resp, err := s.cli.Get(ctx, prefix, clientv3.WithFirstCreate()...)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("etcdstore: reading the leader: %w", err)
		}
		if len(resp.Kvs) == 1 {
			term := resp.Kvs[0].CreateRevision
			if last != 0 && term != last {
				changed(string(resp.Kvs[0].Value), term)
			}
			last = term
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := s.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
		<-wch // any change: read the leader again
		cancel()
	}
	return nil
}

// StillLeads returns ErrDeposed unless the term s's writes are fenced by
// is still etcd's current one, read now (a linearizable read); nil also
// when s does not lead (no term to check). It is meant right before an
// action that no store transaction can fence: the MDE POST, so that a
// leader paused past its lease and resumed does not send one.
func (s *Store) StillLeads(ctx context.Context) error {
	return s.deposed(ctx)
}
