package approvals

import "context"

// Store persists requests and the audit log. Package storage implements it
// with bbolt; package approvalstest has an in-memory one for tests.
//
// Every method that writes does so in one atomic transaction: the request,
// its indexes and the audit events together, or nothing.
type Store interface {
	// Create stores the new request r. Inside the transaction it calls fn
	// with the live requests that hold r's ConflictKey (see State.Live). If
	// fn returns an error, r is not stored, the events fn returned are
	// still appended (this is how refused attempts are audited) and Create
	// returns fn's error. Otherwise r and the events are written together.
	// Create returns an error matching ErrDuplicateID if r.ID exists.
	Create(ctx context.Context, r *Request, fn func(live []*Request) ([]AuditEvent, error)) error

	// Update reads request id, calls fn on a private copy of it and, if fn
	// returns no error, writes the changed request and the returned events
	// in the same transaction, returning the new request. If fn returns
	// ErrUnchanged, nothing is written and Update returns the request as
	// read. If fn returns another error, the request is not written, the
	// returned events are still appended, and Update returns fn's error. A
	// missing id gives an error matching ErrNotFound.
	Update(ctx context.Context, id string, fn func(r *Request) ([]AuditEvent, error)) (*Request, error)

	// Get returns request id, or an error matching ErrNotFound.
	Get(ctx context.Context, id string) (*Request, error)

	// ByActionID returns the request whose MDE action (or indicator) id is
	// actionID, or an error matching ErrNotFound.
	ByActionID(ctx context.Context, actionID string) (*Request, error)

	// Live returns the live requests (awaiting approval, approved,
	// submitted), oldest first.
	Live(ctx context.Context) ([]*Request, error)

	// Append appends audit events that change no request.
	Append(ctx context.Context, events ...AuditEvent) error
}
