package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/slacktest"
)

// errDied is what a write after the change gets from a crashingOutbox.
var errDied = errors.New("test: mdebot died right after the change committed")

// crashingOutbox is the store's outbox as a process that dies right after
// a change commits leaves it: while dead, only what the change's own
// transaction wrote (the Announcer's deliveries) reaches it; a delivery
// written afterwards, in a transaction of its own, is lost (Enqueue
// fails), and nothing is delivered (Pending is empty).
type crashingOutbox struct {
	approvals.Outbox
	dead atomic.Bool
}

func (o *crashingOutbox) Enqueue(ctx context.Context, ds ...approvals.Delivery) error {
	if o.dead.Load() {
		return errDied
	}
	return o.Outbox.Enqueue(ctx, ds...)
}

func (o *crashingOutbox) Pending(ctx context.Context) ([]approvals.Delivery, error) {
	if o.dead.Load() {
		return nil, nil
	}
	return o.Outbox.Pending(ctx)
}

// crashable is a harness whose bot can "die" right after a change.
type crashable struct {
	*harness
	out *crashingOutbox
}

func newCrashable(t *testing.T, configure ...func(*harnessConfig)) crashable {
	t.Helper()
	out := &crashingOutbox{}
	h := newHarness(t, append(configure, func(c *harnessConfig) {
		c.outbox = out
		c.wrapStore = func(s approvals.Store) approvals.Store {
			out.Outbox = s.(approvals.Outbox) // the store itself
			return s
		}
	})...)
	return crashable{h, out}
}

// die makes the bot lose everything it would write after a change, and
// deliver nothing, until restarted.
func (h crashable) die() { h.out.dead.Store(true) }

// restartAfterCrash stops the dead bot and starts a healthy one on the
// same store, which drains what the store owes.
func (h crashable) restartAfterCrash() {
	h.t.Helper()
	h.stop()
	h.out.dead.Store(false)
	h.start()
	h.drained()
}

// hasNote reports whether r records a note of kind.
func hasNote(r *approvals.Request, kind approvals.NoteKind) bool {
	for _, n := range r.Notes {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

// threadCount is how many replies under card contain want.
func (h *harness) threadCount(card slacktest.Message, want string) int {
	n := 0
	for _, m := range h.slack.Thread(card.Channel, card.TS) {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// once checks that exactly one reply under card contains want.
func (h *harness) once(card slacktest.Message, want string) {
	h.t.Helper()
	if n := h.threadCount(card, want); n != 1 {
		h.t.Errorf("%d replies saying %q, want exactly 1:\n%s", n, want, h.dump())
	}
}

func TestARefusedSubmissionsReplyIsOwedWithTheFailureItself(t *testing.T) {
	h := newCrashable(t, manualMDE)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.mde.FailNext("actions.isolate", 1, http.StatusBadRequest, `{"error":{"code":"InvalidInput","message":"Invalid input IsolationType"}}`, nil)
	h.die()
	h.click(approver1, card, blocks.ActionApprove)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateFailed })
	h.restartAfterCrash()
	h.once(card, "Defender refused the request: Invalid input IsolationType")
	h.restart()
	h.drained()
	h.once(card, "Defender refused the request: Invalid input IsolationType")
}

func TestTheNotSentReplyForSomeoneElsesActionIsOwedWithTheChange(t *testing.T) {
	h := newCrashable(t, manualMDE)
	theirs, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, "portal: isolate while we look")
	if err != nil {
		t.Fatal(err)
	}
	h.slash(responder, socChannel, "isolate ws-0042 selective beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.die()
	h.click(approver1, card, blocks.ActionApprove)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateFailed })
	h.restartAfterCrash()
	h.once(card, "Not sent")
	h.once(card, theirs.Action.ID) // the foreign action, carried with the change
}

func TestTheDryRunReplyIsOwedWithTheChange(t *testing.T) {
	h := newCrashable(t, func(c *harnessConfig) { c.dryRun = true })
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.die()
	h.click(approver1, card, blocks.ActionApprove)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateFailed })
	h.restartAfterCrash()
	h.once(card, "DRY RUN")
}

func TestTheBlockedTenantWideReplyIsOwedWithTheStatus(t *testing.T) {
	h := newCrashable(t)
	h.slash(responder, socChannel, "block "+sha256Hash+" dropper from phishing")
	card := h.card("awaiting approval")
	r := h.only()
	h.die()
	h.click(approver1, card, blocks.ActionApprove)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateSucceeded })
	h.restartAfterCrash()
	h.once(card, "blocked tenant-wide")
}

func TestTheRepliesOfACancelWhileBeingSentAreOwedWithTheirChanges(t *testing.T) {
	g := &searchGate{}
	h := newCrashable(t, manualMDE, func(c *harnessConfig) { c.mdeTransport = g.wrap })
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	lostReplyAndUnsearchable(h.harness, g) // the POST never reaches MDE

	// The unknown outcome's note.
	h.die()
	h.click(approver1, card, blocks.ActionApprove)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return len(r.Notes) == 1 })
	h.restartAfterCrash()
	h.once(card, "did not say")

	// The cancel requested while it was being sent.
	h.die()
	h.slash(responder, socChannel, "cancel "+r.ID)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.CancelRequested == responder })
	h.restartAfterCrash()
	h.once(card, "Cancel requested")

	// Closed when Defender is found to hold no action.
	h.die()
	g.closed.Store(false)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateCancelled })
	h.restartAfterCrash()
	h.once(card, "nothing ran")
	h.once(card, "did not say")
	h.once(card, "Cancel requested")
}

func TestTheFoundActionsCancelReplyIsOwedWithItsNote(t *testing.T) {
	g := &searchGate{}
	h := newCrashable(t, manualMDE, func(c *harnessConfig) { c.mdeTransport = g.wrap })
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	sent, err := h.def.Actions.Isolate(h.ctx(), ws42, defender.IsolationFull, commentPrefix(r.ID)+" reached Defender")
	if err != nil {
		t.Fatal(err)
	}
	lostReplyAndUnsearchable(h.harness, g)
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "did not say")
	h.slash(responder, socChannel, "cancel "+r.ID+" wrong machine")
	h.reply(card, "Cancel requested")

	h.die()
	g.closed.Store(false)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool {
		return hasNote(r, approvals.NoteCancelSent) && r.State == approvals.StateCancelled
	})
	h.restartAfterCrash()
	h.once(card, "asked Defender to cancel it")
	h.once(card, "Defender: Cancelled")
	if got := h.only(); got.ActionID != sent.Action.ID {
		t.Errorf("request action = %q, want %q", got.ActionID, sent.Action.ID)
	}
}

func TestTheReminderIsOwedWithItsNoteOnce(t *testing.T) {
	h := newCrashable(t) // approval window: 10 minutes
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.die()
	h.advance(5*time.Minute + time.Second)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return hasNote(r, approvals.NoteReminder) })
	h.restartAfterCrash()
	h.detachedBot().remind(h.ctx()) // another pass owes nothing
	h.drained()
	h.once(card, ":alarm_clock:")
}

func TestThePackageReadyReplyIsOwedWithTheFinalStatus(t *testing.T) {
	h := newCrashable(t, manualMDE)
	h.slash(responder, socChannel, "collect ws-0042 need the timeline")
	card := h.card("requested by")
	offer := h.reply(card, "Cancel it if it should not run")
	r := h.only()
	h.die()
	if err := h.mde.SetStatus(r.ActionID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return r.State == approvals.StateSucceeded })
	h.restartAfterCrash()
	h.once(card, "investigation package")
	h.once(card, "Defender: Succeeded")
	// The Cancel offer was retired with the status too.
	if m, _ := h.slack.Message(slacktest.MessageRef{Channel: offer.Channel, TS: offer.TS}); !strings.Contains(m.Text, "has ended") {
		t.Errorf("the cancel offer reads %q after the action ended, want it retired", m.Text)
	}
}

func TestTheEscalationIsToldWithTheChange(t *testing.T) {
	const onCall = "S0ONCALL"
	h := newCrashable(t, func(c *harnessConfig) {
		c.policy.TTL, c.policy.EscalateAfter = time.Hour, 10*time.Minute
		c.escalation = onCall
		c.groups = staticGroups{approverSet: {approver1, approver2}, onCall: {approver2, outsider}}
	})
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.die()
	h.advance(11 * time.Minute)
	waitRequest(t, h.harness, r.ID, func(r *approvals.Request) bool { return !r.Escalated.IsZero() })
	h.restartAfterCrash()
	h.once(card, "escalated to <!subteam^"+onCall+">")
	if n := h.dmsTo(responder, "escalated to"); n != 1 {
		t.Errorf("%d escalation DMs to the requester, want 1", n)
	}
}

func TestANoteOrACopyAloneOwesNoCardUpdate(t *testing.T) {
	h := newHarness(t)
	b := h.detachedBot()
	before := &approvals.Request{ID: "R-1", Kind: approvals.KindIsolate, Channel: socChannel, State: approvals.StateAwaiting,
		Card: approvals.Card{Channel: socChannel, TS: "1.1"}}
	after := before.Clone()
	after.Notes = append(after.Notes, approvals.Note{Kind: approvals.NoteReminder, At: h.now()})
	ds := b.announce(before, after)
	if len(ds) != 1 || ds[0].Kind != kindReply {
		t.Fatalf("a reminder's note owes %+v, want its reply alone (the card does not show notes)", ds)
	}
	var p payload
	if err := json.Unmarshal(ds[0].Payload, &p); err != nil || !strings.Contains(p.Text, ":alarm_clock:") {
		t.Errorf("owed %q (%v), want the reminder", p.Text, err)
	}
	// Storing where a copy of the card was posted (an approver's DM)
	// owes nothing: the card does not show it.
	copied := before.Clone()
	copied.Copies = append(copied.Copies, approvals.Card{Channel: "D0APPR1", TS: "2.2"})
	if ds := b.announce(before, copied); len(ds) != 0 {
		t.Errorf("storing a copy owes %+v, want nothing", ds)
	}
	// A change that also changes what the card shows re-renders it.
	after.State = approvals.StateExpired
	card := false
	for _, d := range b.announce(before, after) {
		card = card || d.Kind == kindCard
	}
	if !card {
		t.Error("a change of state with a note owes no card update")
	}
}

func TestAnOwedReplyOfAKindThisVersionDoesNotKnowIsDroppedNotReportedToTheRequester(t *testing.T) {
	h := newHarness(t)
	h.slash(responder, socChannel, "isolate ws-0042 full beaconing")
	card := h.card("awaiting approval")
	r := h.only()
	h.drained()
	h.mu.Lock()
	b := h.bot
	h.mu.Unlock()
	b.enqueue(h.ctx(), delivery(kindReply, postLane(r.Channel), "", r.ID, payload{Reply: "from_a_later_version", Snapshot: r}, h.now()))
	h.drained()
	if !strings.Contains(h.logs.String(), "outbox reply of an unknown kind dropped") {
		t.Error("the dropped reply was not logged")
	}
	if h.threadCount(card, "") != 0 || h.dmsTo(responder, "could not post") != 0 {
		t.Errorf("an unknown reply was posted or reported, want it dropped:\n%s", h.dump())
	}
}

// BenchmarkAnnounce is the announcer's cost inside a change's transaction:
// a status change (status reply and card), and a note alone (its reply;
// cardUnchanged compares the request's encodings).
func BenchmarkAnnounce(b *testing.B) {
	h := newHarness(b)
	bot := h.detachedBot()
	before := &approvals.Request{ID: "R-1", Kind: approvals.KindIsolate, Channel: socChannel, State: approvals.StateSubmitted,
		Reason: strings.Repeat("beaconing to a known C2 ", 10), MDEStatus: "Pending", Card: approvals.Card{Channel: socChannel, TS: "1.1"},
		Decisions: []approvals.Decision{{Actor: approver1, Verdict: approvals.Approve}}}
	status := before.Clone()
	status.MDEStatus = "InProgress"
	note := before.Clone()
	note.Notes = append(note.Notes, approvals.Note{Kind: approvals.NoteCancelSent, Action: approvals.ActionRef{ID: "act-1"}})
	for _, c := range []struct {
		name  string
		after *approvals.Request
	}{{"status", status}, {"note", note}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				bot.announce(before, c.after)
			}
		})
	}
}
