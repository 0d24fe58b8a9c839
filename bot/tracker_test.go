package bot

import (
	"fmt"
	"testing"
)

func TestATrackerTickReadsManyActionsInFewCalls(t *testing.T) {
	h := newHarness(t)
	bot := h.detachedBot()
	const n = 300
	for i := range n {
		bot.tracker.add(fmt.Sprintf("R-%04d", i), fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	before := h.mde.CallCount("machineactions.list")
	bot.tracker.tick(t.Context())
	calls := h.mde.CallCount("machineactions.list") - before
	if calls < 1 || calls > n/25 {
		t.Errorf("one tick over %d actions cost %d MDE calls, want between 1 and %d", n, calls, n/25)
	}
}
