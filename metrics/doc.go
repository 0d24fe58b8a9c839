// Package metrics keeps mdebot's Prometheus metrics in a registry of its
// own (no global state) and serves them in the text exposition format.
//
// It is the only package that imports the Prometheus client. The others
// expose small observer interfaces that *Metrics implements:
// bot.Observer (Socket Mode envelopes and their ack latency, /mde commands
// by verb and outcome, socket reconnects), defender.Observer (MDE calls by
// API family and HTTP status, rate-limit waits), and the approvals.Store
// decorator Store returns (request state transitions, time to approve,
// time to contain).
//
// The metric names are an operator contract; see New.
package metrics
