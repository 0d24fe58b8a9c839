package bot

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// blinkingGroups resolves the approver group, except that while down is set
// one lookup answers "no members" (as Groups does when Slack fails) and
// clears it.
type blinkingGroups struct{ down atomic.Bool }

func (g *blinkingGroups) Members(_ context.Context, id string) ([]string, error) {
	if g.down.CompareAndSwap(true, false) {
		return nil, nil
	}
	if id == approverSet {
		return []string{approver1, approver2}, nil
	}
	return nil, nil
}

func TestADenyClickWhileTheApproverGroupCannotBeResolvedNeverDeniesWithoutAReason(t *testing.T) {
	g := &blinkingGroups{}
	h := newHarness(t, func(c *harnessConfig) { c.groups = g })
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.dmCard(approver2, "awaiting approval") // the approval DMs' lookups are done
	g.down.Store(true)                       // the click's first group lookup fails, the next succeeds
	h.click(approver1, card, blocks.ActionDeny)
	h.ephemeral(approver1, "") // the refusal
	r := h.only()
	if r.State != approvals.StateAwaiting || len(r.Decisions) != 0 {
		t.Fatalf("request = %s %+v, want still awaiting approval with no decision", r.State, r.Decisions)
	}
	if got := h.refusals(r.ID); len(got) != 1 || !slices.Contains([]approvals.Code{approvals.CodeNotPermitted, approvals.CodeReasonRequired}, got[0]) {
		t.Errorf("refusals = %v, want one refusal audited", got)
	}
}
