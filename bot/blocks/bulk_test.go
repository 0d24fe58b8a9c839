package blocks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

// bulkRequest is an isolate of n machines, with one of each kind of
// machine line: reused, someone else's, failed, offline, unhealthy.
func bulkRequest(n int, state approvals.State) RequestView {
	r := cardRequest()
	r.Machine = MachineView{}
	r.State, r.RequiredApprovals, r.BulkOver = state, 2, 10
	for i := range n {
		t := TargetView{ID: fmt.Sprintf("%040x", i), Name: fmt.Sprintf("ws-%04d.contoso.local", i), OS: "Windows11",
			Health: "Active", LastSeen: cardNow.Add(-time.Hour), Outcome: "Queued"}
		if state != approvals.StateAwaiting {
			t.Outcome, t.ActionID = string(mde.StatusSucceeded), fmt.Sprintf("7b%06d-0000-4000-8000-000000000000", i)
		}
		switch i {
		case 0:
			t.Owner, t.OwnerRequest = approvals.OwnerReused, "R-EARLIER01"
		case 1:
			t.Owner, t.Requestor = approvals.OwnerForeign, "soc@contoso.com"
		case 2:
			if state != approvals.StateAwaiting {
				t.Outcome, t.Error = string(mde.StatusFailed), "Isolation could not be applied: the device did not respond"
			}
		case 3:
			t.LastSeen = cardNow.Add(-5 * 24 * time.Hour)
		case 4:
			t.Health = "ImpairedCommunication"
		}
		r.Targets = append(r.Targets, t)
	}
	r.Counts = fmt.Sprintf("%d Queued of %d", n, n)
	if state != approvals.StateAwaiting {
		r.Counts = fmt.Sprintf("%d Succeeded · 1 Failed of %d", n-1, n)
	}
	return r
}

func TestBulkCard(t *testing.T) {
	t.Run("awaiting", func(t *testing.T) {
		m := RenderRequestCard(bulkRequest(30, approvals.StateAwaiting), cardNow)
		checkGoldenMessage(t, m)
		s := shownText(m)
		for _, want := range []string{"Isolate (Full): 30 machines", "*Machines (30)*", "follows R-EARLIER01", "someone else's, by soc@contoso.com",
			":zzz: last seen 5 days ago", "ImpairedCommunication · seen", "one more for over 10 machines", "Approve"} {
			if !strings.Contains(s, want) {
				t.Errorf("awaiting card lacks %q", want)
			}
		}
	})
	t.Run("failed", func(t *testing.T) {
		r := bulkRequest(30, approvals.StateFailed)
		m := RenderRequestCard(r, cardNow)
		checkGoldenMessage(t, m)
		if s := shownText(m); !strings.Contains(s, ":red_circle: Isolate (Full) · 29 Succeeded · 1 Failed of 30") || strings.Contains(s, "Cancel all pending") {
			t.Errorf("failed card: status line or a Cancel button wrong:\n%s", s)
		}
	})
	t.Run("running offers cancel all", func(t *testing.T) {
		r := bulkRequest(3, approvals.StateSubmitted)
		r.Targets[2].Outcome, r.Targets[2].Error = string(mde.StatusInProgress), ""
		if s := shownText(RenderRequestCard(r, cardNow)); !strings.Contains(s, "Cancel all pending") {
			t.Errorf("a running bulk card has no Cancel all pending:\n%s", s)
		}
		r.Targets[2].Owner = approvals.OwnerForeign
		if s := shownText(RenderRequestCard(r, cardNow)); strings.Contains(s, "Cancel all pending") {
			t.Errorf("Cancel all pending offered when only someone else's action runs:\n%s", s)
		}
	})
	t.Run("500 machines stay within Block Kit's limits", func(t *testing.T) {
		r := bulkRequest(500, approvals.StateSubmitted)
		m := RenderRequestCard(r, cardNow)
		checkLimits(t, m, cardUsers, nil)
		if s := shownText(m); !strings.Contains(s, "more machines") || !strings.Contains(s, "/mde status "+r.ID) {
			t.Errorf("a card that cannot list every machine does not say how many more and where to read them")
		}
		checkLimits(t, RenderBulkStatus(r, cardNow), cardUsers, nil)
	})
	t.Run("hostile names are escaped", func(t *testing.T) {
		r := bulkRequest(40, approvals.StateFailed)
		for i := range r.Targets {
			r.Targets[i].Name, r.Targets[i].Error, r.Targets[i].Requestor = cardHostile[:400], cardHostile, cardHostile
			r.Targets[i].OS, r.Targets[i].Health = cardHostile[:90], cardHostile[:90]
		}
		checkLimits(t, RenderRequestCard(r, cardNow), cardUsers, nil)
		var cs []TargetChange
		for _, tg := range r.Targets {
			cs = append(cs, TargetChange{Target: tg, Sent: true})
		}
		checkLimits(t, RenderBulkBatch(r, cs), cardUsers, nil)
		checkLimits(t, RenderBulkStatus(r, cardNow), cardUsers, nil)
	})
}

func TestBulkBatchNamesFailuresAndCountsTheRest(t *testing.T) {
	r := bulkRequest(30, approvals.StateSubmitted)
	var cs []TargetChange
	for _, tg := range r.Targets[:12] {
		cs = append(cs, TargetChange{Target: tg, Sent: true})
	}
	m := RenderBulkBatch(r, cs)
	checkGoldenMessage(t, m)
	s := shownText(m)
	for _, want := range []string{"Sent to Defender · 12 machines", "1 reused", "1 someone else's", "9 Succeeded", "1 Failed",
		"`ws-0002.contoso.local` Failed: Isolation could not be applied", "soc@contoso.com", "_Now: 29 Succeeded · 1 Failed of 30_"} {
		if !strings.Contains(s, want) {
			t.Errorf("batch reply lacks %q:\n%s", want, s)
		}
	}
}

// shownText is a message's fallback text and every block's text, as JSON.
func shownText(m Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	for _, bl := range m.Blocks {
		raw, _ := json.Marshal(bl)
		b.Write(raw)
	}
	return strings.ReplaceAll(b.String(), `\n`, "\n")
}

func TestBulkPackagesReadyOffersAButtonPerCollectedMachine(t *testing.T) {
	r := bulkRequest(30, approvals.StateFailed)
	r.Kind = approvals.KindCollect
	m := RenderBulkPackagesReady(r)
	checkGoldenMessage(t, m)
	s := shownText(m)
	// 30 machines: one reused, one someone else's and one failed have no
	// package of this request's.
	if !strings.Contains(s, "packages of 27 machines are ready") || strings.Contains(s, "ws-0002.contoso.local") || strings.Contains(s, "ws-0001.contoso.local") {
		t.Errorf("packages reply:\n%s", s)
	}
	big := bulkRequest(500, approvals.StateSucceeded)
	big.Kind = approvals.KindCollect
	checkLimits(t, RenderBulkPackagesReady(big), cardUsers, nil)
	for i := range big.Targets {
		big.Targets[i].Outcome = string(mde.StatusFailed)
	}
	if s := shownText(RenderBulkPackagesReady(big)); !strings.Contains(s, "collected none") {
		t.Errorf("no package collected:\n%s", s)
	}
}
