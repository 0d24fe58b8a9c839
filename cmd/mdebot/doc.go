// Command mdebot is a Slack bot that runs Microsoft Defender for Endpoint
// response actions under a two-person rule. Run "mdebot help" for usage.
//
//	mdebot serve --config FILE [--dry-run]
//	                             serve /mde over Socket Mode until SIGINT/SIGTERM
//	mdebot check --config FILE   check the configuration, tokens, Defender and groups
//	mdebot backup --config FILE --out BACKUP
//	                             copy the database, online or offline
//	mdebot audit verify --config FILE
//	                             check the audit log's hash chain (bot stopped)
//	mdebot export --config FILE [--since 30d] [--format csv|json]
//	                             the requests as CSV or JSON on stdout (bot stopped)
//	mdebot manifest              print the Slack app manifest
//	mdebot playground            try it in a browser against local stand-ins
//	mdebot help                  usage, environment variables, exit codes
//
// The YAML file holds policy and routing (package config documents every
// key; config/example.yaml is a complete example); secrets and endpoints
// come from the environment (SLACK_*, AZURE_*, MDE_*). serve opens the bbolt
// database, checks the Slack bot token and the Entra ID credential, wires
// package approvals, package defender (MSAL) and package bot together, and
// runs the bot. All HTTP uses Go's default trust store, so SSL_CERT_FILE
// (a PEM CA bundle read in place of the system's CA bundle file; the
// certificate directories are still read) works for private CAs.
//
// playground starts package playground (a fake Slack workspace, a simulated
// Defender tenant over TLS and a Slack-like web page) and runs the same
// wiring as serve against it, with the tenant's certificate trusted by the
// Defender HTTP client alone; the bbolt file and the fakes' state live in
// its --data directory.
//
// With admin.listen set, serve also answers GET /healthz, GET /readyz
// (Socket Mode up and the database writable), GET /metrics (package
// metrics) and POST /backup (loopback clients only).
//
// Exit status: 0 after a graceful stop, 1 for a bad configuration or
// a fatal error (stderr's "mdebot: …" line says which), 2 for a bad
// command line.
//
// Main is the whole program; main only wires signals and os.Exit, so tests
// run Main end to end, in-process or as a child process.
package main
