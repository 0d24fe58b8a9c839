package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/slacktest"
)

func TestARestartResumesTrackingAndOldButtonsStillWork(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	isoCard := h.card("Isolate")
	h.slash(responder, socChannel, "scan srv-sql01 quick odd job")
	scanCard := h.card("Antivirus scan")
	h.reply(scanCard, "Submitted to Defender")

	h.stop()
	scan := h.mde.Actions()[0]
	if err := h.mde.SetStatus(scan.ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	h.start()

	h.reply(scanCard, "Defender: Succeeded")
	h.click(approver2, isoCard, blocks.ActionApprove)
	h.reply(isoCard, "Submitted to Defender")
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1", n)
	}
	if n := h.mde.CallCount("actions.runAntiVirusScan"); n != 1 {
		t.Errorf("scan POSTs = %d, want 1", n)
	}
}

// approvedButNotSubmitted leaves, with the bot stopped, an isolate request
// approved but never marked submitted: a crash between the two.
func approvedButNotSubmitted(t *testing.T, h *harness) *approvals.Request {
	t.Helper()
	h.stop()
	ctx := h.ctx()
	res, err := h.svc.Open(ctx, approvals.Draft{Kind: approvals.KindIsolate, Requester: responder, Channel: socChannel,
		Reason: "crash test", Params: approvals.Params{Machine: ws42, MachineName: "ws-0042.contoso.local", Isolation: defender.IsolationFull}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	res, err = h.svc.Approve(ctx, r.ID, approver1, r.Fingerprint())
	if err != nil || !res.Executable {
		t.Fatalf("Approve = %v, %v", res.Executable, err)
	}
	return res.Request
}

func TestRecoveryFindsTheActionSubmittedBeforeACrash(t *testing.T) {
	h := newHarness(t, manualMDE)
	r := approvedButNotSubmitted(t, h)
	sub, err := h.def.Actions.Isolate(context.Background(), ws42, defender.IsolationFull, mdeComment(r))
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	err = h.mde.WaitFor(h.ctx(), func(_ *defendertest.Server) bool {
		got, err := h.db.Get(context.Background(), r.ID)
		return err == nil && got.State == approvals.StateSubmitted
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.db.Get(context.Background(), r.ID)
	if got.ActionID != sub.Action.ID {
		t.Errorf("recovered action %s, want %s", got.ActionID, sub.Action.ID)
	}
	if n := h.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("isolate POSTs = %d, want 1 (not submitted again)", n)
	}
}

func TestRecoverySubmitsAnApprovedRequestThatNeverReachedDefender(t *testing.T) {
	h := newHarness(t, manualMDE)
	r := approvedButNotSubmitted(t, h)
	h.start()
	if err := h.mde.WaitFor(h.ctx(), func(s *defendertest.Server) bool { return s.CallCount("actions.isolate") == 1 }); err != nil {
		t.Fatal(err)
	}
	card := h.card("Isolate")
	h.reply(card, "Submitted to Defender")
	a := h.mde.Actions()
	if len(a) != 1 || !strings.Contains(a[0].RequestorComment, r.ID) {
		t.Errorf("MDE actions = %+v, want one carrying %s", a, r.ID)
	}
}

func TestACancelOfferPostedBeforeARestartIsRetiredWhenItsActionEnds(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "scan ws-0042 quick odd job")
	card := h.card("Antivirus scan")
	offer := h.reply(card, "Cancel it if it should not run")

	h.restart()
	if err := h.mde.SetStatus(h.mde.Actions()[0].ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	h.reply(card, "Defender: Succeeded")
	retired := h.wait("retired cancel offer", func(m slacktest.Message) bool {
		return m.TS == offer.TS && strings.Contains(m.Text, "has ended")
	})
	if strings.Contains(string(retired.Blocks), blocks.ActionCancel) {
		t.Error("the cancel offer still has its button after the action ended")
	}
}

func TestAnActionWhoseSubmissionOutcomeIsUnknownIsRecoveredWithoutARestart(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.mde.FailNext("actions.runAntiVirusScan", 1, http.StatusBadGateway, "", nil)
	h.slash(responder, socChannel, "scan ws-0042 quick odd job")
	card := h.card("Antivirus scan")
	h.reply(card, "Submitted to Defender")
	a := h.mde.Actions()
	if r := h.only(); len(a) != 1 || !strings.Contains(a[0].RequestorComment, r.ID) || r.ActionID != a[0].ID {
		t.Errorf("MDE actions = %+v, request action %q, want one carrying %s", a, r.ActionID, r.ID)
	}
	if n := h.mde.CallCount("actions.runAntiVirusScan"); n != 2 {
		t.Errorf("scan POSTs = %d, want 2 (the unknown one and the recovery)", n)
	}
}

func TestRecoveryAfterAnUnknownOutcomeNeverSubmitsWhenDefenderHasTheAction(t *testing.T) {
	h := newHarness(t, manualMDE)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	// The action reached MDE (its comment carries the request id) but the
	// reply was lost: MDE answers 502 and the client finds no exact match.
	mine, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, "mdebot "+r.ID+": reached Defender")
	if err != nil {
		t.Fatal(err)
	}
	h.mde.FailNext("actions.isolate", 1, http.StatusBadGateway, "", nil)
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "Submitted to Defender")
	if got := h.only(); got.ActionID != mine.Action.ID {
		t.Errorf("request action = %q, want the existing %q", got.ActionID, mine.Action.ID)
	}
	if n := h.mde.CallCount("actions.isolate"); n != 2 {
		t.Errorf("isolate POSTs = %d, want 2 (the existing action and the unknown one)", n)
	}
	if a := h.mde.Actions(); len(a) != 1 {
		t.Errorf("MDE actions = %+v, want only the existing one", a)
	}
}

func TestRecoveryAtStartIsRetriedWhenDefenderCannotBeSearched(t *testing.T) {
	h := newHarness(t, manualMDE)
	r := approvedButNotSubmitted(t, h)
	h.mde.FailNext("machineactions.list", 1, http.StatusBadRequest, `{"error":{"code":"BadRequest","message":"try again"}}`, nil)
	h.start()
	card := h.card("Isolate")
	h.reply(card, "Submitted to Defender")
	if n := h.mde.CallCount("machineactions.list"); n < 2 {
		t.Errorf("action searches = %d, want the failed one and a retry", n)
	}
	if a := h.mde.Actions(); len(a) != 1 || !strings.Contains(a[0].RequestorComment, r.ID) {
		t.Errorf("MDE actions = %+v, want one carrying %s", a, r.ID)
	}
}

func TestApproversNotYetDMedWhenTheBotStoppedGetTheirDMOnceAtTheNextStart(t *testing.T) {
	h := newHarness(t)
	h.stop()
	res, err := h.svc.Open(h.ctx(), approvals.Draft{Kind: approvals.KindIsolate, Requester: responder, Channel: socChannel,
		Reason: "opened as the bot stopped", Params: approvals.Params{Machine: ws42, MachineName: "ws-0042.contoso.local", Isolation: defender.IsolationFull}})
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	h.until("the approvers' DM copies", func() bool { return h.dmsTo(approver1, "") > 0 && h.dmsTo(approver2, "") > 0 })
	h.restart()
	h.card("awaiting approval")
	if n1, n2 := h.dmsTo(approver1, ""), h.dmsTo(approver2, ""); n1 != 1 || n2 != 1 {
		t.Errorf("approval DMs after two starts: %d and %d, want one each", n1, n2)
	}
	if got, _ := h.db.Get(h.ctx(), res.Request.ID); len(got.Copies) != 2 {
		t.Errorf("%d copies stored, want the two DMs", len(got.Copies))
	}
}
