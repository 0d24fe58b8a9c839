// Package storage keeps mdebot's requests, their MDE actions and the
// tamper-evident audit log in one bbolt file. [*DB] implements
// approvals.Store: every decision is one bbolt transaction that reads the
// request, applies the domain transition and writes the request, its
// indexes and its audit records together, with bbolt's fsync on commit.
//
// Layout (one bucket each):
//
//	meta       schema version, audit chain head
//	requests   request id → request (JSON)
//	actions    MDE action id → request id (kept forever)
//	inflight   retired: empty, kept for older versions that still write it
//	live       conflict key, id → "" (live requests, for the one-live rule)
//	audit      sequence number → SHA-256 chain hash + record (JSON)
//	audit_req  request id, sequence number → ""
//	idx_time, idx_machine, idx_user, idx_kind, idx_state
//	           value, creation time, id → "" (history indexes)
//
// The audit log is append-only and hash-chained: each record's hash is
// SHA-256 over the previous record's hash and the record's exact stored
// bytes, so [DB.Verify] finds the first record that was changed, removed or
// reordered.
//
// Package storage/etcdstore keeps the same data, with the same audit chain
// and the same types (AuditRecord, AuditHead, ChainError…), in etcd, for
// replicas that share it (storage.backend: etcd).
package storage
