package bot

import (
	"strings"
	"testing"

	"github.com/mdebot/mdebot/slacktest"
)

// TestNoUserInputReachesAnInternalError types malformed and unknown input
// into every verb: each gets an explanation or a usage answer, never
// "Internal error", and nothing is logged at ERROR.
func TestNoUserInputReachesAnInternalError(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approver1} })
	for _, text := range []string{
		"status nope",
		"status R-NOSUCH",
		"status 00000000-0000-0000-0000-000000000000",
		"cancel nope",
		"cancel R-NOSUCH",
		"cancel 00000000-0000-0000-0000-000000000000 oops",
		"machine nosuch-host",
		"machine 10.99.99.99",
		"machine 0000000000000000000000000000000000000000",
		"machine 999.1.1.1",
		"history nosuch-host",
		"history --since 99999d",
		"history --from 2026-13-45",
		"history --outcome maybe",
		"history <@U0NOBODY>",
		"export --since 0d",
		"export --format xml",
		"isolate nosuch-host full x",
		"unblock 0000 x",
		"frobnicate",
		"",
	} {
		t.Run(text, func(t *testing.T) {
			seen := map[string]bool{}
			for _, m := range h.slack.AllMessages() {
				seen[m.TS] = true
			}
			h.slash(approver1, socChannel, text)
			m := h.wait("an answer to "+text, func(m slacktest.Message) bool {
				return m.Ephemeral && m.VisibleTo == approver1 && !seen[m.TS]
			})
			if strings.Contains(m.Text, "Internal error") || strings.Contains(m.Text, "E-") && strings.Contains(m.Text, "ref") {
				t.Errorf("/mde %s answered %q", text, m.Text)
			}
		})
	}
	if logs := h.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("user input was logged as an ERROR:\n%s", lastLines(logs, 10))
	}
}
