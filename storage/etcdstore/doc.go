// Package etcdstore keeps mdebot's requests, their MDE actions and the
// tamper-evident audit log in etcd, so that several mdebot replicas share
// them (storage.backend: etcd). [*Store] implements approvals.Store and
// approvals.History with the same contract as package storage's bbolt
// database, and the same audit chain (plain SHA-256 links, or HMAC-SHA256
// under the audit key), so records verify the same way on either backend.
//
// Every decision is one etcd transaction. The store reads what the
// decision needs at one revision (the request, the live requests of its
// conflict key, the audit head), calls the domain's decision function
// (which does no I/O), and commits the request, its indexes, its audit
// records and the new audit head together, on the condition that none of
// what it read has changed: the request's and the audit head's
// ModRevision, and the one-live index's version key. If another replica
// wrote in between, the condition fails, nothing is written, and the store
// reads again and retries. Because every write of audit records compares
// and moves the one audit head key, the hash chain stays linear across
// replicas.
//
// Layout, under the configured prefix (keys are bytes, as in storage):
//
//	meta/schema, meta/audit_head, meta/audit_keyed_from, meta/ping
//	requests/ID                 request (JSON)
//	actions/ACTION              request id
//	live/CONFLICTKEY\x00ID      live requests, for the one-live rule
//	livever/CONFLICTKEY         rewritten whenever that live set changes
//	audit/SEQ                   chain hash + record (JSON); SEQ is 16 hex digits
//	audit_req/ID\x00SEQ         the records of one request
//	idx_time/…, idx_machine/…, idx_user/…, idx_kind/…, idx_state/…
//	                            history indexes, keyed as in storage
//	marks/KEY                   one-time marks
//	claims/HASH                 a Slack envelope's de-duplication key, under a 10-minute lease
//	inbox/HASH                  a claimed envelope until the leader has handled it
package etcdstore
