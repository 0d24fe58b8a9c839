// Package command is the /mde language: Parse turns the text of a slash
// command into a typed Command (a Verb, its Target and Targets, parameters,
// a reason, history and export filters), or a *UsageError that says what is
// wrong and how to write it; Command.String prints it back so that it
// parses to the same command. HelpText and each Verb's Usage are the help
// text.
//
// An action may name several machines: a comma list, space-separated
// targets ended by the verb's type word, --break-glass or "--", and
// tag:NAME and group:NAME (targets.go holds the rule). Targets lists them
// all; Target is the first, so single-target code keeps working.
//
// It is pure: no I/O, no Slack, no store, no clock but the one a caller
// passes. The action verbs are named after approvals.Kind, so Verb.Kind is
// the request kind a command asks for.
package command
