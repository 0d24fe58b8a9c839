package defender

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mdebot/mdebot/mde"
)

// Submission is the outcome of an action request. Existing is false when
// MDE created Action for this call, and true when an action of the same
// type was already pending or running on the machine and MDE kept that one
// instead (whether MDE answered with the pending action or with 400
// ActiveRequestAlreadyExists): the caller should track Action either way.
type Submission struct {
	Action   MachineAction
	Existing bool
}

// clockSkew is how far MDE's clock may be behind ours before an action
// "created before the call" is taken for an older, pending one.
const clockSkew = 5 * time.Second

// maxComment bounds the Comment of an action request.
const maxComment = 4000

// Isolate cuts the machine off the network (Full), keeps Outlook, Teams and
// Skype working (Selective), or contains an unmanaged device.
//
// MDE: POST /api/machines/{id}/isolate {"Comment","IsolationType"}.
func (s *ActionsService) Isolate(ctx context.Context, id MachineID, t IsolationType, comment string) (Submission, error) {
	if !t.Valid() {
		return Submission{}, fmt.Errorf("defender: isolation type %q is not Full, Selective or UnManagedDevice", truncate(string(t), 32))
	}
	return s.submit(ctx, id, ActionIsolate, "isolate", map[string]string{"Comment": comment, "IsolationType": string(t)}, comment, "")
}

// Unisolate releases the machine from isolation.
//
// MDE: POST /api/machines/{id}/unisolate {"Comment"}.
func (s *ActionsService) Unisolate(ctx context.Context, id MachineID, comment string) (Submission, error) {
	return s.submit(ctx, id, ActionUnisolate, "unisolate", map[string]string{"Comment": comment}, comment, "")
}

// RestrictCodeExecution lets only Microsoft-signed code run on the machine.
//
// MDE: POST /api/machines/{id}/restrictCodeExecution {"Comment"}.
func (s *ActionsService) RestrictCodeExecution(ctx context.Context, id MachineID, comment string) (Submission, error) {
	return s.submit(ctx, id, ActionRestrictCodeExecution, "restrictCodeExecution", map[string]string{"Comment": comment}, comment, "")
}

// UnrestrictCodeExecution lifts a code-execution restriction.
//
// MDE: POST /api/machines/{id}/unrestrictCodeExecution {"Comment"}.
func (s *ActionsService) UnrestrictCodeExecution(ctx context.Context, id MachineID, comment string) (Submission, error) {
	return s.submit(ctx, id, ActionUnrestrictCodeExecution, "unrestrictCodeExecution", map[string]string{"Comment": comment}, comment, "")
}

// RunAntivirusScan starts a Quick or Full Microsoft Defender Antivirus scan.
//
// MDE: POST /api/machines/{id}/runAntiVirusScan {"Comment","ScanType"}.
func (s *ActionsService) RunAntivirusScan(ctx context.Context, id MachineID, t ScanType, comment string) (Submission, error) {
	if !t.Valid() {
		return Submission{}, fmt.Errorf("defender: scan type %q is not Quick or Full", truncate(string(t), 32))
	}
	return s.submit(ctx, id, ActionRunAntiVirusScan, "runAntiVirusScan", map[string]string{"Comment": comment, "ScanType": string(t)}, comment, "")
}

// CollectInvestigationPackage collects a forensic package; fetch it with
// [ActionsService.PackageURI] once the action succeeded.
//
// MDE: POST /api/machines/{id}/collectInvestigationPackage {"Comment"}.
func (s *ActionsService) CollectInvestigationPackage(ctx context.Context, id MachineID, comment string) (Submission, error) {
	return s.submit(ctx, id, ActionCollectInvestigationPackage, "collectInvestigationPackage", map[string]string{"Comment": comment}, comment, "")
}

// StopAndQuarantineFile stops the processes of the file with this SHA-1 and
// quarantines it (MDE accepts only SHA-1 here).
//
// MDE: POST /api/machines/{id}/StopAndQuarantineFile {"Comment","Sha1"}.
func (s *ActionsService) StopAndQuarantineFile(ctx context.Context, id MachineID, sha1, comment string) (Submission, error) {
	h, kind, err := ParseFileHash(sha1)
	if err != nil {
		return Submission{}, err
	}
	if kind != HashSHA1 {
		return Submission{}, errors.New("defender: StopAndQuarantineFile takes a SHA-1 hash, not a SHA-256")
	}
	return s.submit(ctx, id, ActionStopAndQuarantineFile, "StopAndQuarantineFile", map[string]string{"Comment": comment, "Sha1": h}, comment, h)
}

// Offboard offboards the machine from MDE (MDE answers 200 or 201).
//
// MDE: POST /api/machines/{id}/offboard {"Comment"}.
func (s *ActionsService) Offboard(ctx context.Context, id MachineID, comment string) (Submission, error) {
	return s.submit(ctx, id, ActionOffboard, "offboard", map[string]string{"Comment": comment}, comment, "")
}

// Cancel cancels a pending machine action and returns it as MDE reports it
// afterwards (status Cancelled).
//
// MDE: POST /api/machineactions/{id}/cancel {"Comment"}.
func (s *ActionsService) Cancel(ctx context.Context, actionID, comment string) (MachineAction, error) {
	if !mde.IsActionID(actionID) {
		return MachineAction{}, fmt.Errorf("defender: %q is not a machine action id (a GUID)", truncate(actionID, 64))
	}
	if err := checkComment(comment); err != nil {
		return MachineAction{}, err
	}
	var a MachineAction
	_, err := s.c.do(ctx, request{
		family: FamilyCancel, method: http.MethodPost, retryUnsafe: true,
		path: "/api/machineactions/" + strings.ToLower(actionID) + "/cancel",
		body: map[string]string{"Comment": comment},
	}, &a)
	return a, err
}

func checkComment(c string) error {
	switch {
	case strings.TrimSpace(c) == "":
		return errors.New("defender: an action needs a comment")
	case len(c) > maxComment:
		return fmt.Errorf("defender: a comment of %d bytes is too long (max %d)", len(c), maxComment)
	case !utf8.ValidString(c):
		return errors.New("defender: the comment is not valid UTF-8")
	}
	return nil
}

// submit POSTs an action and turns MDE's replies into one Submission:
//   - 2xx: the returned action; Existing when it is not ours (another
//     comment, or created before this call).
//   - any 400 but an unsupported OS or agent (MDE answers a duplicate in
//     several ways): the Pending or InProgress action of that type (and
//     file) on the machine, Existing; the *Error with MDE's message if
//     there is none.
//   - transport error, timeout, 5xx or an unreadable 2xx: the request may
//     have reached MDE and is never re-sent; an action of that type on the machine with our
//     exact comment is looked up and returned; if none, ErrOutcomeUnknown.
//   - anything else: the *Error.
func (s *ActionsService) submit(ctx context.Context, id MachineID, typ ActionType, segment string, body map[string]string, comment, sha1 string) (Submission, error) {
	id, err := ParseMachineID(string(id))
	if err != nil {
		return Submission{}, err
	}
	if err := checkComment(comment); err != nil {
		return Submission{}, err
	}
	start := s.c.clock.Now()
	var a MachineAction
	status, err := s.c.do(ctx, request{
		family: ActionFamily(typ), method: http.MethodPost, retryUnsafe: true,
		path: "/api/machines/" + string(id) + "/" + segment, body: body,
	}, &a)
	switch {
	case err == nil:
		existing := a.RequestorComment != comment ||
			!a.CreationDateTimeUTC.IsZero() && a.CreationDateTimeUTC.Before(start.Add(-clockSkew))
		return Submission{Action: a, Existing: existing}, nil

	case maybeDuplicate(err):
		// MDE answers a duplicate in several ways: ActiveRequestAlreadyExists,
		// "Action is already in progress" under another code (scan, release,
		// restrict, unrestrict pages), a bare 400 (collect page), nothing
		// documented for isolate. Any 400 may be one: adopt the action of
		// this type on this machine that is still Pending or InProgress,
		// and only that one.
		pending, found, lerr := s.findAction(ctx, ActionFilter{
			MachineID: id, Types: []ActionType{typ}, Statuses: []ActionStatus{StatusPending, StatusInProgress},
		}, "", sha1)
		if lerr != nil {
			return Submission{}, fmt.Errorf("%w (looking up a pending action it may duplicate failed: %w)", err, lerr)
		}
		if !found {
			return Submission{}, err
		}
		return Submission{Action: pending, Existing: true}, nil

	case ambiguous(err) || 200 <= status && status <= 299:
		// A 2xx whose body could not be decoded created an action too.
		if ctx.Err() != nil {
			return Submission{}, fmt.Errorf("defender: %s on machine %s: %w: %w", typ, id, ErrOutcomeUnknown, err)
		}
		mine, found, lerr := s.findAction(ctx, ActionFilter{
			MachineID: id, Types: []ActionType{typ}, CreatedAfter: start.Add(-time.Hour),
		}, comment, sha1)
		if found {
			return Submission{Action: mine, Existing: false}, nil
		}
		if lerr != nil {
			return Submission{}, fmt.Errorf("defender: %s on machine %s: %w: %w (and looking it up failed: %w)", typ, id, ErrOutcomeUnknown, err, lerr)
		}
		return Submission{}, fmt.Errorf("defender: %s on machine %s: %w (no matching action found): %w", typ, id, ErrOutcomeUnknown, err)
	}
	return Submission{}, err
}

// maybeDuplicate reports whether a failed action POST may have been
// refused as a duplicate: any 400 except those whose code names another
// cause (the OS or the agent version).
func maybeDuplicate(err error) bool {
	return errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrOSNotSupported)
}

// ambiguous reports whether a failed action POST may have reached MDE.
func ambiguous(err error) bool {
	var se *sendError
	if errors.As(err, &se) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.StatusCode >= 500
}

// findAction returns the most recently created action f selects whose
// comment is comment (if non-empty) and whose file is sha1 (if non-empty).
func (s *ActionsService) findAction(ctx context.Context, f ActionFilter, comment, sha1 string) (MachineAction, bool, error) {
	list, err := s.List(ctx, f, ListOptions{PageSize: 1000})
	var best MachineAction
	found := false
	for _, a := range list {
		if comment != "" && a.RequestorComment != comment {
			continue
		}
		if sha1 != "" && a.RelatedFileInfo != nil && a.RelatedFileInfo.FileIdentifier != "" &&
			!strings.EqualFold(a.RelatedFileInfo.FileIdentifier, sha1) {
			continue
		}
		if !found || a.CreationDateTimeUTC.After(best.CreationDateTimeUTC) {
			best, found = a, true
		}
	}
	return best, found, err
}
