// Package secret holds credentials so that they cannot leak by being
// printed: a [Value] prints, logs and marshals as "[redacted]" whichever
// way it is printed, and only [Value.Reveal] returns what it holds.
//
// config keeps the Slack tokens and the Entra ID client secret in Values;
// defender keeps the client secret and an investigation package's download
// URL (a bearer credential in its query string) in them.
package secret
