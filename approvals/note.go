package approvals

import (
	"context"
	"fmt"
	"time"

	"github.com/mdebot/mdebot/mde"
)

// NoteKind says what a [Note] tells the people following a request.
type NoteKind string

// The kinds of notes. The transition that records a note is the change
// that owes it: the adapter's [Announcer] sees it in Request.Notes of the
// request written, so the note is owed in that change's transaction, once.
const (
	// NoteSubmitFailed: Defender refused the submission (MarkFailed);
	// Text explains why, as the adapter wrote it.
	NoteSubmitFailed NoteKind = "submit_failed"
	// NoteForeignAction: not sent, because Defender already runs an
	// action of its type on the machine that someone else created
	// (MarkFailed); Action is that action.
	NoteForeignAction NoteKind = "foreign_action"
	// NoteDryRun: approved but not sent, mdebot runs as a dry run
	// (MarkFailed).
	NoteDryRun NoteKind = "dry_run"
	// NoteOutcomeUnknown: Defender did not say whether it took the
	// submission; recovery looks for the action (AddNote, while
	// approved). Text explains it.
	NoteOutcomeUnknown NoteKind = "outcome_unknown"
	// NoteCancelSent: the action found after a cancel was requested while
	// the request was being sent was asked to cancel (AddNote, once per
	// Action.ID).
	NoteCancelSent NoteKind = "cancel_sent"
	// NoteCancelRefused: Defender refused to cancel that found action
	// (AddNote, once per Action.ID); Text says why.
	NoteCancelRefused NoteKind = "cancel_refused"
	// NoteReminder: the approvers were reminded, half-way to expiry
	// (AddNote, once per request, while it awaits approval).
	NoteReminder NoteKind = "reminder"
)

// ActionRef names a Defender machine action a note is about.
type ActionRef struct {
	ID        string           `json:"id"`
	Type      mde.ActionType   `json:"type,omitempty"`
	Status    mde.ActionStatus `json:"status,omitempty"`
	Requestor string           `json:"requestor,omitempty"`
}

// Note is something a change of a request tells the people following it
// beyond the request's new state: why it was not sent, that a found
// action's cancel went out, a reminder. Notes are recorded on the request
// (Request.Notes, in order, never removed), so what a change owes is
// known from the request it writes, and a repeated change (ErrUnchanged)
// owes nothing again.
type Note struct {
	Kind   NoteKind  `json:"kind"`
	At     time.Time `json:"at"`
	Text   string    `json:"text,omitempty"`
	Action ActionRef `json:"action,omitzero"`
}

// NewNotes returns the notes after has beyond before's: what a change
// recorded (notes are only ever appended).
func NewNotes(before, after *Request) []Note {
	if len(after.Notes) <= len(before.Notes) {
		return nil
	}
	return after.Notes[len(before.Notes):]
}

// AddNote records n on request id (n.At is set to now), owing it to the
// request's followers in the same transaction. Only the notes that do not
// end a request are added this way: NoteOutcomeUnknown while the request is
// approved; NoteCancelSent and NoteCancelRefused once per action (a repeat
// gives Result.Changed false); NoteReminder once, while it awaits
// approval (a request no longer awaiting, or already reminded, is
// unchanged). Other kinds give ErrInvalid; a request in the wrong state
// for n gives ErrIllegal.
func (s *Service) AddNote(ctx context.Context, id string, n Note) (Result, error) {
	switch n.Kind {
	case NoteOutcomeUnknown, NoteCancelSent, NoteCancelRefused, NoteReminder:
	default:
		return Result{}, &Error{Code: CodeInvalid, RequestID: id, Msg: fmt.Sprintf("note %q is recorded by its transition, not added", n.Kind)}
	}
	n.Text = truncate(n.Text, maxNoteText)
	return s.update(ctx, opNote, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		return addNote(r, n, now)
	})
}

// maxNoteText bounds a note's text (the adapter's rendering of an error).
const maxNoteText = 2000

func addNote(r *Request, n Note, now time.Time) ([]AuditEvent, error) {
	switch n.Kind {
	case NoteOutcomeUnknown:
		if r.State != StateApproved {
			return nil, &Error{Code: CodeIllegal, RequestID: r.ID, State: r.State, Op: opNote, Msg: fmt.Sprintf("is %s, not being sent", r.State)}
		}
	case NoteReminder:
		if r.State != StateAwaiting || r.hasNote(func(x Note) bool { return x.Kind == NoteReminder }) {
			return nil, ErrUnchanged
		}
	case NoteCancelSent, NoteCancelRefused:
		if r.hasNote(func(x Note) bool { return x.Kind == n.Kind && x.Action.ID == n.Action.ID }) {
			return nil, ErrUnchanged
		}
	}
	n.At = now
	r.Notes = append(r.Notes, n)
	return nil, nil
}

// hasNote reports whether r records a note for which match is true.
func (r *Request) hasNote(match func(Note) bool) bool {
	for _, n := range r.Notes {
		if match(n) {
			return true
		}
	}
	return false
}
