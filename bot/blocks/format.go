package blocks

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/slack-go/slack"
)

// More of Slack's Block Kit limits (see also MaxSectionText and the others
// in text.go). Lengths are counted by textLen in UTF-16 code units, never
// fewer than Slack's characters.
const (
	slackMaxButtonValue     = 2000
	slackMaxFieldText       = 2000
	slackMaxFields          = 10
	slackMaxContextText     = 2000 // a text object holds 3000; kept lower on purpose
	slackMaxActionElements  = 25
	slackMaxID              = 255 // action_id, block_id, callback_id
	slackMaxConfirmTitle    = 100
	slackMaxConfirmText     = 300
	slackMaxConfirmButton   = 30
	slackMaxModalTitle      = 24 // also a modal's submit and close texts
	slackMaxInputLabel      = 2000
	slackMaxInputValue      = 3000
	slackMaxPrivateMetadata = 3000
	// slackMaxFallbackText bounds a message's top-level text; Slack takes
	// 40,000 but truncates notifications far earlier.
	slackMaxFallbackText = 3000
)

// renderClamp is the last guard on composed mrkdwn: it cuts s to at most
// max units without leaving half an entity or half a <…> token behind.
func renderClamp(s string, max int) string {
	if textLen(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	cut := []rune(TruncateText(s, max))
	cut = cut[:len(cut)-1] // drop the ellipsis, put back below
	str := string(cut)
	if lt, gt := strings.LastIndexByte(str, '<'), strings.LastIndexByte(str, '>'); lt > gt {
		str = str[:lt]
	}
	if amp := strings.LastIndexByte(str, '&'); amp >= 0 && !strings.Contains(str[amp:], ";") {
		str = str[:amp]
	}
	return str + "…"
}

// renderOneLine turns control characters (newlines, tabs) into spaces, for
// places that show one line: headers, buttons, identifiers.
func renderOneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// RenderCode shows an identifier (machine name, id, hash) as inline code, so
// that *, _ and ~ in it stay literal. A backtick, which would end the span,
// becomes a modifier letter grave accent (ˋ).
func RenderCode(s string, max int) string {
	if s == "" {
		return "—"
	}
	s = strings.ReplaceAll(renderOneLine(s), "`", "ˋ")
	return "`" + EscapeTruncate(s, max-2) + "`"
}

// RenderMention is the mrkdwn mention of a Slack user id. mdebot builds it
// itself; an id that is not a plausible Slack user id is shown escaped.
func RenderMention(userID string) string {
	if userID == "" {
		return "someone"
	}
	if len(userID) > 32 {
		return RenderCode(userID, 40)
	}
	for _, r := range userID {
		if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return RenderCode(userID, 40)
		}
	}
	return "<@" + userID + ">"
}

// renderMentions joins the mentions of ids with commas.
func renderMentions(ids []string) string {
	m := make([]string, len(ids))
	for i, id := range ids {
		m[i] = RenderMention(id)
	}
	return strings.Join(m, ", ")
}

// renderDate is Slack date formatting of t, shown in each reader's time
// zone, with a UTC fallback for clients that cannot format it.
func renderDate(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// renderDuration shows how long something took: "45s", "2m 10s", "1h 5m".
func renderDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// renderIn shows a time still to come, relative to now: "in 30 min",
// "in 2 h 5 min", "in less than a minute".
func renderIn(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d < time.Minute:
		return "in less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("in %d min", int(d.Minutes()))
	case d%time.Hour < time.Minute:
		return fmt.Sprintf("in %d h", int(d.Hours()))
	default:
		return fmt.Sprintf("in %d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

// renderSafeURL reports whether u may go into a <url|text> link untouched:
// an absolute https URL with no character that would end the link early.
func renderSafeURL(u string) bool {
	if u == "" || len(u) > MaxSectionText-200 || strings.ContainsAny(u, "<>| \"") {
		return false
	}
	for _, r := range u {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
	}
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "https" && p.Host != "" && p.User == nil
}

// renderLink is a mrkdwn link to u labelled text, or just the escaped label
// when u is not safe to link.
func renderLink(u, text string) string {
	if !renderSafeURL(u) {
		return EscapeText(text)
	}
	return "<" + u + "|" + EscapeText(text) + ">"
}

// renderPlain is a plain_text object holding s cut to max. Slack shows
// plain_text literally: it forms no mention and no link.
func renderPlain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, TruncateText(s, max), false, false)
}

// renderMrkdwn is a mrkdwn object holding composed (already escaped) s,
// clamped to max. It is verbatim: Slack then links and mentions only what
// mdebot wrote as <…> tokens, never a bare "@here", "#channel" or URL in
// user text.
func renderMrkdwn(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, renderClamp(s, max), false, true)
}

// renderValue bounds an id-bearing value (a button's value, a modal's
// private_metadata) to max. Ids are mdebot's own and short; a cut value
// simply matches nothing when it comes back.
func renderValue(s string, max int) string {
	return TruncateText(s, max)
}

// RenderPlural is "1 approval", "2 approvals".
func RenderPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
