package config

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	// File is the configuration file's name as given to Load or Parse, or
	// "" for a problem with an environment variable.
	File string
	// Line is the 1-based line in File, or 0 when there is none.
	Line int
	// Key is the dotted YAML key ("slack.approvers") or the environment
	// variable ("SLACK_BOT_TOKEN") the problem is about, or "" for the
	// file as a whole.
	Key string
	// Message says what is wrong, as a sentence that names the key.
	Message string
}

// Error formats p as "file:line: message", "file: message" or
// "environment: message".
func (p Problem) Error() string {
	var b strings.Builder
	switch {
	case p.File == "":
		b.WriteString("environment")
	case p.Line > 0:
		b.WriteString(p.File + ":" + strconv.Itoa(p.Line))
	default:
		b.WriteString(p.File)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one configuration, in file order and
// then environment order. Load and Parse return it as their error, so a
// caller can list each problem:
//
//	var ps config.Problems
//	if errors.As(err, &ps) { … }
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each problem, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}
