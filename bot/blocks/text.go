package blocks

import (
	"strings"
	"unicode/utf16"
)

// Slack's documented size limits for the texts and collections the bot
// renders, texts in characters (checked as UTF-16 code units, see textLen). Rendering truncates user-supplied text
// against these so Slack never refuses a message with invalid_blocks or
// msg_too_long.
const (
	// MaxSectionText is the longest text of a section block.
	MaxSectionText = 3000
	// MaxHeaderText is the longest plain text of a header block.
	MaxHeaderText = 150
	// MaxButtonText is the longest plain text label of a button.
	MaxButtonText = 75
	// MaxPlainTextInput is the largest max_length a plain_text_input accepts.
	MaxPlainTextInput = 3000
	// MaxMessageText is the longest top-level text of a chat message.
	MaxMessageText = 40000
	// MaxBlocksPerMessage is the most blocks one message may carry.
	MaxBlocksPerMessage = 50
	// MaxBlocksPerView is the most blocks one modal or Home tab may carry.
	MaxBlocksPerView = 100
	// MaxContextElements is the most elements one context block may carry.
	MaxContextElements = 10
)

// ellipsis ends a truncated text.
const ellipsis = "…"

// textEscaper replaces the three characters Slack's mrkdwn treats as control
// characters. Slack itself escapes them this way in the text it sends.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeText escapes &, < and > so that user-supplied text shows literally:
// it cannot mention (<!channel>, <@U…>), link (<https://…|…>) or address a
// user group once escaped. Already escaped entities are escaped again, so
// text that came from Slack must be unescaped first (as ParseCommand does).
func EscapeText(s string) string {
	return textEscaper.Replace(s)
}

// TruncateText shortens text so that it is at most max long, replacing the
// tail with "…". Length is counted in UTF-16 code units (textLen), never
// less than Slack's own count. It never cuts inside a UTF-8 sequence or
// inside one of the entities EscapeText produces, so truncating escaped
// text keeps it escaped. Text within max is returned unchanged; max < 1
// returns "".
func TruncateText(text string, max int) string {
	if max < 1 {
		return ""
	}
	if textLen(text) <= max {
		return text
	}
	// Keep what fits in max-1 units, leaving room for the ellipsis.
	cut, n := 0, 0
	for i, r := range text {
		w := utf16.RuneLen(r)
		if n+w > max-1 {
			cut = i
			break
		}
		n += w
	}
	kept := text[:cut]
	// If the cut falls inside an entity ("&am|p;"), drop the partial entity.
	if amp := strings.LastIndexByte(kept, '&'); amp >= 0 && !strings.Contains(kept[amp:], ";") {
		if isEntityPrefix(text[amp:]) {
			kept = kept[:amp]
		}
	}
	return kept + ellipsis
}

// textLen is the length of s in UTF-16 code units, the unit Slack's limits
// are safely checked in: an emoji outside the BMP counts 2.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r) // range yields only valid runes (U+FFFD for bad bytes)
	}
	return n
}

// isEntityPrefix reports whether s starts with one of the entities
// EscapeText produces.
func isEntityPrefix(s string) bool {
	return strings.HasPrefix(s, "&amp;") || strings.HasPrefix(s, "&lt;") || strings.HasPrefix(s, "&gt;")
}

// EscapeTruncate escapes user-supplied text and truncates the result to max
// characters, the way every user text reaches a Block Kit field.
func EscapeTruncate(s string, max int) string {
	return TruncateText(EscapeText(s), max)
}
