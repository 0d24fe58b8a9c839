package blocks

import (
	"strings"

	"github.com/mdebot/mdebot/approvals"
)

// Notice names a direct message the requester gets about their request.
type Notice string

// The notices a requester gets, each once per request.
const (
	NoticeApproved Notice = "approved" // enough people approved; it runs
	NoticeDenied   Notice = "denied"   // an approver denied it
	NoticeExpired  Notice = "expired"  // nobody decided in time
	NoticeFinished Notice = "finished" // succeeded, failed, timed out or cancelled
)

// RenderRequesterNotice renders the DM telling r's requester what became of
// r. permalink links the card's thread when it is a safe https URL.
func RenderRequesterNotice(r RequestView, n Notice, permalink string) Message {
	subject := "Your request " + RenderCode(r.ID, 40) + " (" + EscapeText(renderHeadline(r)) + ")"
	var text string
	switch n {
	case NoticeApproved:
		var approvers []string
		for _, d := range r.Decisions {
			if d.Approved {
				approvers = append(approvers, d.UserID)
			}
		}
		if len(approvers) > renderMaxDecisions {
			approvers = approvers[:renderMaxDecisions]
		}
		text = ":white_check_mark: " + subject + " was approved by " + renderMentions(approvers) + " and is being sent to Defender."
	case NoticeDenied:
		var denier, reason string
		for _, d := range r.Decisions {
			if !d.Approved {
				denier, reason = d.UserID, d.Reason
			}
		}
		text = ":no_entry: " + subject + " was denied by " + RenderMention(denier) + ": " + EscapeTruncate(renderOneLine(reason), 500)
	case NoticeExpired:
		text = ":hourglass: " + subject + " expired at " + renderDate(r.Expires) + " without enough approvals. Ask again if it is still needed."
	default:
		text = subject + " finished: " + renderHistoryOutcome(r.State)
		if r.Duration > 0 {
			text += ", Defender took " + renderDuration(r.Duration)
		}
		text += "."
		if r.Counts != "" {
			text += "\nMachines: " + EscapeTruncate(r.Counts, 400)
		}
		if r.StatusDetail != "" && r.State != approvals.StateSucceeded {
			text += "\n" + EscapeTruncate(renderOneLine(r.StatusDetail), 500)
		}
	}
	if renderSafeURL(permalink) {
		text += " " + renderLink(permalink, "Open the thread")
	}
	return RenderNotice(text)
}

// RenderReminder renders the thread reply that reminds approvers of a
// request half-way to expiry. approvers are the policy's approvers: user
// ids (U…, W…) and user-group ids (S…), mentioned so they are notified.
func RenderReminder(r RequestView, approvers []string) Message {
	var mentions []string
	for _, a := range approvers {
		if approvals.IsGroupID(a) {
			mentions = append(mentions, "<!subteam^"+a+">")
		} else {
			mentions = append(mentions, RenderMention(a))
		}
		if len(mentions) == renderMaxDecisions {
			break
		}
	}
	who := strings.Join(mentions, " ")
	if who == "" {
		who = "Approvers"
	}
	text := ":alarm_clock: " + who + ": " + RenderCode(r.ID, 40) + " (" + EscapeText(renderHeadline(r)) +
		") still awaits approval and expires " + renderDate(r.Expires) + "."
	return RenderNotice(text)
}
