package approvals_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/approvals"
)

func TestMarkFailedRecordsTheNoteItOwesOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testPolicy())
	r := f.inState(t, approvals.KindIsolate, approvals.StateApproved)
	note := approvals.Note{Kind: approvals.NoteForeignAction, Action: approvals.ActionRef{ID: "act-theirs", Type: "Isolate", Status: "Pending", Requestor: "alice@contoso"}}
	res, err := f.svc.MarkFailed(ctx, r.ID, "Not sent: someone else's isolation", note)
	if err != nil {
		t.Fatal(err)
	}
	note.At = t0
	if diff := cmp.Diff([]approvals.Note{note}, res.Request.Notes); diff != "" || !res.Changed {
		t.Errorf("notes (-want +got):\n%s changed %v", diff, res.Changed)
	}
	if got := approvals.NewNotes(r, res.Request); len(got) != 1 || got[0].Action.Requestor != "alice@contoso" {
		t.Errorf("NewNotes = %+v, want the foreign action's note", got)
	}
	// Recovery repeating the change owes nothing again.
	again, err := f.svc.MarkFailed(ctx, r.ID, "Not sent: someone else's isolation", note)
	if err != nil || again.Changed || len(again.Request.Notes) != 1 {
		t.Errorf("repeat: changed %v, %d notes, err %v; want unchanged with one note", again.Changed, len(again.Request.Notes), err)
	}
}

func TestMarkFailedRefusesANoteThatDoesNotEndASubmission(t *testing.T) {
	f := newFixture(t, testPolicy())
	r := f.inState(t, approvals.KindIsolate, approvals.StateApproved)
	_, err := f.svc.MarkFailed(context.Background(), r.ID, "x", approvals.Note{Kind: approvals.NoteReminder})
	wantCode(t, err, approvals.CodeInvalid)
	if got, _ := f.svc.Get(context.Background(), r.ID); got.State != approvals.StateApproved {
		t.Errorf("request is %s after a refused MarkFailed, want approved", got.State)
	}
}

func TestAddNote(t *testing.T) {
	ctx := context.Background()
	sent := func(id string) approvals.Note {
		return approvals.Note{Kind: approvals.NoteCancelSent, Action: approvals.ActionRef{ID: id}}
	}
	tests := []struct {
		name        string
		from        approvals.State
		notes       []approvals.Note // added first
		add         approvals.Note
		wantCode    approvals.Code
		wantChanged bool
		wantNotes   int
	}{
		{name: "a reminder is recorded while the request awaits approval", from: approvals.StateAwaiting,
			add: approvals.Note{Kind: approvals.NoteReminder}, wantChanged: true, wantNotes: 1},
		{name: "a second reminder changes nothing", from: approvals.StateAwaiting, notes: []approvals.Note{{Kind: approvals.NoteReminder}},
			add: approvals.Note{Kind: approvals.NoteReminder}, wantNotes: 1},
		{name: "a request no longer awaiting approval is not reminded", from: approvals.StateApproved,
			add: approvals.Note{Kind: approvals.NoteReminder}, wantNotes: 0},
		{name: "an unknown outcome is recorded while approved, each time", from: approvals.StateApproved,
			notes: []approvals.Note{{Kind: approvals.NoteOutcomeUnknown, Text: "did not say"}},
			add:   approvals.Note{Kind: approvals.NoteOutcomeUnknown, Text: "did not say"}, wantChanged: true, wantNotes: 2},
		{name: "an unknown outcome of a request not being sent is refused", from: approvals.StateSubmitted,
			add: approvals.Note{Kind: approvals.NoteOutcomeUnknown}, wantCode: approvals.CodeIllegal},
		{name: "a found action's cancel is recorded once per action", from: approvals.StateSubmitted, notes: []approvals.Note{sent("act-1")},
			add: sent("act-1"), wantNotes: 1},
		{name: "another action's cancel is recorded", from: approvals.StateSubmitted, notes: []approvals.Note{sent("act-1")},
			add: sent("act-2"), wantChanged: true, wantNotes: 2},
		{name: "a note that ends a request is refused", from: approvals.StateApproved,
			add: approvals.Note{Kind: approvals.NoteDryRun}, wantCode: approvals.CodeInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			r := f.inState(t, approvals.KindIsolate, tc.from)
			for _, n := range tc.notes {
				if _, err := f.svc.AddNote(ctx, r.ID, n); err != nil {
					t.Fatal(err)
				}
			}
			events := len(f.store.Events())
			res, err := f.svc.AddNote(ctx, r.ID, tc.add)
			wantCode(t, err, tc.wantCode)
			if err != nil {
				return
			}
			if res.Changed != tc.wantChanged || len(res.Request.Notes) != tc.wantNotes {
				t.Errorf("changed %v with %d notes, want %v with %d", res.Changed, len(res.Request.Notes), tc.wantChanged, tc.wantNotes)
			}
			if tc.wantChanged && res.Request.Notes[len(res.Request.Notes)-1].At != t0 {
				t.Errorf("the note is dated %s, want now (%s)", res.Request.Notes[len(res.Request.Notes)-1].At, t0)
			}
			if n := len(f.store.Events()); n != events {
				t.Errorf("%d audit events written for a note, want none (it records what was told, not a decision)", n-events)
			}
		})
	}
}
