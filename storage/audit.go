package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
)

// AuditRecord is one stored audit event with its place in the chain.
type AuditRecord struct {
	Seq uint64 `json:"seq"`
	approvals.AuditEvent
	// Hash is SHA-256 over the previous record's Hash (32 zero bytes for
	// the first record) and this record's stored JSON, in hex.
	Hash string `json:"-"`
}

// A stored audit value is the 32-byte chain hash followed by the record's
// JSON (Seq and the event). The hash covers those exact bytes, so any
// change to them, or to the hash, breaks the chain.
const hashLen = sha256.Size

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// auditHead returns the last sequence number and hash.
func auditHead(tx *bolt.Tx) (uint64, []byte) {
	v := tx.Bucket(bucketMeta).Get(keyAuditHead)
	if len(v) != 8+hashLen {
		return 0, make([]byte, hashLen)
	}
	return binary.BigEndian.Uint64(v), bytes.Clone(v[8:])
}

func chainHash(prev, body []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil)
}

// appendEvents appends events to the chain inside tx.
func appendEvents(tx *bolt.Tx, events []approvals.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	seq, prev := auditHead(tx)
	audit, byReq := tx.Bucket(bucketAudit), tx.Bucket(bucketAuditReq)
	for _, ev := range events {
		seq++
		ev.At = ev.At.UTC()
		body, err := json.Marshal(AuditRecord{Seq: seq, AuditEvent: ev})
		if err != nil {
			return fmt.Errorf("storage: encoding audit event: %w", err)
		}
		prev = chainHash(prev, body)
		if err := audit.Put(seqKey(seq), append(bytes.Clone(prev), body...)); err != nil {
			return err
		}
		if ev.RequestID != "" {
			if err := byReq.Put(append([]byte(ev.RequestID+"\x00"), seqKey(seq)...), nil); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(bucketMeta).Put(keyAuditHead, append(seqKey(seq), prev...))
}

// Append implements approvals.Store: it appends events that change no
// request, in one transaction.
func (db *DB) Append(ctx context.Context, events ...approvals.AuditEvent) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return appendEvents(tx, events) })
}

func decodeRecord(k, v []byte) (AuditRecord, error) {
	var r AuditRecord
	if len(v) < hashLen {
		return r, errors.New("record shorter than its hash")
	}
	if err := json.Unmarshal(v[hashLen:], &r); err != nil {
		return r, fmt.Errorf("record does not decode: %w", err)
	}
	r.Hash = hex.EncodeToString(v[:hashLen])
	return r, nil
}

// AuditLog returns up to limit audit records with sequence numbers after
// after, in order. A limit ≤ 0 means 1000.
func (db *DB) AuditLog(ctx context.Context, after uint64, limit int) ([]AuditRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []AuditRecord
	err := db.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			r, err := decodeRecord(k, v)
			if err != nil {
				return fmt.Errorf("storage: audit record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// RequestAudit returns every audit record about request id, in order.
func (db *DB) RequestAudit(ctx context.Context, id string) ([]AuditRecord, error) {
	var out []AuditRecord
	err := db.view(ctx, func(tx *bolt.Tx) error {
		prefix := []byte(id + "\x00")
		audit := tx.Bucket(bucketAudit)
		c := tx.Bucket(bucketAuditReq).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			sk := k[len(prefix):]
			r, err := decodeRecord(sk, audit.Get(sk))
			if err != nil {
				return fmt.Errorf("storage: audit record %d: %w", binary.BigEndian.Uint64(sk), err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ErrBrokenChain matches the error Verify returns for a tampered log.
var ErrBrokenChain = errors.New("storage: audit chain broken")

// ChainError is the first broken link Verify found.
type ChainError struct {
	Seq    uint64 // the first record that does not verify
	Reason string
}

// Error implements error.
func (e *ChainError) Error() string {
	return fmt.Sprintf("storage: audit chain broken at record %d: %s", e.Seq, e.Reason)
}

// Is makes errors.Is(err, ErrBrokenChain) true.
func (e *ChainError) Is(target error) bool { return target == ErrBrokenChain }

// Verify walks the whole audit log and checks every link of the hash
// chain. It returns the number of records that verified; if a record was
// changed, removed, inserted or reordered, or the chain head disagrees
// with the last record, it also returns a *ChainError naming the first bad
// record's sequence number and why.
func (db *DB) Verify(ctx context.Context) (uint64, error) {
	var good uint64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		prev := make([]byte, hashLen)
		want := uint64(1)
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if good%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 8 {
				return &ChainError{Seq: want, Reason: fmt.Sprintf("malformed key %x", k)}
			}
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				return &ChainError{Seq: want, Reason: fmt.Sprintf("record missing (next stored record is %d)", seq)}
			}
			r, err := decodeRecord(k, v)
			if err != nil {
				return &ChainError{Seq: seq, Reason: err.Error()}
			}
			if r.Seq != seq {
				return &ChainError{Seq: seq, Reason: fmt.Sprintf("record claims sequence number %d", r.Seq)}
			}
			if h := chainHash(prev, v[hashLen:]); !bytes.Equal(h, v[:hashLen]) {
				return &ChainError{Seq: seq, Reason: "hash mismatch: the record or its hash was altered"}
			}
			prev = v[:hashLen]
			good++
			want++
		}
		headSeq, headHash := auditHead(tx)
		if headSeq != good || !bytes.Equal(headHash, prev) {
			return &ChainError{Seq: good + 1, Reason: fmt.Sprintf("chain head says %d records but %d verified: records removed from the end or head altered", headSeq, good)}
		}
		return nil
	})
	return good, err
}
