// Package mde is the vocabulary of Microsoft Defender for Endpoint's API
// that mdebot's domain and renderers share with its client: machine ids,
// machine action types and statuses, isolation and scan types, and file
// hashes. It holds plain values only and imports nothing but the standard
// library, so package approvals and the bot's pure packages (bot/command,
// bot/blocks) use it without depending on the HTTP client in package
// defender, which re-exports these names.
package mde
