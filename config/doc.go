// Package config loads mdebot's operator configuration: a YAML file for
// policy and routing (who may request, approve and audit, in which
// channels, how many approvals each action needs) and environment
// variables for secrets and endpoints (Slack tokens, Entra ID credentials,
// API URLs).
//
// Load and Parse validate everything at once and report every problem
// together, each with its file and line where there is one, as Problems.
// Unknown keys are errors, with a suggestion for a likely typo. Secrets are
// held as [secret.Value]s, which print as "[redacted]".
//
// Example is a documented configuration file, and the reference for every
// key and its default.
package config
