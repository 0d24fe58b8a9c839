package bot

import (
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
)

func TestMachineAndStatusAreRefusedOutsideTheChannelsAndToPeopleWithNoRoleAndTheRefusalIsAudited(t *testing.T) {
	for _, tc := range []struct {
		name, user, channel, text, want string
	}{
		{"machine in a disallowed channel", responder, elsewhere, "machine ws-0042", "not answered in this channel"},
		{"status in a disallowed channel", approver1, elsewhere, "status R-20261123-0001", "not answered in this channel"},
		{"machine by someone with no role", outsider, socChannel, "machine ws-0042", "Only requesters, approvers and auditors"},
		{"status by someone with no role", outsider, socChannel, "status R-20261123-0001", "Only requesters, approvers and auditors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *harnessConfig) { c.policy.Requesters = []string{responder} })
			h.slash(tc.user, tc.channel, tc.text)
			m := h.ephemeral(tc.user, tc.want)
			if strings.Contains(shown(m), ws42) {
				t.Errorf("the refusal shows the machine: %s", shown(m))
			}
			for _, m := range h.slack.AllMessages() {
				if strings.Contains(shown(m), ws42) {
					t.Errorf("the machine was shown to someone:\n%s", h.dump())
				}
			}
			recs, err := h.db.AuditLog(h.ctx(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Type != approvals.EventRefused || recs[0].Actor != tc.user ||
				recs[0].Code != approvals.CodeNotPermitted {
				t.Errorf("audit log = %+v, want one not_permitted refusal of %s", recs, tc.user)
			}
		})
	}
}

func TestMachineAndStatusAnswerRequestersApproversAndAuditorsInTheirChannel(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		c.policy.Requesters = []string{responder}
		c.auditors = []string{outsider}
	})
	for _, user := range []string{responder, approver1, outsider} {
		h.slash(user, socChannel, "machine ws-0042")
		h.ephemeral(user, ws42)
	}
}
