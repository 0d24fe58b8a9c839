// Package bot is mdebot's Slack side: it reads /mde commands and button
// clicks over Socket Mode, acknowledging every envelope before any other
// work, turns them into approval requests and MDE calls, renders request
// cards and threaded status replies in Block Kit, and follows each MDE
// machine action to its end.
//
// It knows Slack (slack-go) and nothing of storage: requests, decisions and
// their audit trail belong to package approvals; MDE calls to package
// defender.
package bot
