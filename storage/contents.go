package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
)

// Contents is everything a database holds that another store needs to take
// it over (mdebot migrate): the requests, the audit chain as stored, and
// the marks. It is read whole into memory.
type Contents struct {
	Requests []*approvals.Request
	// Audit is every record in order, as stored: a copy that keeps each
	// Hash and Body byte for byte verifies as the original does.
	Audit []StoredRecord
	// KeyedFrom is the first keyed record, 0 while none is.
	KeyedFrom uint64
	Marks     map[string]string
}

// StoredRecord is one audit record as stored: its chain hash and the exact
// JSON the hash covers.
type StoredRecord struct {
	Seq  uint64
	Hash []byte
	Body []byte
}

// Contents reads db's contents in one read transaction.
func (db *DB) Contents(ctx context.Context) (*Contents, error) {
	c := &Contents{Marks: map[string]string{}}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
			var r approvals.Request
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("storage: decoding request %s: %w", k, err)
			}
			c.Requests = append(c.Requests, &r)
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
			if len(k) != 8 || len(v) < hashLen {
				return &ChainError{Seq: uint64(len(c.Audit) + 1), Reason: "record malformed"}
			}
			c.Audit = append(c.Audit, StoredRecord{Seq: binary.BigEndian.Uint64(k),
				Hash: bytes.Clone(v[:hashLen]), Body: bytes.Clone(v[hashLen:])})
			return nil
		})
		if err != nil {
			return err
		}
		c.KeyedFrom = auditKeyedFrom(tx)
		if b := tx.Bucket(bucketMarks); b != nil {
			return b.ForEach(func(k, v []byte) error { c.Marks[string(k)] = string(v); return nil })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
