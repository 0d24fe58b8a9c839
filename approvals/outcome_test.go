package approvals_test

import (
	"testing"

	"github.com/mdebot/mdebot/approvals"
)

func TestEveryStateHasOneOutcomeWordThatParsesBackToIt(t *testing.T) {
	seen := map[approvals.Outcome]bool{}
	for _, s := range approvals.States() {
		o := s.Outcome()
		if seen[o] {
			t.Errorf("two states read %q", o)
		}
		seen[o] = true
		if got, ok := approvals.ParseOutcome(string(o)); !ok || got.State() != s {
			t.Errorf("%s reads %q, which parses to %q (%v)", s, o, got, ok)
		}
	}
	if len(seen) != len(approvals.Outcomes()) {
		t.Errorf("%d outcomes for %d states", len(approvals.Outcomes()), len(seen))
	}
}

func TestOtherSpellingsOfAnOutcomeAreAccepted(t *testing.T) {
	for in, want := range map[string]approvals.Outcome{
		"rejected": approvals.OutcomeDenied, "timedout": approvals.OutcomeTimedOut, "Timed-Out": approvals.OutcomeTimedOut,
		"awaiting_approval": approvals.OutcomePending, "submitted": approvals.OutcomeRunning, "DENIED": approvals.OutcomeDenied,
	} {
		if got, ok := approvals.ParseOutcome(in); !ok || got != want {
			t.Errorf("ParseOutcome(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := approvals.ParseOutcome("maybe"); ok {
		t.Error("ParseOutcome accepted maybe")
	}
}
