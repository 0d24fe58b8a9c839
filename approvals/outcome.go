package approvals

import "strings"

// Outcome is the one word people read and type for where a request stands
// or how it ended: /mde history shows it and its --outcome filter takes
// it, the App Home filters by it, and the export writes it.
type Outcome string

// The outcomes, one per State (awaiting_approval reads "pending" and
// submitted "running"; the others are the state's own name).
const (
	OutcomePending   Outcome = "pending"
	OutcomeApproved  Outcome = "approved"
	OutcomeRunning   Outcome = "running"
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	OutcomeTimedOut  Outcome = "timed_out"
	OutcomeCancelled Outcome = "cancelled"
	OutcomeDenied    Outcome = "denied"
	OutcomeExpired   Outcome = "expired"
	OutcomeWithdrawn Outcome = "withdrawn"
)

// Outcomes returns every outcome, in lifecycle order.
func Outcomes() []Outcome {
	return []Outcome{OutcomePending, OutcomeApproved, OutcomeRunning, OutcomeSucceeded, OutcomeFailed,
		OutcomeTimedOut, OutcomeCancelled, OutcomeDenied, OutcomeExpired, OutcomeWithdrawn}
}

// outcomeAliases are the other spellings people type, mapped to the
// outcome they mean.
var outcomeAliases = map[string]Outcome{
	"awaiting": OutcomePending, "awaiting_approval": OutcomePending, "submitted": OutcomeRunning,
	"rejected": OutcomeDenied, "timedout": OutcomeTimedOut, "timed-out": OutcomeTimedOut,
	"timeout": OutcomeTimedOut, "canceled": OutcomeCancelled,
}

// ParseOutcome returns the outcome s names, case-insensitively, aliases
// (rejected, timedout, awaiting_approval, submitted…) included.
func ParseOutcome(s string) (Outcome, bool) {
	w := strings.ToLower(strings.TrimSpace(s))
	for _, o := range Outcomes() {
		if string(o) == w {
			return o, true
		}
	}
	o, ok := outcomeAliases[w]
	return o, ok
}

// Outcome is s in the outcome vocabulary.
func (s State) Outcome() Outcome {
	switch s {
	case StateAwaiting:
		return OutcomePending
	case StateSubmitted:
		return OutcomeRunning
	}
	return Outcome(s)
}

// State is the request state o names.
func (o Outcome) State() State {
	switch o {
	case OutcomePending:
		return StateAwaiting
	case OutcomeRunning:
		return StateSubmitted
	}
	return State(o)
}
