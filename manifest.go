// Package mdebot holds what the whole product shares at its root: the Slack
// app manifest, embedded so that `mdebot manifest` prints exactly the file
// operators create the Slack app from.
package mdebot

import _ "embed"

// Manifest is manifest.yaml, the Slack app manifest: Socket Mode on, the /mde
// slash command, interactivity, the App Home tab and the bot scopes mdebot uses.
//
//go:embed manifest.yaml
var Manifest []byte
