package etcdstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/mdebot/mdebot/approvals"
)

// The key families under the prefix (see the package comment).
const (
	famRequests = "requests/"
	famActions  = "actions/"
	famLive     = "live/"
	famLiveVer  = "livever/"
	famAudit    = "audit/"
	famAuditReq = "audit_req/"
	famTime     = "idx_time/"
	famMachine  = "idx_machine/"
	famUser     = "idx_user/"
	famKind     = "idx_kind/"
	famState    = "idx_state/"
	famMarks    = "marks/"

	keySchema         = "meta/schema"
	keyAuditHead      = "meta/audit_head"
	keyAuditKeyedFrom = "meta/audit_keyed_from"
	keyPing           = "meta/ping"
)

// timeKey encodes t so that byte order is time order, as storage does.
func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

// historyKey is the tail of every history index key: creation time, id.
func historyKey(r *approvals.Request) []byte {
	return append(timeKey(r.Created), r.ID...)
}

// seqKey is an audit record's key suffix: hex, so that etcd's byte order
// is sequence order and etcdctl shows it readably.
func seqKey(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// indexEntry is one key (family + key) that a request owns, with its value.
type indexEntry struct {
	key   string
	value string
}

// indexEntries lists every index key r owns: the same indexes as storage
// keeps in bbolt buckets. Values are empty except in actions (the id).
func indexEntries(r *approvals.Request) []indexEntry {
	hk := string(historyKey(r))
	e := []indexEntry{
		{key: famTime + hk},
		{key: famKind + string(r.Kind) + "\x00" + hk},
		{key: famState + string(r.State) + "\x00" + hk},
	}
	if r.Params.Machine != "" {
		e = append(e, indexEntry{key: famMachine + string(r.Params.Machine) + "\x00" + hk})
	}
	for _, t := range r.Targets {
		e = append(e, indexEntry{key: famMachine + string(t.Machine) + "\x00" + hk})
	}
	for _, u := range r.Users() {
		e = append(e, indexEntry{key: famUser + u + "\x00" + hk})
	}
	if r.State.Live() {
		for _, k := range r.ConflictKeys() {
			e = append(e, indexEntry{key: famLive + k + "\x00" + r.ID})
		}
	}
	for _, id := range r.ActionIDs() {
		e = append(e, indexEntry{key: famActions + id, value: r.ID})
	}
	return e
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix ("\x00" if there is none: etcd's "to the end").
func prefixEnd(prefix string) string {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return string(end[:i+1])
		}
	}
	return "\x00"
}
