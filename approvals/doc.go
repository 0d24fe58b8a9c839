// Package approvals is mdebot's domain core: the two-person workflow that
// decides who may request which Microsoft Defender for Endpoint response
// action, who may approve it, and when it may run.
//
// A [Request] moves through explicit [State]s:
//
//	awaiting_approval ─┬─> approved ─> submitted ─┬─> succeeded
//	                   │                          ├─> failed
//	                   │                          ├─> timed_out
//	                   │                          └─> cancelled
//	                   ├─> denied
//	                   ├─> expired
//	                   └─> withdrawn
//
// (approved may also end in failed, when MDE refuses the submission, or in
// cancelled, when someone cancels it before it was submitted.)
//
// A [Service] applies the [Policy] and the rules that can never be broken:
// the requester never approves their own request, each person counts once,
// only approvers decide, a request that is no longer awaiting approval (or
// whose expiry time has passed) cannot be decided, an approval carries the
// [Request.Fingerprint] of what the approver saw, a denial needs a reason,
// and at most one live request exists per machine (or file hash) and action
// family. Refused attempts return an [*Error] with a [Code] and are written
// to the audit log.
//
// Every decision is one compare-and-swap through the [Store] interface,
// which package storage implements with bbolt: the transition and its
// [AuditEvent]s are written in one transaction, so concurrent clicks, a
// replayed Slack envelope or a race with the expiry sweeper can never make
// two callers execute the same request. [Result.Executable] is true for
// exactly one caller per request.
//
// The package knows nothing of Slack or bbolt; it imports only the standard
// library and package defender's value types.
package approvals
