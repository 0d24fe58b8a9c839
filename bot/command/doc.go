// Package command is the /mde language: Parse turns the text of a slash
// command into a typed Command (a Verb, its Target, parameters, a reason,
// history and export filters), or a *UsageError that says what is wrong and
// how to write it; Command.String prints it back so that it parses to the
// same command. HelpText and each Verb's Usage are the help text.
//
// It is pure: no I/O, no Slack, no store, no clock but the one a caller
// passes. The action verbs are named after approvals.Kind, so Verb.Kind is
// the request kind a command asks for.
package command
