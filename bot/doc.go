// Package bot is mdebot's Slack adapter: it reads /mde commands, button
// clicks and App Home events over Socket Mode, acknowledging every
// envelope before any other work, asks package approvals to decide, calls
// MDE through package defender, and shows the outcome in Slack.
//
// The map, for a newcomer:
//
//   - bot/command parses /mde text into a typed Command (pure, fuzzed);
//     bot/blocks renders view models into Block Kit (pure, golden files).
//   - socket.go is the Socket Mode loop (ack first, bounded workers);
//     replicas.go lets replicas sharing etcd each hold a connection
//     (Relay claims every envelope in the store's inbox before acking it)
//     while the leader's Bot handles the inbox (Options.Inbox);
//     dispatch.go routes an envelope to a handler with an interaction (who
//     acted, where, how to answer them: interaction.go).
//   - handle_command.go runs each verb; handle_click.go each button, on a
//     card or in the App Home (one approve path for both); lookup.go,
//     history.go and export.go are the reads; home.go the App Home;
//     targets.go resolves the several machines (names, tag:, group:) one
//     command names, or lists every target that does not resolve.
//   - execute.go submits an approved request to MDE; tracker.go follows
//     its MachineAction to the end; resume.go and recover.go pick up, after
//     a restart or a lost reply, what was in flight; dryrun.go stands in
//     for execute under --dry-run. bulk.go does all of it for a request on
//     many machines (runBulk, in the background, once per request at a
//     time): one submitting mark, a POST per machine, the answers recorded
//     together, one thread reply per batch, Cancel all pending.
//   - pacer.go is the one path of every call to Slack (send): paced by
//     Slack's limits, a 429 waits out its Retry-After, transient failures
//     are retried, permanent ones are not. outbox.go delivers what the bot
//     owes Slack from the store's outbox (approvals.Outbox): announce
//     writes a change's card update, status reply, notices and every
//     thread reply it causes (replies.go: from the request and the notes
//     the change recorded, approvals.Note) in the change's own
//     transaction; each lane (a channel's posts, a card) in order; posts
//     at most once.
//   - slackio.go posts cards (and, through
//     copies.go, every copy of a card: the approvers' DMs, the escalation
//     channel); copies.go also escalates requests nobody decided in time;
//     dmprefs.go keeps who turned approval DMs off; breakglass.go alerts the
//     approvers of a break-glass action and runs its after-review (the
//     modal, the overdue sweep, reminders); notify.go the reminders
//     (recorded as notes) and permalinks (marked in Marks); views.go turns
//     requests and machines into view models; errors.go is the one place
//     that tells people what an error means; groups.go caches user groups.
//
// Every permission — reads included — is decided, and every refusal
// audited, by package approvals (Service.Authorize, CheckOpen, CheckDeny,
// AuthorizePackageLink, and the transitions); the bot never writes the
// audit log itself. Buttons carry only request ids (Approve also the
// fingerprint the card showed), so every click is re-read and re-checked.
// Each request's state is stored before Slack is told of it, and secrets —
// tokens, the investigation package's download URL — never reach a log
// line.
package bot
