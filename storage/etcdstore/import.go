package etcdstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/mdebot/mdebot/storage"
)

// importBatch is how many keys one import transaction writes (etcd's
// default --max-txn-ops is 128).
const importBatch = 100

// ErrNotEmpty matches the error of Import into a prefix that holds data.
var ErrNotEmpty = errors.New("etcdstore: the prefix already holds requests or audit records")

// Import copies c (a bbolt database's contents) under s's prefix, which
// must hold no request and no audit record. Records keep their stored
// bytes, so the chain verifies as it did in bbolt. The audit head is
// written last: an import cut short leaves a head that does not match the
// records, which Verify reports, and a second Import refuses the prefix.
func (s *Store) Import(ctx context.Context, c *storage.Contents) error {
	for _, fam := range []string{famRequests, famAudit, keyAuditHead} {
		resp, err := s.cli.Get(ctx, s.prefix+fam, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return fmt.Errorf("etcdstore: reading %q: %w", fam, err)
		}
		if resp.Count > 0 {
			return fmt.Errorf("%w (%s)", ErrNotEmpty, s.Path())
		}
	}
	var batch []clientv3.Op
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := s.cli.Txn(ctx).Then(batch...).Commit(); err != nil {
			return fmt.Errorf("etcdstore: importing: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	put := func(key string, value []byte) error {
		batch = append(batch, clientv3.OpPut(s.prefix+key, string(value)))
		if len(batch) >= importBatch {
			return flush()
		}
		return nil
	}
	for _, r := range c.Requests {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("etcdstore: encoding request %s: %w", r.ID, err)
		}
		if err := put(famRequests+r.ID, v); err != nil {
			return err
		}
		for _, e := range indexEntries(r) {
			if err := put(e.key, []byte(e.value)); err != nil {
				return err
			}
		}
	}
	for k, v := range c.Marks {
		if err := put(famMarks+k, []byte(v)); err != nil {
			return err
		}
	}
	var head []byte
	for _, rec := range c.Audit {
		if err := put(famAudit+seqKey(rec.Seq), append(bytes.Clone(rec.Hash), rec.Body...)); err != nil {
			return err
		}
		var ev struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(rec.Body, &ev); err != nil {
			return fmt.Errorf("etcdstore: audit record %d does not decode: %w", rec.Seq, err)
		}
		if ev.RequestID != "" {
			if err := put(famAuditReq+ev.RequestID+"\x00"+seqKey(rec.Seq), nil); err != nil {
				return err
			}
		}
		head = append(binary.BigEndian.AppendUint64(nil, rec.Seq), rec.Hash...)
	}
	if err := flush(); err != nil {
		return err
	}
	if head == nil {
		return nil
	}
	batch = append(batch, clientv3.OpPut(s.prefix+keyAuditHead, string(head)))
	if c.KeyedFrom != 0 {
		batch = append(batch, clientv3.OpPut(s.prefix+keyAuditKeyedFrom, string(binary.BigEndian.AppendUint64(nil, c.KeyedFrom))))
	}
	return flush()
}
