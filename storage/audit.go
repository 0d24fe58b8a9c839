package storage

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
)

// AuditRecord is one stored audit event with its place in the chain.
type AuditRecord struct {
	Seq uint64 `json:"seq"`
	// Keyed is set on records written with the audit key
	// (Options.AuditKey): their Hash is an HMAC, not a plain hash.
	Keyed bool `json:"keyed,omitempty"`
	approvals.AuditEvent
	// Hash is SHA-256 over the previous record's Hash (32 zero bytes for
	// the first record) and this record's stored JSON, in hex; for a Keyed
	// record, HMAC-SHA256 with the audit key over the same bytes.
	Hash string `json:"-"`
}

// A stored audit value is the 32-byte chain hash followed by the record's
// JSON (Seq, Keyed and the event). The hash covers those exact bytes, so
// any change to them, or to the hash, breaks the chain. Anyone who can
// write the file could recompute plain hashes; a keyed record's HMAC needs
// the audit key, kept outside the database.
const hashLen = sha256.Size

// MinAuditKeyLen is the shortest audit key Open accepts.
const MinAuditKeyLen = 32

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// auditHead returns the last sequence number and hash.
func auditHead(tx *bolt.Tx) (uint64, []byte) {
	v := tx.Bucket(bucketMeta).Get(keyAuditHead)
	if len(v) != 8+hashLen {
		return 0, make([]byte, hashLen)
	}
	return binary.BigEndian.Uint64(v), bytes.Clone(v[8:])
}

// chainHash links body to prev: SHA-256 over both, or with key,
// HMAC-SHA256.
func chainHash(key, prev, body []byte) []byte {
	var h hash.Hash
	if key != nil {
		h = hmac.New(sha256.New, key)
	} else {
		h = sha256.New()
	}
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil)
}

// auditKeyedFrom returns the sequence number of the first keyed record, 0
// while none is. It is a guard for writers; Verify reads the records.
func auditKeyedFrom(tx *bolt.Tx) uint64 {
	v := tx.Bucket(bucketMeta).Get(keyAuditKeyedFrom)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// appendEvents appends events to the chain inside tx: keyed records when
// db has the audit key; without it, plain ones, unless the chain is
// already keyed (a *KeyError: mdebot never goes back to plain records).
func (db *DB) appendEvents(tx *bolt.Tx, events []approvals.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	keyed := db.auditKey != nil
	if from := auditKeyedFrom(tx); from != 0 && !keyed {
		return &KeyError{Seq: from}
	}
	seq, prev := auditHead(tx)
	if keyed && auditKeyedFrom(tx) == 0 {
		if err := tx.Bucket(bucketMeta).Put(keyAuditKeyedFrom, seqKey(seq+1)); err != nil {
			return err
		}
	}
	audit, byReq := tx.Bucket(bucketAudit), tx.Bucket(bucketAuditReq)
	for _, ev := range events {
		seq++
		ev.At = ev.At.UTC()
		body, err := json.Marshal(AuditRecord{Seq: seq, Keyed: keyed, AuditEvent: ev})
		if err != nil {
			return fmt.Errorf("storage: encoding audit event: %w", err)
		}
		prev = chainHash(db.auditKey, prev, body)
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
	return db.update(ctx, func(tx *bolt.Tx) error { return db.appendEvents(tx, events) })
}

// ErrAuditKey matches the error of a write or a verification that needs
// the audit key and was not given it.
var ErrAuditKey = errors.New("storage: audit key required")

// KeyError says that the audit chain is keyed from record Seq on, and
// this DB was opened without the audit key.
type KeyError struct{ Seq uint64 }

// Error implements error.
func (e *KeyError) Error() string {
	return fmt.Sprintf("storage: the audit chain is keyed from record %d on, and no audit key was given", e.Seq)
}

// Is makes errors.Is(err, ErrAuditKey) true.
func (e *KeyError) Is(target error) bool { return target == ErrAuditKey }

// AuditHead is the end of the audit chain: what an external copy anchors.
type AuditHead struct {
	Seq   uint64 // the last record's sequence number; 0 for an empty log
	Hash  string // its chain hash (an HMAC when keyed), in hex
	Keyed bool   // the chain is keyed (from KeyedFrom on)
	// KeyedFrom is the first keyed record, 0 while none is.
	KeyedFrom uint64
}

// AuditHead returns the end of the audit chain.
func (db *DB) AuditHead(ctx context.Context) (AuditHead, error) {
	var h AuditHead
	err := db.view(ctx, func(tx *bolt.Tx) error {
		seq, hash := auditHead(tx)
		h = AuditHead{Seq: seq, Hash: hex.EncodeToString(hash), KeyedFrom: auditKeyedFrom(tx)}
		h.Keyed = h.KeyedFrom != 0
		return nil
	})
	return h, err
}

// CheckAuditKey checks that db can extend its audit chain, before a bot
// starts writing: a keyed chain needs the audit key (a *KeyError), and
// the key must be the one that wrote the last record (a *ChainError
// naming it otherwise). A chain not yet keyed passes, with or without a
// key.
func (db *DB) CheckAuditKey(ctx context.Context) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		from := auditKeyedFrom(tx)
		if from == 0 {
			return nil
		}
		if db.auditKey == nil {
			return &KeyError{Seq: from}
		}
		seq, _ := auditHead(tx)
		audit := tx.Bucket(bucketAudit)
		v := audit.Get(seqKey(seq))
		if len(v) < hashLen {
			return &ChainError{Seq: seq, Reason: "the last record is missing or truncated"}
		}
		prev := make([]byte, hashLen)
		if seq > 1 {
			p := audit.Get(seqKey(seq - 1))
			if len(p) < hashLen {
				return &ChainError{Seq: seq - 1, Reason: "record missing or truncated"}
			}
			prev = p[:hashLen]
		}
		if !hmac.Equal(chainHash(db.auditKey, prev, v[hashLen:]), v[:hashLen]) {
			return &ChainError{Seq: seq, Reason: "the audit key is not the one that wrote this record (or the record was altered)"}
		}
		return nil
	})
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
// record's sequence number and why. See VerifyChain for keyed records.
func (db *DB) Verify(ctx context.Context) (uint64, error) {
	rep, err := db.VerifyChain(ctx)
	return rep.Records, err
}

// ChainReport is what VerifyChain found.
type ChainReport struct {
	// Records is the number of records that verified.
	Records uint64
	// KeyedFrom is the first keyed record (0 when none is): records before
	// it were written before the audit key was set, and are anchored by
	// the first keyed record's HMAC, which covers the last plain hash.
	KeyedFrom uint64
}

// VerifyChain is Verify, saying where the chain became keyed. The records
// before the first keyed record are plain SHA-256 links; from it on every
// record must be keyed, and its HMAC is checked with the audit key: a
// plain record after a keyed one is a *ChainError (the chain was rewritten
// without the key), and a keyed record with db opened without the key
// stops the walk with a *KeyError.
func (db *DB) VerifyChain(ctx context.Context) (ChainReport, error) {
	var rep ChainReport
	err := db.view(ctx, func(tx *bolt.Tx) error {
		good := &rep.Records
		prev := make([]byte, hashLen)
		want := uint64(1)
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if *good%4096 == 0 {
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
			switch {
			case r.Keyed && rep.KeyedFrom == 0:
				rep.KeyedFrom = seq
			case !r.Keyed && rep.KeyedFrom != 0:
				return &ChainError{Seq: seq, Reason: fmt.Sprintf("record not keyed, but the chain is keyed from record %d: records were rewritten without the audit key", rep.KeyedFrom)}
			}
			switch {
			case !r.Keyed:
				if h := chainHash(nil, prev, v[hashLen:]); !bytes.Equal(h, v[:hashLen]) {
					return &ChainError{Seq: seq, Reason: "hash mismatch: the record or its hash was altered"}
				}
			case db.auditKey == nil:
				return &KeyError{Seq: seq}
			default:
				if h := chainHash(db.auditKey, prev, v[hashLen:]); !hmac.Equal(h, v[:hashLen]) {
					return &ChainError{Seq: seq, Reason: "HMAC mismatch: the record or its HMAC was altered, or the audit key is not the one that wrote it"}
				}
			}
			prev = v[:hashLen]
			*good++
			want++
		}
		headSeq, headHash := auditHead(tx)
		if headSeq != *good || !bytes.Equal(headHash, prev) {
			return &ChainError{Seq: *good + 1, Reason: fmt.Sprintf("chain head says %d records but %d verified: records removed from the end or head altered", headSeq, *good)}
		}
		if from := auditKeyedFrom(tx); from != rep.KeyedFrom {
			return &ChainError{Seq: max(from, rep.KeyedFrom), Reason: fmt.Sprintf("the database says the chain is keyed from record %d, the records from %d: keyed records were rewritten without the audit key", from, rep.KeyedFrom)}
		}
		return nil
	})
	return rep, err
}
