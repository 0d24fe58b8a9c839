package approvals

import (
	"context"
	"time"
)

// Delivery is one message mdebot owes a chat system after a change: a
// thread reply, a card update, a DM. It is opaque to approvals: the
// adapter names its Kind, fills Payload and reads both back when it
// delivers. A Store that implements Outbox keeps it until Done.
type Delivery struct {
	// Seq is assigned by the outbox when the delivery is written; it
	// orders the deliveries of one Lane.
	Seq uint64 `json:"seq"`
	// Kind says what the adapter delivers (its own names).
	Kind string `json:"kind"`
	// Lane groups deliveries that must arrive in order (the adapter uses
	// a channel or a request's card); lanes are delivered independently.
	Lane string `json:"lane"`
	// Key, when set, coalesces: writing a delivery with the Key of a
	// pending one replaces it, so only the newest is delivered.
	Key string `json:"key,omitempty"`
	// RequestID is the request the delivery belongs to, if any (for logs).
	RequestID string `json:"request,omitempty"`
	// Payload is the adapter's encoding of what to send.
	Payload []byte `json:"payload,omitempty"`
	// Enqueued is when the delivery was written (for the latency metric).
	Enqueued time.Time `json:"enqueued"`
	// Claimed is set (Claim) while a call that may deliver it is under
	// way: a delivery still claimed after a restart may have been taken.
	Claimed bool `json:"claimed,omitempty"`
}

// Announcer returns the deliveries a change of a request owes: before is
// the request as read, after as it will be written. The Outbox calls it
// inside the transaction of every Store.Update that writes the request,
// and writes the deliveries it returns in that same transaction, so the
// intent to tell people is durable exactly when the change is. It must be
// fast and pure: no I/O, no store calls.
type Announcer func(before, after *Request) []Delivery

// Outbox is a durable queue of deliveries, kept by the Store (storage.DB
// implements both). It is the contract a Store port (etcd…) must keep for
// the chat adapter:
//
//   - Announce registers the Announcer; from then on every Store.Update
//     that writes a request (not one that is refused or unchanged) writes
//     its deliveries in the same transaction.
//   - Enqueue writes deliveries tied to no change, in one transaction.
//   - Pending returns every delivery not Done, by Seq.
//   - Claim marks a delivery as being sent (or, with false, as not
//     taken after all), so that a restart knows which may have gone.
//   - Done removes one delivered (or abandoned) delivery.
//
// Seq increases across restarts; a Key replaces the pending delivery with
// that Key (its Seq is the new one).
type Outbox interface {
	Announce(fn Announcer)
	Enqueue(ctx context.Context, ds ...Delivery) error
	Pending(ctx context.Context) ([]Delivery, error)
	Claim(ctx context.Context, seq uint64, claimed bool) error
	Done(ctx context.Context, seq uint64) error
}
