package defendertest

import (
	"strconv"
	"strings"
	"time"
)

// tokKind classifies an OData $filter token.
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tLParen
	tRParen
	tComma
	tColon
	tSlash
)

type token struct {
	kind tokKind
	text string    // identifier text, decoded string literal, or raw number/date
	num  float64   // tNumber
	date time.Time // tDate
	pos  int       // byte offset in the filter
}

// filterError is a $filter parse or validation error, with the message the
// OData layer puts after "The query specified in the URI is not valid. ".
type filterError struct{ msg string }

// Error returns the OData message.
func (e *filterError) Error() string { return e.msg }

func syntaxError(pos int, src string) *filterError {
	return &filterError{"Syntax error at position " + strconv.Itoa(pos) + " in '" + src + "'."}
}

// lex splits a $filter expression into tokens. Strings are single-quoted
// with a doubled quote as escape; date-times are unquoted.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, pos: i})
			i++
		case c == ':':
			toks = append(toks, token{kind: tColon, pos: i})
			i++
		case c == '/':
			toks = append(toks, token{kind: tSlash, pos: i})
			i++
		case c == '\'':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(src) {
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, &filterError{"There is an unterminated string literal at position " + strconv.Itoa(len(src)) + " in '" + src + "'."}
			}
			toks = append(toks, token{kind: tString, text: b.String(), pos: start})
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			start := i
			i++
			for i < len(src) && (isAlnum(src[i]) || strings.IndexByte(":.+-", src[i]) >= 0) {
				i++
			}
			raw := src[start:i]
			if t, ok := parseODataDate(raw); ok {
				toks = append(toks, token{kind: tDate, text: raw, date: t, pos: start})
				continue
			}
			num, err := strconv.ParseFloat(strings.TrimRight(raw, "LlMmDdFf"), 64)
			if err != nil {
				return nil, syntaxError(start, src)
			}
			toks = append(toks, token{kind: tNumber, text: raw, num: num, pos: start})
		case isAlpha(c) || c == '_' || c == '@' || c == '$':
			start := i
			for i < len(src) && (isAlnum(src[i]) || src[i] == '_' || src[i] == '.') {
				i++
			}
			if i == start { // lone '@' or '$'
				return nil, syntaxError(start, src)
			}
			toks = append(toks, token{kind: tIdent, text: src[start:i], pos: start})
		default:
			return nil, syntaxError(i, src)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// parseODataDate accepts the unquoted date and date-time literals MDE's
// examples use: 2018-08-01Z, 2019-11-22T00:00:00Z, fractions and offsets.
func parseODataDate(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
