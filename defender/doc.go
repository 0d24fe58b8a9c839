// Package defender is a typed client for the Microsoft Defender for Endpoint
// (MDE) REST API: finding machines, running response actions on them,
// tracking those actions, fetching investigation packages and blocking
// files with indicators. It is shaped like a small go-github.
//
// # Client
//
// [NewClient] takes functional options: the API host ([WithBaseURL]; a
// [Cloud] preset names the hosts and scope of the commercial geo hosts and
// of US Government GCC, GCC High and DoD, and is what mdebot's MDE_CLOUD
// chooses), an *http.Client ([WithHTTPClient]) and
// a [TokenSource] ([WithTokenSource], required). The endpoints are grouped
// in three services, and every method takes a context first and names its
// MDE endpoint in its comment:
//
//   - [Client.Machines] ([MachinesService]): Get by id, FindByName (exact
//     DNS name, case-insensitive; a short name also matches "name."
//     prefixes), FindByLastIP, FindByIP (findbyip, within 30 days),
//     FindByTag (findbytag, exact tag) and FindByGroup (a device group by
//     rbacGroupId, or by the rbacGroupName of the machine list); List.
//   - [Client.Actions] ([ActionsService]): Isolate, Unisolate,
//     RestrictCodeExecution, UnrestrictCodeExecution, RunAntivirusScan,
//     CollectInvestigationPackage, StopAndQuarantineFile, Offboard and
//     Cancel; Get, List (with an [ActionFilter] and $top/$skip paging),
//     Statuses (many action ids per call, for trackers) and PackageURI.
//   - [Client.Indicators] ([IndicatorsService]): BlockFile (SHA-1 or
//     SHA-256), Delete, FindByValue, UnblockFile.
//
// # Authentication
//
// Auth is a transport concern: the client only asks its [TokenSource] for a
// bearer token before each call. [NewMSALTokenSource] implements it with
// MSAL Go's confidential client (client-credentials grant, a client secret
// via [SecretCredential] or a certificate via [CertificateCredential]),
// with a configurable authority host and scope and instance discovery
// turned off. MSAL serves tokens from its cache until five minutes before
// expiry. When MDE answers 401, the client asks a [TokenRefresher] for a
// new token once, bypassing the cache, and re-sends the call. Secrets never
// appear in errors or logs: a [Credential] prints only its kind, and the
// client secret and a package's download URL are [secret.Value]s, which
// print as "[redacted]".
//
// # Duplicate and ambiguous actions
//
// Every machine action returns a [Submission]: the [MachineAction] to
// track and whether it already Existed. MDE answers a repeated action
// either with the pending action (2xx) or with 400
// ActiveRequestAlreadyExists; in both cases the client returns the pending
// action with Existing set and a nil error (or [ErrActionInProgress] if it
// cannot find it). An action POST is never re-sent after it may have
// reached MDE: after a transport error, timeout or 5xx the client looks for
// an action of that type on that machine whose requestorComment is the
// Comment it sent, so comments should carry a unique request id. If none
// exists the error wraps [ErrOutcomeUnknown]. A 429 was a refusal, so it is
// retried after Retry-After.
//
// # Errors
//
// Every failed reply becomes one [*Error] with the HTTP status, MDE's code,
// message and target, and RetryAfter for a 429. Callers test its kind with
// errors.Is against [ErrNotFound], [ErrActionInProgress], [ErrForbidden]
// (see [Error.MissingPermissions]), [ErrUnauthorized], [ErrRateLimited],
// [ErrOSNotSupported], [ErrBadRequest] and [ErrServer].
//
// # Rate limits and retries
//
// MDE limits each API to 100 calls a minute and 1,500 an hour (2 and 120
// for getPackageUri). The client keeps one exact sliding-window budget per
// [Family]: a call goes when fewer than the limit of calls lie in the last
// 60 seconds and in the last hour (counting each call until its reply
// arrives), so a burst of up to the limit goes at once and no window ever
// holds more; a 429 pauses its family until Retry-After. Calls of a
// [Client.Background] client (status polling) yield to other waiting calls
// of their family. [WithRateLimit] and
// [WithoutRateLimits] change the budgets. A call waits for its budget; a
// client made with [Client.WithMaxBudgetWait] shares the budgets but fails
// at once with a [*BudgetError] (which matches [ErrRateLimited] and carries
// the wait) when a call would wait longer: for reads a person is waiting
// on, never for submissions. GETs and DELETEs are retried on transport
// errors, 5xx and 429 with jittered exponential backoff, at most four times.
//
// # Decoding
//
// Unknown action types and statuses decode verbatim, timestamps may carry
// up to seven fractional digits, and every field MDE may send as null
// decodes to its zero value.
package defender
