package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

// manualMDE keeps actions Pending until the test moves them.
func manualMDE(c *harnessConfig) {
	c.mdeOpts = []defendertest.Option{defendertest.WithProgress(0, 0), defendertest.WithRateLimits(0, 0)}
}

func TestEachStatusTransitionIsRecordedThenPostedInTheThread(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "scan ws-0042 full weird traffic")
	card := h.card("requested by")
	h.reply(card, "Submitted to Defender")
	id := h.mde.Actions()[0].ID
	if r := h.only(); r.State != approvals.StateSubmitted || r.ActionID != id {
		t.Fatalf("when the submission was posted the store had %s/%q, want submitted/%s", r.State, r.ActionID, id)
	}
	if err := h.mde.SetStatus(id, "InProgress"); err != nil {
		t.Fatal(err)
	}
	h.reply(card, "Defender: InProgress")
	if r := h.only(); r.MDEStatus != "InProgress" {
		t.Fatalf("when InProgress was posted the store had %q", r.MDEStatus)
	}
	h.card("running in Defender")
	if err := h.mde.SetStatus(id, "Failed"); err != nil {
		t.Fatal(err)
	}
	h.reply(card, "Defender: Failed")
	h.card("failed")
	r := h.only()
	var got []string
	for _, c := range r.StatusHistory {
		got = append(got, string(c.Status))
	}
	if strings.Join(got, ",") != "Pending,InProgress,Failed" {
		t.Errorf("statuses stored = %v, want Pending, InProgress, Failed", got)
	}
}

func TestTheCancelButtonInTheThreadCancelsTheAction(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "collect ws-0042 need the timeline")
	card := h.card("requested by")
	offer := h.reply(card, "Cancel it if it should not run")

	h.click(outsider, offer, blocks.ActionCancel)
	h.ephemeral(outsider, "Only the requester or an approver")
	if a := h.mde.Actions()[0]; a.Cancelled {
		t.Fatal("an outsider cancelled the action")
	}

	h.click(responder, offer, blocks.ActionCancel)
	status := h.reply(card, "Defender: Cancelled by <@"+responder+">")
	final := h.card("cancelled")
	retired := h.wait("retired cancel offer", func(m slacktest.Message) bool {
		return m.TS == offer.TS && strings.Contains(m.Text, "has ended: Cancelled")
	})
	// Who cancelled is said by name, once in the thread and on the card;
	// mdebot's own cancel comment is never shown raw.
	if strings.Contains(retired.Text, responder) || strings.Contains(shown(final)+status.Text, "mdebot R-") ||
		strings.Contains(shown(final), "cancelled by "+responder) || strings.Contains(status.Text, ">:") {
		t.Errorf("the cancellation reads badly:\ncard: %s\nstatus: %s\noffer: %s", shown(final), status.Text, retired.Text)
	}
	if strings.Contains(string(retired.Blocks), blocks.ActionCancel) {
		t.Error("the cancel offer still has its button after the action ended")
	}
	r := h.only()
	if r.State != approvals.StateCancelled || r.CancelRequested != responder {
		t.Errorf("request = %s cancel requested by %q, want cancelled by %s", r.State, r.CancelRequested, responder)
	}
	if a := h.mde.Actions()[0]; !a.Cancelled || !strings.Contains(a.CancellationComment, r.ID) {
		t.Errorf("MDE action cancelled=%v comment %q", a.Cancelled, a.CancellationComment)
	}
}

func TestTheDownloadLinkIsShownOnlyToTheRequesterAndApprovers(t *testing.T) {
	h := newHarness(t)
	const sas = "https://fake-blob.example/pkg.zip?sv=2024&sig=SECRETSIGNATURE123"
	h.slash(responder, socChannel, "collect ws-0042 need the timeline")
	card := h.card("requested by")
	ready := h.reply(card, "investigation package")
	r := h.only()
	h.mde.SetPackageURI(r.ActionID, sas)

	h.click(outsider, ready, blocks.ActionPackageLink)
	h.ephemeral(outsider, "Only the requester and the approvers")
	h.click(approver2, ready, blocks.ActionPackageLink)
	link := h.ephemeral(approver2, "Download the investigation package")
	if !strings.Contains(shown(link), "<"+sas+"|") {
		t.Errorf("link message lacks the SAS URL: %s", shown(link))
	}
	h.click(responder, ready, blocks.ActionPackageLink)
	h.ephemeral(responder, "Download the investigation package")

	for _, m := range h.slack.AllMessages() {
		if strings.Contains(shown(m), "SECRETSIGNATURE") && (!m.Ephemeral || (m.VisibleTo != responder && m.VisibleTo != approver2)) {
			t.Errorf("the SAS URL reached %q (ephemeral %v) in %s", m.VisibleTo, m.Ephemeral, m.Channel)
		}
	}
	for _, secret := range []string{"SECRETSIGNATURE", slacktest.BotToken, slacktest.AppToken, defendertest.ClientSecret} {
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("%q reached the log", secret)
		}
	}
	if got := h.refusals(r.ID); len(got) != 1 || got[0] != approvals.CodeNotPermitted {
		t.Errorf("refusals = %v, want the outsider's", got)
	}
}

func TestBlockAndUnblockAreIndicatorsThatSucceedAtOnce(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "block "+sha256Hash+" dropper from phishing")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "blocked tenant-wide")
	h.card("succeeded")
	if inds := h.mde.Indicators(); len(inds) != 1 || inds[0].Value != sha256Hash || inds[0].Action != "Block" {
		t.Fatalf("indicators = %+v, want one block of the hash", inds)
	}

	h.slash(responder, socChannel, "unblock "+sha256Hash+" false positive")
	card2 := h.wait("unblock card", func(m slacktest.Message) bool {
		return m.ThreadTS == "" && !m.Ephemeral && m.TS != card.TS && strings.Contains(m.Text, "awaiting approval")
	})
	h.click(approver2, card2, blocks.ActionApprove)
	h.reply(card2, "unblocked tenant-wide")
	if inds := h.mde.Indicators(); len(inds) != 0 {
		t.Errorf("indicators after unblock = %+v, want none", inds)
	}
	if n := len(h.mde.Actions()); n != 0 {
		t.Errorf("machine actions = %d, want none for indicators", n)
	}
}

func TestUnblockingAHashWithNoVisibleBlockClaimsNoChange(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = append(c.mdeOpts, defendertest.WithRoles(append(defendertest.DefaultRoles()[:7], defendertest.RoleTiReadWrite)...))
	})
	h.mde.AddIndicator(defendertest.Indicator{Value: sha256Hash, Type: "FileSha256", Action: "Block", Title: "t", Description: "by an analyst", CreatedBy: "analyst@contoso.com"})
	h.mde.AddIndicator(defendertest.Indicator{Value: sha256Hash, Type: "FileSha256", Action: "Allowed", Title: "t", Description: "ours"})
	h.slash(responder, socChannel, "unblock "+sha256Hash+" false positive")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	reply := h.reply(card, "no block indicator for this hash that mdebot can see; with Ti.ReadWrite.All it would see those created by others")
	if strings.Contains(reply.Text, "unblocked") {
		t.Errorf("the reply claims a change: %q", reply.Text)
	}
	h.card("failed")
	if inds := h.mde.Indicators(); len(inds) != 2 {
		t.Errorf("indicators = %+v, want both kept", inds)
	}
	for _, m := range h.slack.Messages(socChannel) {
		if strings.Contains(m.Text, "unblocked tenant-wide") {
			t.Errorf("a message claims the unblock: %q", m.Text)
		}
	}
}

func TestAnOfflineMachineTimesOut(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = []defendertest.Option{defendertest.WithProgress(50*time.Millisecond, 50*time.Millisecond), defendertest.WithRateLimits(0, 0)}
	})
	h.slash(responder, socChannel, "scan ws-0077 quick offline box")
	card := h.card("requested by")
	h.reply(card, "Defender: TimeOut")
	h.card("timed out")
}

func TestAFailedQuarantineShowsDefendersErrorText(t *testing.T) {
	h := newHarness(t)
	h.mde.QuarantineFails(sha1Hash, "The file is signed by Microsoft & cannot be <quarantined>")
	h.slash(responder, socChannel, "quarantine ws-0042 "+sha1Hash+" dropper")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	failed := h.reply(card, "Defender: Failed")
	if !strings.Contains(shown(failed), "signed by Microsoft &amp; cannot be &lt;quarantined&gt;") {
		t.Errorf("failure reply lacks MDE's escaped text: %s", shown(failed))
	}
	if r := h.only(); r.State != approvals.StateFailed || !strings.Contains(r.Error, "signed by Microsoft") {
		t.Errorf("request = %s, error %q", r.State, r.Error)
	}
}

func TestAnswersToButtonsInAThreadStayInThatThread(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "collect ws-0042 need the timeline")
	card := h.card("requested by")
	offer := h.reply(card, "Cancel it if it should not run")
	h.click(outsider, offer, blocks.ActionCancel)
	refusal := h.ephemeral(outsider, "Only the requester or an approver")
	if refusal.ThreadTS != card.TS {
		t.Errorf("the answer to a click in the thread went to thread %q, want the card's thread %q", refusal.ThreadTS, card.TS)
	}
}

func TestAnswersToButtonsOnTheCardStayInTheChannel(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	h.click(responder, card, blocks.ActionApprove)
	if m := h.ephemeral(responder, "You cannot approve your own request"); m.ThreadTS != "" {
		t.Errorf("the answer to a click on the card went to thread %q", m.ThreadTS)
	}
}
