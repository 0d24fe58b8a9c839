package approvals_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
	"github.com/mdebot/mdebot/mde"
)

// The life of an isolate request: opened by one person, refused to its own
// requester, approved by another, submitted to MDE and followed to the end.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	svc, err := approvals.New(approvals.Options{
		Policy: approvals.Policy{Approvers: []string{"UALICE", "UBOB"}},
		Store:  &approvalstest.Store{}, // the bot uses *storage.DB
		Now:    func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := svc.Open(ctx, approvals.Draft{
		Kind:      approvals.KindIsolate,
		Params:    approvals.Params{Machine: "0123456789abcdef0123456789abcdef01234567", Isolation: mde.IsolationFull},
		Requester: "UBOB", Channel: "CSECOPS", Reason: "ransomware alert 42",
	})
	if err != nil {
		log.Fatal(err)
	}
	r := res.Request
	fmt.Println(r.State, "needs", r.Required, "approval until", r.Expires.Format(time.Kitchen))

	_, err = svc.Approve(ctx, r.ID, "UBOB", r.Fingerprint())
	fmt.Println("self-approval refused:", errors.Is(err, approvals.ErrSelfDecision))

	res, _ = svc.Approve(ctx, r.ID, "UALICE", r.Fingerprint())
	fmt.Println(res.Request.State, "executable:", res.Executable)

	// Exactly one caller saw Executable: it submits to MDE.
	svc.MarkSubmitted(ctx, r.ID, "b89eb834-4578-496c-8be0-03f004061435")
	svc.RecordStatus(ctx, r.ID, mde.StatusInProgress, "")
	res, _ = svc.RecordStatus(ctx, r.ID, mde.StatusSucceeded, "")
	fmt.Println(res.Request.State, res.Request.Approvals())
	// Output:
	// awaiting_approval needs 1 approval until 10:30AM
	// self-approval refused: true
	// approved executable: true
	// succeeded [UALICE]
}
