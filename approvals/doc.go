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
// [Policy.Rules] follow the estate: [Policy.Evaluate] matches a request's
// [MachineFacts] (device group, tags, OS, exposure, risk) against them, the
// strictest matching rule winning (the largest count; approvers in every
// matching rule's list), and each approval re-evaluates it. Break-glass
// ([Draft.BreakGlass]) runs an action at once for [Policy.BreakGlass],
// within a per-day cap, and opens a mandatory [Review] that an approver
// closes with [Service.Acknowledge] or [Service.Flag], or that
// [Service.SweepReviews] marks overdue. [Service.DueEscalations] and
// [Service.MarkEscalated] escalate requests nobody decided in time.
//
// Every decision is one compare-and-swap through the [Store] interface,
// which package storage implements with bbolt: the transition and its
// [AuditEvent]s are written in one transaction, so concurrent clicks, a
// replayed Slack envelope or a race with the expiry sweeper can never make
// two callers execute the same request. [Result.Executable] is true for
// exactly one caller per request.
//
// A change that owes its followers more than its new state records a
// [Note] on the request ([Service.MarkFailed]'s note, [Service.AddNote]):
// a Store that is also an [Outbox] hands the change to the adapter's
// [Announcer], which owes what the change says — notes included — in the
// change's own transaction, once.
//
// The package knows nothing of Slack or bbolt; it imports only the standard
// library and package defender's value types.
package approvals
