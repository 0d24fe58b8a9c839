package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/mdebot/mdebot/approvals"
)

// errRollback ends an Update transaction without writing anything.
var errRollback = errors.New("storage: rollback")

func notFound(id string) error {
	return &approvals.Error{Code: approvals.CodeNotFound, RequestID: id, Msg: "request not found"}
}

func getRequest(tx *bolt.Tx, id string) (*approvals.Request, error) {
	v := tx.Bucket(bucketRequests).Get([]byte(id))
	if v == nil {
		return nil, notFound(id)
	}
	var r approvals.Request
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("storage: decoding request %s: %w", id, err)
	}
	return &r, nil
}

// putRequest writes r and brings its index entries from old's (nil for a
// new request) to r's.
func putRequest(tx *bolt.Tx, old, r *approvals.Request) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("storage: encoding request %s: %w", r.ID, err)
	}
	if err := tx.Bucket(bucketRequests).Put([]byte(r.ID), v); err != nil {
		return err
	}
	var before []indexEntry
	if old != nil {
		before = indexEntries(old)
	}
	after := indexEntries(r)
	for _, e := range before {
		if !slices.ContainsFunc(after, func(a indexEntry) bool { return a.bucket == e.bucket && a.key == e.key }) {
			if err := tx.Bucket([]byte(e.bucket)).Delete([]byte(e.key)); err != nil {
				return err
			}
		}
	}
	for _, e := range after {
		if !slices.Contains(before, e) {
			if err := tx.Bucket([]byte(e.bucket)).Put([]byte(e.key), []byte(e.value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// validID refuses ids that would break the index key layout.
func validID(id string) error {
	if id == "" || len(id) > 64 || strings.ContainsRune(id, 0) {
		return &approvals.Error{Code: approvals.CodeInvalid, RequestID: id, Msg: "malformed request id"}
	}
	return nil
}

// Create implements approvals.Store: in one transaction it hands fn the
// live requests holding r's conflict key, then writes r and fn's events
// (or, if fn refuses, only the events).
func (db *DB) Create(ctx context.Context, r *approvals.Request, fn func(live []*approvals.Request) ([]approvals.AuditEvent, error)) error {
	if err := validID(r.ID); err != nil {
		return err
	}
	var refused error
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketRequests).Get([]byte(r.ID)) != nil {
			return &approvals.Error{Code: approvals.CodeDuplicateID, RequestID: r.ID, Msg: "request id already exists"}
		}
		var live []*approvals.Request
		seen := map[string]bool{}
		c := tx.Bucket(bucketLive).Cursor()
		for _, key := range r.ConflictKeys() {
			prefix := []byte(key + "\x00")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				id := string(k[len(prefix):])
				if seen[id] {
					continue
				}
				seen[id] = true
				l, err := getRequest(tx, id)
				if err != nil {
					return err
				}
				live = append(live, l)
			}
		}
		events, err := fn(live)
		if err != nil {
			refused = err
			if len(events) == 0 {
				return errRollback
			}
			return db.appendEvents(tx, events)
		}
		if err := validID(r.ID); err != nil {
			return err
		}
		if err := putRequest(tx, nil, r); err != nil {
			return err
		}
		return db.appendEvents(tx, events)
	})
	if refused != nil {
		if err != nil {
			return fmt.Errorf("storage: auditing refusal: %w (refused: %w)", err, refused)
		}
		return refused
	}
	return err
}

// Update implements approvals.Store: read, transition and write in one
// transaction, with the outbox deliveries the Announcer returns for the
// change (see Announce).
func (db *DB) Update(ctx context.Context, id string, fn func(r *approvals.Request) ([]approvals.AuditEvent, error)) (*approvals.Request, error) {
	var out *approvals.Request
	var refused error
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		r := old.Clone()
		events, err := fn(r)
		switch {
		case errors.Is(err, approvals.ErrUnchanged):
			out = old
			return errRollback
		case err != nil:
			refused = err
			if len(events) == 0 {
				return errRollback
			}
			return db.appendEvents(tx, events)
		case r.ID != old.ID:
			return fmt.Errorf("storage: a transition changed request id %s to %s", old.ID, r.ID)
		}
		if err := putRequest(tx, old, r); err != nil {
			return err
		}
		if fn := db.announcer(); fn != nil {
			if err := putDeliveries(tx, fn(old, r)); err != nil {
				return err
			}
		}
		out = r
		return db.appendEvents(tx, events)
	})
	if refused != nil {
		if err != nil {
			return nil, fmt.Errorf("storage: auditing refusal: %w (refused: %w)", err, refused)
		}
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// update runs fn in a read-write transaction; errRollback from fn rolls
// back and counts as success.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Update(fn)
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

func (db *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(fn)
}

// Get implements approvals.Store.
func (db *DB) Get(ctx context.Context, id string) (*approvals.Request, error) {
	var r *approvals.Request
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		r, err = getRequest(tx, id)
		return err
	})
	return r, err
}

// ByActionID implements approvals.Store. It finds requests whose action
// has finished too.
func (db *DB) ByActionID(ctx context.Context, actionID string) (*approvals.Request, error) {
	var r *approvals.Request
	err := db.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketActions).Get([]byte(actionID))
		if id == nil || actionID == "" {
			return &approvals.Error{Code: approvals.CodeNotFound, Msg: "no request for MDE action " + actionID}
		}
		var err error
		r, err = getRequest(tx, string(id))
		return err
	})
	return r, err
}

// Live implements approvals.Store: the requests awaiting approval,
// approved or submitted, oldest first (read from the state index).
func (db *DB) Live(ctx context.Context) ([]*approvals.Request, error) {
	var live []*approvals.Request
	err := db.view(ctx, func(tx *bolt.Tx) error {
		for _, s := range approvals.States() {
			if !s.Live() {
				continue
			}
			prefix := []byte(string(s) + "\x00")
			c := tx.Bucket(bucketState).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				r, err := getRequest(tx, string(k[len(prefix)+8:]))
				if err != nil {
					return err
				}
				live = append(live, r)
			}
		}
		return nil
	})
	slices.SortStableFunc(live, func(a, b *approvals.Request) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return live, err
}
