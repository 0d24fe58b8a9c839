package storage

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

// timeKey encodes t so that byte order is time order (the sign bit of the
// Unix nanoseconds is flipped so times before 1970 sort first).
func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

// historyKey is the tail of every history index key: creation time, id.
func historyKey(r *approvals.Request) []byte {
	return append(timeKey(r.Created), r.ID...)
}

// indexEntry is one key in one bucket that a request owns.
type indexEntry struct {
	bucket string
	key    string
	value  string
}

// indexEntries lists every index key r owns. Values are empty except in
// actions (the request id).
func indexEntries(r *approvals.Request) []indexEntry {
	hk := string(historyKey(r))
	sub := func(b []byte, v string) indexEntry { return indexEntry{bucket: string(b), key: v + "\x00" + hk} }
	e := []indexEntry{
		{bucket: string(bucketTime), key: hk},
		sub(bucketKind, string(r.Kind)),
		sub(bucketState, string(r.State)),
	}
	if r.Params.Machine != "" {
		e = append(e, sub(bucketMachine, string(r.Params.Machine)))
	}
	for _, t := range r.Targets {
		e = append(e, sub(bucketMachine, string(t.Machine)))
	}
	for _, u := range r.Users() {
		e = append(e, sub(bucketUser, u))
	}
	if r.State.Live() {
		for _, k := range r.ConflictKeys() {
			e = append(e, indexEntry{bucket: string(bucketLive), key: k + "\x00" + r.ID})
		}
	}
	for _, id := range r.ActionIDs() {
		e = append(e, indexEntry{bucket: string(bucketActions), key: id, value: r.ID})
	}
	return e
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix, or nil if there is none.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
