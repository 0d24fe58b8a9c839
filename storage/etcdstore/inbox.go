package etcdstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The inbox's key families: an envelope's claim (its de-duplication key,
// under a lease) and the envelope itself until the leader has handled it.
const (
	famClaims = "claims/"
	famInbox  = "inbox/"
)

// ClaimTTL is how long, at least, a claimed envelope's key is remembered:
// longer than Slack re-delivers an envelope (its last retry comes about 5
// minutes after the first delivery).
const ClaimTTL = 10 * time.Minute

// claimLease is the lease claims are written under, granted anew once
// half of ClaimTTL has passed: every claim lives between ClaimTTL/2 and
// ClaimTTL, under one lease per ClaimTTL/2 rather than one per envelope.
type claimLease struct {
	mu      sync.Mutex
	id      clientv3.LeaseID
	granted time.Time
}

// claimLeaseID returns the lease to write a claim under, granting a new one when
// there is none or the current one is half spent (or stale: etcd lost it).
func (s *Store) claimLeaseID(ctx context.Context, stale bool) (clientv3.LeaseID, error) {
	l := &s.claims
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.id != 0 && !stale && time.Since(l.granted) < ClaimTTL/2 {
		return l.id, nil
	}
	resp, err := s.cli.Grant(ctx, int64(ClaimTTL/time.Second))
	if err != nil {
		return 0, fmt.Errorf("etcdstore: granting the claims' lease: %w", err)
	}
	l.id, l.granted = resp.ID, time.Now()
	return l.id, nil
}

// claimKey is the etcd key tail of a de-duplication key: hashed, so any
// text fits and etcdctl shows a fixed width.
func claimKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// ClaimEnvelope records envelope in the inbox for the leader unless key was
// claimed before (by any replica, within ClaimTTL), in one transaction:
// claimed is true when this call did. A replica claims an envelope before
// acking it, so an envelope acked by anyone is in the inbox, and one
// re-delivered (Slack's retry of an envelope a replica died holding)
// finds its claim and is dropped. Claims are not fenced: standbys claim.
func (s *Store) ClaimEnvelope(ctx context.Context, key string, envelope []byte) (claimed bool, err error) {
	ck := s.prefix + famClaims + claimKey(key)
	ik := s.prefix + famInbox + claimKey(key)
	for attempt := 0; ; attempt++ {
		lease, err := s.claimLeaseID(ctx, attempt > 0)
		if err != nil {
			return false, err
		}
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(ck), "=", 0)).
			Then(clientv3.OpPut(ck, key, clientv3.WithLease(lease)), clientv3.OpPut(ik, string(envelope))).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			continue // etcd no longer has the lease: grant another
		}
		if err != nil {
			return false, fmt.Errorf("etcdstore: claiming an envelope: %w", err)
		}
		return resp.Succeeded, nil
	}
}

// Envelopes calls handle with each claimed envelope, oldest first, then with
// each one claimed later, until ctx ends (returning nil) — the leader's
// part of ClaimEnvelope. handle must call done once the envelope is handled (or
// shed); done deletes it from the inbox, fenced by the term, so an
// envelope its leader was handling when it died or lost the leadership is
// handled by the next leader. An envelope is given to handle once per
// call of Envelopes.
func (s *Store) Envelopes(ctx context.Context, handle func(envelope []byte, done func())) error {
	prefix := s.prefix + famInbox
	var mu sync.Mutex
	given := map[string]bool{} // keys given to handle and not yet done
	give := func(kv []byte, value []byte) {
		key := string(kv)
		mu.Lock()
		if given[key] {
			mu.Unlock()
			return
		}
		given[key] = true
		mu.Unlock()
		handle(value, func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultDialTimeout)
			defer cancel()
			// A failed delete (etcd away, this replica deposed) leaves it
			// for the next leader: handled at least once, never lost.
			_, _ = s.cli.Txn(dctx).If(s.fenceCmp()...).Then(clientv3.OpDelete(key)).Commit()
			mu.Lock()
			delete(given, key)
			mu.Unlock()
		})
	}
	for ctx.Err() == nil {
		resp, err := s.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("etcdstore: reading the inbox: %w", err)
		}
		for _, kv := range resp.Kvs {
			give(kv.Key, kv.Value)
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		for w := range s.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1), clientv3.WithFilterDelete()) {
			if w.Err() != nil {
				break // compacted or lost: read the inbox again
			}
			for _, e := range w.Events {
				if e.IsCreate() {
					give(e.Kv.Key, e.Kv.Value)
				}
			}
		}
		cancel()
	}
	return nil
}
