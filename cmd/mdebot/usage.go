package main

// usage is what "mdebot help" prints.
const usage = `mdebot runs Microsoft Defender for Endpoint response actions from Slack
(isolate, release, restrict, scan, collect, quarantine, block, offboard), with a
second person approving the ones your policy names.

Usage:
  mdebot serve --config FILE [--dry-run]
                               connect to Slack over Socket Mode and serve /mde
                               (--dry-run: approved actions are not sent to Defender)
  mdebot check --config FILE   check the configuration, tokens, Defender access and
                               user groups, one ✓/✗ line each (exit 0 if all pass)
  mdebot backup --config FILE --out BACKUP
                               copy the database (online through admin.listen's
                               POST /backup while the bot runs, else from the file)
  mdebot migrate --config FILE --from-bolt DB
                               copy a bbolt database into the etcd FILE names
                               (storage.backend: etcd), verifying the audit chain
  mdebot manifest              print the Slack app manifest to create the app from
  mdebot playground            try it in a browser: a fake Slack and Defender on this machine
  mdebot audit verify --config FILE
                               check the audit log's hash chain (bot stopped)
  mdebot export --config FILE [--since 30d] [--format csv|json]
                               write the requests to stdout (bot stopped)
  mdebot help                  show this help

Getting started:
  1. Create the Slack app from the manifest (api.slack.com/apps → "From a
     manifest"): mdebot manifest > manifest.yaml
  2. Write the configuration file from config/example.yaml (channels, requesters,
     approvers, approvals per action, storage.path). Unknown keys are errors.
  3. Set the environment below and run: mdebot serve --config /etc/mdebot/mdebot.yaml

Environment (secrets and endpoints; never in the file):
  SLACK_APP_TOKEN                xapp-… app-level token with connections:write (Socket Mode)
  SLACK_BOT_TOKEN                xoxb-… bot token
  SLACK_API_URL                  Slack Web API base URL (default https://slack.com/api/)
  AZURE_TENANT_ID                Entra ID tenant (directory) id
  AZURE_CLIENT_ID                Entra ID application (client) id
  AZURE_CLIENT_SECRET            client secret, or instead:
  AZURE_CLIENT_CERTIFICATE_PATH  PEM file holding the client certificate and its key
  MDE_CLOUD                      Defender cloud: commercial (default), gcc, gcc-high, dod, or a
                                 commercial geo host (us, eu, uk, au, swa, ina, aea); it sets the
                                 defaults of the next three variables
  AZURE_AUTHORITY_HOST           Entra ID login host (default https://login.microsoftonline.com)
  MDE_API_URL                    Defender API (default https://api.security.microsoft.com)
  MDE_SCOPE                      token scope (default https://api.securitycenter.microsoft.com/.default)
  MDEBOT_AUDIT_KEY               the audit log's HMAC key, 32+ characters (unset: the log is not keyed)
  MDEBOT_AUDIT_KEY_FILE          instead: a file (mode 0600) holding it
  MDEBOT_ETCD_PASSWORD           the password of storage.etcd.username (storage.backend: etcd)
  SSL_CERT_FILE                  a PEM CA bundle Go reads in place of the system's CA
                                 bundle file (the system's certificate directories are
                                 still read)

Exit status: 0 after SIGINT or SIGTERM (a graceful stop), 1 for a bad configuration
or a fatal error (the last line of stderr says which), 2 for a bad command line.
`
