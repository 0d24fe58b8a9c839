package playground

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// PollInterval is how often the playground's bot polls running actions: the
// simulated tenant is fast, so the cards move along quickly.
const PollInterval = "1s"

// ConfigYAML returns a bot configuration (package config's format) for the
// seeded workspace: /mde in #incident only; the responder and the approvers
// may request; the approvers' user group approves; the manager and the
// approvers read history; actions poll every PollInterval; the database is
// DBFileName in DataDir.
func (p *Playground) ConfigYAML() []byte {
	return fmt.Appendf(nil, `# mdebot playground configuration (generated).
storage:
  path: %s

slack:
  channels: [%s]
  requesters: [%s, %s]
  approvers: [%s]
  auditors: [%s, %s]

defender:
  poll_interval: %s

policy:
  approval_ttl: 30m

log:
  format: text
  level: info
`, strconv.Quote(filepath.Join(p.dataDir, DBFileName)),
		ChannelID, ResponderID, ApproversID, ApproversID, ManagerID, ApproversID, PollInterval)
}
