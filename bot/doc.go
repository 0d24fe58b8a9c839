// Package bot is mdebot's Slack side: it reads /mde commands and button
// clicks over Socket Mode, acknowledging every envelope before any other
// work, turns them into approval requests and MDE calls, renders request
// cards and threaded status replies in Block Kit, and follows each MDE
// machine action to its end.
//
// New takes the dependencies in Options; Run serves until its context ends.
// Run also runs the tracker, which polls every in-flight MDE action with
// batched status reads, records each new status in the store and only then
// posts it in the card's thread, and the expiry sweeper, which rewrites the
// cards of requests nobody approved in time. On start Run resumes every live
// request from the store: submitted actions are tracked again, and a request
// approved but never marked submitted (a crash in between) is submitted
// only if MDE holds no action whose comment carries its id.
//
// Buttons carry only request ids (Approve also the fingerprint the card
// showed); every click is re-read and re-checked for the clicking user by
// package approvals, which audits refusals. Groups resolves the Slack user
// groups a policy names, for approvals.
//
// For managers and auditors: /mde history answers one page at a time,
// ephemerally, with a "More" button, each row linking the card's thread
// (chat.getPermalink, stored once found). /mde export uploads a CSV or JSON
// file of the requests (package report) to an auditor's DM. The App Home
// (app_home_opened → views.publish) shows the viewer what awaits their
// approval, with Approve and Deny that work as on the card, their open
// requests, the running actions and filtered history, within Slack's 100
// blocks; it is republished when a request it shows changes. The requester
// gets a DM when their request is approved, denied, expired or finished, and
// approvers a thread reply half-way to expiry; each is marked in Marks before
// it is sent, so a restart never sends it twice.
//
// It knows Slack (slack-go) and nothing of storage: requests, decisions and
// their audit trail belong to package approvals; MDE calls to package
// defender. User text is escaped (EscapeText) and truncated (TruncateText)
// against Slack's limits wherever it is shown, and secrets — tokens, the
// investigation package's download URL — never reach a log line.
package bot
