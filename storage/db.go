package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mdebot/mdebot/approvals"
)

// SchemaVersion is the schema this package reads and writes.
const SchemaVersion = 1

// DefaultTimeout is how long Open waits for another process to release
// the file.
const DefaultTimeout = time.Second

var (
	bucketMeta     = []byte("meta")
	bucketRequests = []byte("requests")
	bucketActions  = []byte("actions")
	// bucketInflight held the submitted actions that nothing read; it is
	// no longer written, but kept (emptied at Open) because an older mdebot
	// given this file back still writes to it.
	bucketInflight = []byte("inflight")
	bucketLive     = []byte("live")
	bucketAudit    = []byte("audit")
	bucketAuditReq = []byte("audit_req")
	bucketTime     = []byte("idx_time")
	bucketMachine  = []byte("idx_machine")
	bucketUser     = []byte("idx_user")
	bucketKind     = []byte("idx_kind")
	bucketState    = []byte("idx_state")

	allBuckets = [][]byte{bucketMeta, bucketRequests, bucketActions, bucketInflight, bucketLive,
		bucketAudit, bucketAuditReq, bucketTime, bucketMachine, bucketUser, bucketKind, bucketState}

	keySchema         = []byte("schema")
	keyAuditHead      = []byte("audit_head")
	keyAuditKeyedFrom = []byte("audit_keyed_from")
)

// DB is mdebot's bbolt database. It is safe for concurrent use.
type DB struct {
	bolt     *bolt.DB
	path     string
	auditKey []byte // nil: plain audit records

	historyReads atomic.Int64 // requests History loaded, for tests
	pingWrites   atomic.Int64 // Ping writes started, for tests

	pingMu sync.Mutex
	ping   *pingCall // the Ping write under way, if any

	announceMu sync.Mutex
	announce   approvals.Announcer // see Announce; nil writes no deliveries
}

var (
	_ approvals.Store   = (*DB)(nil)
	_ approvals.History = (*DB)(nil)
)

// Options configure Open. Like bot.Options and approvals.Options, it is
// passed by value and its zero fields mean the defaults.
type Options struct {
	// Timeout is how long to wait for another process holding the file;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// AuditKey, when set (MinAuditKeyLen bytes at least), keys the audit
	// chain: new records are linked with HMAC-SHA256 under it, so that
	// whoever can write the file but does not hold the key cannot rewrite
	// them unnoticed. Once a record is keyed, every later one must be:
	// writes without the key then fail (*KeyError), and so does verifying
	// the keyed records.
	AuditKey []byte
}

// ErrLocked matches the error Open returns when another process holds the
// database file.
var ErrLocked = errors.New("storage: database is in use by another process")

// LockedError is returned by Open when another process holds the file.
type LockedError struct{ Path string }

// Error implements error.
func (e *LockedError) Error() string {
	return fmt.Sprintf("storage: %s is in use by another process (is mdebot already running?)", e.Path)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// ErrSchema matches the error Open returns for a file whose schema this
// version cannot use.
var ErrSchema = errors.New("storage: unsupported schema")

// SchemaError is returned by Open for a database written by a newer
// mdebot, or for a bbolt file that is not an mdebot database.
type SchemaError struct {
	Path  string
	Found int // 0 when the file has no mdebot schema
}

// Error implements error.
func (e *SchemaError) Error() string {
	if e.Found == 0 {
		return fmt.Sprintf("storage: %s is a bbolt file but not an mdebot database", e.Path)
	}
	return fmt.Sprintf("storage: %s has schema version %d, newer than this mdebot's %d; upgrade mdebot (or restore a backup)", e.Path, e.Found, SchemaVersion)
}

// Is makes errors.Is(err, ErrSchema) true.
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// Open opens (creating if needed) the database at path. It waits up to
// opts.Timeout for another process holding the file and then returns a
// *LockedError. It refuses a file with a newer schema (*SchemaError).
func Open(path string, opts Options) (*DB, error) {
	timeout := DefaultTimeout
	var key []byte
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	if opts.AuditKey != nil {
		if len(opts.AuditKey) < MinAuditKeyLen {
			return nil, fmt.Errorf("storage: the audit key has %d bytes; it needs %d at least", len(opts.AuditKey), MinAuditKeyLen)
		}
		key = bytes.Clone(opts.AuditKey)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &LockedError{Path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("storage: opening %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path, auditKey: key}
	if err := db.init(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// init checks the schema version, or writes it and the buckets into a new
// file.
func (db *DB) init() error {
	var found int
	var fresh bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return &SchemaError{Path: db.path}
			}
			fresh = true
			return nil
		}
		v := meta.Get(keySchema)
		if len(v) != 4 {
			return &SchemaError{Path: db.path}
		}
		found = int(binary.BigEndian.Uint32(v))
		return nil
	})
	if err != nil {
		return err
	}
	if found > SchemaVersion {
		return &SchemaError{Path: db.path, Found: found}
	}
	if !fresh && found == SchemaVersion {
		return db.emptyRetired()
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	})
	if err != nil {
		return fmt.Errorf("storage: initializing %s: %w", db.path, err)
	}
	return nil
}

// emptyRetired empties the inflight bucket that older versions filled, in
// one write only when it holds something.
func (db *DB) emptyRetired() error {
	var stale bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketInflight); b != nil {
			k, _ := b.Cursor().First()
			stale = k != nil
		}
		return nil
	})
	if err != nil || !stale {
		return err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketInflight); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketInflight)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: emptying the retired inflight bucket of %s: %w", db.path, err)
	}
	return nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database, releasing the file lock.
func (db *DB) Close() error { return db.bolt.Close() }

// Backup writes a consistent copy of the whole database to w while it
// stays open for reads and writes, and returns the bytes written. The copy
// is itself a database file Open accepts.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("storage: backup of %s: %w", db.path, err)
	}
	return n, nil
}
