package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/slacktest"
)

// historyReply waits for a history page to user other than the ones in
// seen, whose text contains want.
func (h *harness) historyReply(user, want string, seen ...slacktest.Message) slacktest.Message {
	h.t.Helper()
	return h.wait("history with "+want, func(m slacktest.Message) bool {
		for _, s := range seen {
			if s.TS == m.TS {
				return false
			}
		}
		return m.Ephemeral && m.VisibleTo == user && strings.Contains(m.Text, "history") && strings.Contains(m.Text, want)
	})
}

func TestHistoryFiltersByApproverOutcomeAndTimeAndLinksTheThread(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.auditors = []string{approver2} })
	// One isolation approved by approver1 that succeeds, one scan still
	// waiting, one old withdrawn request a day back.
	h.openWithdrawn(1, func(int) string { return "old drill" })
	h.advance(24 * time.Hour)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	isolation := h.card("awaiting approval")
	h.click(approver1, isolation, blocks.ActionApprove)
	h.card("succeeded")
	h.slash(responder, socChannel, "unisolate ws-0042 all clear")
	h.card("Release from isolation")

	var seen []slacktest.Message
	page := func(text, want string) slacktest.Message {
		t.Helper()
		h.slash(approver2, socChannel, "history "+text)
		m := h.historyReply(approver2, want, seen...)
		seen = append(seen, m)
		return m
	}
	byApprover := page("<@"+approver1+">", "1 request")
	if !strings.Contains(shown(byApprover), "approved by <@"+approver1+">") || !strings.Contains(shown(byApprover), "|thread>") {
		t.Errorf("the approver's row lacks who approved or the thread link: %s", shown(byApprover))
	}
	if !strings.Contains(shown(byApprover), "Defender took") {
		t.Errorf("the row does not say how long Defender took: %s", shown(byApprover))
	}
	page("--outcome pending", "1 request")
	page("--outcome succeeded --kind isolate", "1 request")
	page("--since 1h", "2 requests")
	page("<@"+responder+">", "3 requests")
	page("--kind offboard", "0 requests")
	if n := h.slack.CallCount("chat.getPermalink"); n == 0 || n > 3 {
		t.Errorf("chat.getPermalink called %d times for 2 cards, want them cached", n)
	}
	// Another user is not an auditor.
	h.slash(approver1, socChannel, "history")
	h.ephemeral(approver1, "Only auditors")
}

func TestHistoryOfAUserTypedAsPlainTextFindsThemByHandleDisplayOrRealName(t *testing.T) {
	h := newHarness(t)
	h.slack.AddUser(slacktest.User{ID: "U0RITA2", Name: "rita.b", RealName: "Rita Backup", DisplayName: "Rita"})
	h.slash(responder, socChannel, "scan ws-0042 quick routine")
	h.reply(h.card("requested by"), "Succeeded")
	answer := func(text string) string {
		t.Helper()
		seen := map[string]bool{}
		for _, m := range h.slack.AllMessages() {
			seen[m.TS] = true
		}
		h.slash(approver1, socChannel, text)
		return h.wait("the answer to "+text, func(m slacktest.Message) bool {
			return m.Ephemeral && m.VisibleTo == approver1 && !seen[m.TS]
		}).Text
	}
	// The handle wins (handles are unique), even where a display name is
	// the same word; the real name works in any case, spaced by . or _.
	for _, typed := range []string{"@rita", "@RITA", "@Rita.Responder", "@rita_responder", "@ritaresponder"} {
		if got := answer("history " + typed); !strings.Contains(got, "history: 1 request") {
			t.Errorf("history %s = %q, want the one request of %s", typed, got, responder)
		}
	}
	// A display name several people share lists them; nothing is guessed.
	h.slack.AddUser(slacktest.User{ID: "U0TWIN1", Name: "tw1", RealName: "T One", DisplayName: "Twin"})
	h.slack.AddUser(slacktest.User{ID: "U0TWIN2", Name: "tw2", RealName: "T Two", DisplayName: "Twin"})
	h.advance(userDirectoryTTL + time.Second) // the directory reads the new users
	if got := answer("history @twin"); !strings.Contains(got, "Several people are named") ||
		!strings.Contains(got, "<@U0TWIN1>") || !strings.Contains(got, "<@U0TWIN2>") {
		t.Errorf("history @twin = %q, want both named", got)
	}
	if got := answer("history @nobody.here"); !strings.Contains(got, "no one in this workspace is named @nobody.here") {
		t.Errorf("history @nobody.here = %q", got)
	}
}
