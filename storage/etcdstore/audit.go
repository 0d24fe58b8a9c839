package etcdstore

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
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
)

// A stored audit value is, as in storage, the 32-byte chain hash followed
// by the record's JSON; the hash covers those exact bytes.
const hashLen = sha256.Size

// chainHash links body to prev: SHA-256 over both, or with key,
// HMAC-SHA256 (storage's chain, byte for byte).
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

// decodeHead decodes meta/audit_head: sequence number and hash.
func decodeHead(v []byte) (uint64, []byte) {
	if len(v) != 8+hashLen {
		return 0, make([]byte, hashLen)
	}
	return binary.BigEndian.Uint64(v), bytes.Clone(v[8:])
}

func decodeSeq(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// appendEvents queues events on the chain in t, conditioning the commit on
// the audit head (and the keyed mark) being as read: of two writers that
// read one head, one commits and the other re-reads and retries, so the
// chain stays linear. Keyed as storage's appendEvents is.
func (s *Store) appendEvents(t *tx, events []approvals.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	headV, _, err := t.get(keyAuditHead)
	if err != nil {
		return err
	}
	fromV, _, err := t.get(keyAuditKeyedFrom)
	if err != nil {
		return err
	}
	keyed := s.auditKey != nil
	from := decodeSeq(fromV)
	if from != 0 && !keyed {
		return &storage.KeyError{Seq: from}
	}
	seq, prev := decodeHead(headV)
	if keyed && from == 0 {
		t.put(keyAuditKeyedFrom, binary.BigEndian.AppendUint64(nil, seq+1))
	}
	for _, ev := range events {
		seq++
		ev.At = ev.At.UTC()
		body, err := json.Marshal(storage.AuditRecord{Seq: seq, Keyed: keyed, AuditEvent: ev})
		if err != nil {
			return fmt.Errorf("etcdstore: encoding audit event: %w", err)
		}
		prev = chainHash(s.auditKey, prev, body)
		t.put(famAudit+seqKey(seq), append(bytes.Clone(prev), body...))
		if ev.RequestID != "" {
			t.put(famAuditReq+ev.RequestID+"\x00"+seqKey(seq), nil)
		}
	}
	t.put(keyAuditHead, append(binary.BigEndian.AppendUint64(nil, seq), prev...))
	return nil
}

// Append implements approvals.Store: it appends events that change no
// request, in one transaction.
func (s *Store) Append(ctx context.Context, events ...approvals.AuditEvent) error {
	return s.update(ctx, func(t *tx) error { return s.appendEvents(t, events) })
}

// AuditHead returns the end of the audit chain.
func (s *Store) AuditHead(ctx context.Context) (storage.AuditHead, error) {
	var h storage.AuditHead
	err := s.view(ctx, func(t *tx) error {
		headV, _, err := t.read(keyAuditHead)
		if err != nil {
			return err
		}
		fromV, _, err := t.read(keyAuditKeyedFrom)
		if err != nil {
			return err
		}
		seq, hash := decodeHead(headV)
		h = storage.AuditHead{Seq: seq, Hash: hex.EncodeToString(hash), KeyedFrom: decodeSeq(fromV)}
		h.Keyed = h.KeyedFrom != 0
		return nil
	})
	return h, err
}

// CheckAuditKey checks, as storage.DB.CheckAuditKey does, that this store
// can extend the chain: a keyed chain needs the audit key, and the key
// must be the one that wrote the last record.
func (s *Store) CheckAuditKey(ctx context.Context) error {
	return s.view(ctx, func(t *tx) error {
		fromV, _, err := t.read(keyAuditKeyedFrom)
		if err != nil {
			return err
		}
		from := decodeSeq(fromV)
		if from == 0 {
			return nil
		}
		if s.auditKey == nil {
			return &storage.KeyError{Seq: from}
		}
		headV, _, err := t.read(keyAuditHead)
		if err != nil {
			return err
		}
		seq, _ := decodeHead(headV)
		v, _, err := t.read(famAudit + seqKey(seq))
		if err != nil {
			return err
		}
		if len(v) < hashLen {
			return &storage.ChainError{Seq: seq, Reason: "the last record is missing or truncated"}
		}
		prev := make([]byte, hashLen)
		if seq > 1 {
			p, _, err := t.read(famAudit + seqKey(seq-1))
			if err != nil {
				return err
			}
			if len(p) < hashLen {
				return &storage.ChainError{Seq: seq - 1, Reason: "record missing or truncated"}
			}
			prev = p[:hashLen]
		}
		if !hmac.Equal(chainHash(s.auditKey, prev, v[hashLen:]), v[:hashLen]) {
			return &storage.ChainError{Seq: seq, Reason: "the audit key is not the one that wrote this record (or the record was altered)"}
		}
		return nil
	})
}

func decodeRecord(v []byte) (storage.AuditRecord, error) {
	var r storage.AuditRecord
	if len(v) < hashLen {
		return r, errors.New("record shorter than its hash")
	}
	if err := json.Unmarshal(v[hashLen:], &r); err != nil {
		return r, fmt.Errorf("record does not decode: %w", err)
	}
	r.Hash = hex.EncodeToString(v[:hashLen])
	return r, nil
}

// auditPage is how many records one read of the log fetches.
const auditPage = 1000

// walkAudit calls fn with the stored records from sequence number from on,
// in order, up to limit (≤ 0: all), reading pages at t's revision.
func (s *Store) walkAudit(t *tx, from uint64, limit int, fn func(key string, v []byte) error) error {
	start := s.prefix + famAudit + seqKey(from)
	end := prefixEnd(s.prefix + famAudit)
	n := 0
	for {
		page := int64(auditPage)
		if limit > 0 {
			page = int64(min(auditPage, limit-n))
		}
		if page <= 0 {
			return nil
		}
		opts := append(t.atRev(), clientv3.WithRange(end), clientv3.WithLimit(page))
		resp, err := s.cli.Get(t.ctx, start, opts...)
		if err != nil {
			return fmt.Errorf("etcdstore: reading the audit log: %w", err)
		}
		t.pin(resp.Header.Revision)
		for _, kv := range resp.Kvs {
			if err := fn(string(kv.Key[len(s.prefix)+len(famAudit):]), kv.Value); err != nil {
				return err
			}
			n++
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		if err := t.ctx.Err(); err != nil {
			return err
		}
	}
}

// AuditLog returns up to limit audit records with sequence numbers after
// after, in order. A limit ≤ 0 means 1000.
func (s *Store) AuditLog(ctx context.Context, after uint64, limit int) ([]storage.AuditRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []storage.AuditRecord
	err := s.view(ctx, func(t *tx) error {
		return s.walkAudit(t, after+1, limit, func(key string, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("etcdstore: audit record %s: %w", key, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// RequestAudit returns every audit record about request id, in order.
func (s *Store) RequestAudit(ctx context.Context, id string) ([]storage.AuditRecord, error) {
	var out []storage.AuditRecord
	err := s.view(ctx, func(t *tx) error {
		entries, err := t.scan(famAuditReq + id + "\x00")
		if err != nil {
			return err
		}
		for _, e := range entries {
			v, _, err := t.read(famAudit + string(e[0]))
			if err != nil {
				return err
			}
			r, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("etcdstore: audit record %s: %w", e[0], err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Verify walks the whole audit log and checks every link of the hash
// chain, as storage.DB.Verify does: the number of records that verified,
// and a *storage.ChainError naming the first bad record.
func (s *Store) Verify(ctx context.Context) (uint64, error) {
	rep, err := s.VerifyChain(ctx)
	return rep.Records, err
}

// VerifyChain is Verify, saying where the chain became keyed (see
// storage.DB.VerifyChain). The walk reads every page at one revision, so
// replicas writing meanwhile do not disturb it.
func (s *Store) VerifyChain(ctx context.Context) (storage.ChainReport, error) {
	var rep storage.ChainReport
	err := s.view(ctx, func(t *tx) error {
		// The head first: it pins the revision the pages are read at.
		headV, _, err := t.read(keyAuditHead)
		if err != nil {
			return err
		}
		fromV, _, err := t.read(keyAuditKeyedFrom)
		if err != nil {
			return err
		}
		good := &rep.Records
		prev := make([]byte, hashLen)
		want := uint64(1)
		err = s.walkAudit(t, 0, 0, func(key string, v []byte) error {
			seq, perr := strconv.ParseUint(key, 16, 64)
			if perr != nil || len(key) != 16 {
				return &storage.ChainError{Seq: want, Reason: fmt.Sprintf("malformed key %q", key)}
			}
			if seq != want {
				return &storage.ChainError{Seq: want, Reason: fmt.Sprintf("record missing (next stored record is %d)", seq)}
			}
			r, err := decodeRecord(v)
			if err != nil {
				return &storage.ChainError{Seq: seq, Reason: err.Error()}
			}
			if r.Seq != seq {
				return &storage.ChainError{Seq: seq, Reason: fmt.Sprintf("record claims sequence number %d", r.Seq)}
			}
			switch {
			case r.Keyed && rep.KeyedFrom == 0:
				rep.KeyedFrom = seq
			case !r.Keyed && rep.KeyedFrom != 0:
				return &storage.ChainError{Seq: seq, Reason: fmt.Sprintf("record not keyed, but the chain is keyed from record %d: records were rewritten without the audit key", rep.KeyedFrom)}
			}
			switch {
			case !r.Keyed:
				if h := chainHash(nil, prev, v[hashLen:]); !bytes.Equal(h, v[:hashLen]) {
					return &storage.ChainError{Seq: seq, Reason: "hash mismatch: the record or its hash was altered"}
				}
			case s.auditKey == nil:
				return &storage.KeyError{Seq: seq}
			default:
				if h := chainHash(s.auditKey, prev, v[hashLen:]); !hmac.Equal(h, v[:hashLen]) {
					return &storage.ChainError{Seq: seq, Reason: "HMAC mismatch: the record or its HMAC was altered, or the audit key is not the one that wrote it"}
				}
			}
			prev = v[:hashLen]
			*good++
			want++
			return nil
		})
		if err != nil {
			return err
		}
		headSeq, headHash := decodeHead(headV)
		if headSeq != *good || !bytes.Equal(headHash, prev) {
			return &storage.ChainError{Seq: *good + 1, Reason: fmt.Sprintf("chain head says %d records but %d verified: records removed from the end or head altered", headSeq, *good)}
		}
		if from := decodeSeq(fromV); from != rep.KeyedFrom {
			return &storage.ChainError{Seq: max(from, rep.KeyedFrom), Reason: fmt.Sprintf("the store says the chain is keyed from record %d, the records from %d: keyed records were rewritten without the audit key", from, rep.KeyedFrom)}
		}
		return nil
	})
	return rep, err
}
