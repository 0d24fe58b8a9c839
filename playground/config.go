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
// DBFileName in DataDir. Its policy rules make the Tier0Group need both IR
// leads to isolate, a VIPTag machine Sam, and a KioskTag machine nobody to
// scan or isolate; the responder may use break-glass (announced in
// #sec-alerts), and a request undecided after 5 minutes goes to the
// on-call group.
func (p *Playground) ConfigYAML() []byte {
	return fmt.Appendf(nil, `# mdebot playground configuration (generated).
storage:
  path: %s

slack:
  channels: [%s]
  requesters: [%s, %s]
  approvers: [%s]
  auditors: [%s, %s]
  break_glass: [%s]
  alert_channel: %s
  escalation: %s

defender:
  poll_interval: %s

policy:
  approval_ttl: 30m
  escalate_after: 5m
  break_glass_kinds: [isolate]
  break_glass_per_day: 2
  break_glass_review_within: 24h
  rules:
    - name: %s
      group: %s
      approvals: {isolate: 2, restrict: 2, offboard: 3}
      approvers: [%s]
    - name: %s
      tag: %s
      approvals: {isolate: 1, collect: 1}
      approvers: [%s]
    - name: %s
      tag: %s
      approvals: {scan: 0, isolate: 0}

log:
  format: text
  level: info
`, strconv.Quote(filepath.Join(p.dataDir, DBFileName)),
		ChannelID, ResponderID, ApproversID, ApproversID, ManagerID, ApproversID, ResponderID, AlertsID, OnCallID, PollInterval,
		Tier0Group, Tier0Group, ApproversID, VIPTag, VIPTag, Approver2ID, KioskTag, KioskTag)
}
