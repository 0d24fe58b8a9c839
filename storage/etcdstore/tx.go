package etcdstore

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// errRollback ends a transaction function without writing anything.
var errRollback = errors.New("etcdstore: rollback")

// maxAttempts bounds how often one decision is retried after conflicts; a
// decision losing this many races in a row is reported, not looped on.
const maxAttempts = 1000

// tx is one attempt at a transaction: the reads it made (all at one
// revision), the conditions that they still hold, and the writes to commit
// if they do.
type tx struct {
	ctx    context.Context
	s      *Store
	rev    int64 // the revision every read is made at; 0 before the first
	cmps   []clientv3.Cmp
	writes map[string]*string // key → value; nil value: delete
	order  []string
}

// get reads key (under the prefix) and makes the commit conditional on
// its not changing: its ModRevision (0 while absent) must stay as read.
func (t *tx) get(key string) ([]byte, bool, error) {
	v, mod, err := t.read(key)
	if err != nil {
		return nil, false, err
	}
	t.cmps = append(t.cmps, clientv3.Compare(clientv3.ModRevision(t.s.prefix+key), "=", mod))
	return v, mod != 0, nil
}

// read reads key at the transaction's revision, returning its value and
// ModRevision (0 while absent), with no condition on the commit.
func (t *tx) read(key string) ([]byte, int64, error) {
	resp, err := t.s.cli.Get(t.ctx, t.s.prefix+key, t.atRev()...)
	if err != nil {
		return nil, 0, fmt.Errorf("etcdstore: reading %q: %w", key, err)
	}
	t.pin(resp.Header.Revision)
	if len(resp.Kvs) != 1 {
		return nil, 0, nil
	}
	return resp.Kvs[0].Value, resp.Kvs[0].ModRevision, nil
}

// scan reads the keys (and values) under prefix, in key order, without a
// condition: callers guard what they scan with a version key (livever).
func (t *tx) scan(prefix string) ([][2][]byte, error) {
	k := t.s.prefix + prefix
	resp, err := t.s.cli.Get(t.ctx, k, append(t.atRev(), clientv3.WithRange(prefixEnd(k)))...)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: reading %q: %w", prefix, err)
	}
	t.pin(resp.Header.Revision)
	out := make([][2][]byte, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = [2][]byte{kv.Key[len(t.s.prefix)+len(prefix):], kv.Value}
	}
	return out, nil
}

func (t *tx) atRev() []clientv3.OpOption {
	if t.rev == 0 {
		return nil
	}
	return []clientv3.OpOption{clientv3.WithRev(t.rev)}
}

func (t *tx) pin(rev int64) {
	if t.rev == 0 {
		t.rev = rev
	}
}

// put and del queue writes; a later write of the same key replaces an
// earlier one (etcd refuses a transaction naming a key twice).
func (t *tx) put(key string, value []byte) { v := string(value); t.write(key, &v) }
func (t *tx) del(key string)               { t.write(key, nil) }

func (t *tx) write(key string, v *string) {
	if t.writes == nil {
		t.writes = map[string]*string{}
	}
	if _, ok := t.writes[key]; !ok {
		t.order = append(t.order, key)
	}
	t.writes[key] = v
}

// ops returns the queued writes as etcd operations, in the order queued.
func (t *tx) ops() []clientv3.Op {
	ops := make([]clientv3.Op, 0, len(t.order))
	for _, k := range t.order {
		if v := t.writes[k]; v != nil {
			ops = append(ops, clientv3.OpPut(t.s.prefix+k, *v))
		} else {
			ops = append(ops, clientv3.OpDelete(t.s.prefix+k))
		}
	}
	return ops
}

// update runs fn and commits its writes if nothing it read has changed;
// otherwise it runs fn again on fresh reads. errRollback from fn writes
// nothing and counts as success.
func (s *Store) update(ctx context.Context, fn func(t *tx) error) error {
	for range maxAttempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := &tx{ctx: ctx, s: s}
		err := fn(t)
		if errors.Is(err, errRollback) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(t.order) == 0 {
			return nil
		}
		resp, err := s.cli.Txn(ctx).If(append(t.cmps, s.fenceCmp()...)...).Then(t.ops()...).Commit()
		if err != nil {
			return fmt.Errorf("etcdstore: committing: %w", err)
		}
		if resp.Succeeded {
			return nil
		}
		if err := s.deposed(ctx); err != nil {
			return err
		}
		s.conflicts.Add(1)
	}
	return fmt.Errorf("etcdstore: a transaction lost %d races in a row to other writers", maxAttempts)
}

// view runs fn on reads at one revision.
func (s *Store) view(ctx context.Context, fn func(t *tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(&tx{ctx: ctx, s: s})
}

// Conflicts returns how many transactions s retried because another writer
// committed first (mdebot_store_transaction_conflicts_total).
func (s *Store) Conflicts() int64 { return s.conflicts.Load() }
