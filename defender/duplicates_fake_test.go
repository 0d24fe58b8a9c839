package defender_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

// submitter sends one kind of action request with a comment.
type submitter struct {
	typ  string
	send func(ctx context.Context, c *defender.Client, id defender.MachineID, comment string) (defender.Submission, error)
}

var everyAction = []submitter{
	{"Isolate", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.Isolate(ctx, id, defender.IsolationFull, s)
	}},
	{"Unisolate", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.Unisolate(ctx, id, s)
	}},
	{"RestrictCodeExecution", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.RestrictCodeExecution(ctx, id, s)
	}},
	{"UnrestrictCodeExecution", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.UnrestrictCodeExecution(ctx, id, s)
	}},
	{"RunAntiVirusScan", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.RunAntivirusScan(ctx, id, defender.ScanQuick, s)
	}},
	{"CollectInvestigationPackage", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.CollectInvestigationPackage(ctx, id, s)
	}},
	{"StopAndQuarantineFile", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.StopAndQuarantineFile(ctx, id, sha1Hash, s)
	}},
	{"Offboard", func(ctx context.Context, c *defender.Client, id defender.MachineID, s string) (defender.Submission, error) {
		return c.Actions.Offboard(ctx, id, s)
	}},
}

var duplicateModes = []struct {
	name string
	m    defendertest.DuplicateMode
}{
	{"400 ActiveRequestAlreadyExists", defendertest.RejectDuplicates},
	{"400 with the message only", defendertest.RejectInProgressMessage},
	{"bare 400", defendertest.RejectBare},
	{"the pending action returned", defendertest.ReturnPending},
}

func TestEveryDuplicateAnswerAdoptsThePendingActionOfEveryType(t *testing.T) {
	for _, act := range everyAction {
		for _, mode := range duplicateModes {
			t.Run(act.typ+"/"+mode.name, func(t *testing.T) {
				srv, c := setup(t, defendertest.WithDuplicateModeFor(act.typ, mode.m))
				ctx := context.Background()
				first, err := act.send(ctx, c, ws42, "mdebot R-1: first")
				if err != nil || first.Existing {
					t.Fatalf("first = %+v, %v", first, err)
				}
				second, err := act.send(ctx, c, ws42, "mdebot R-2: second")
				if err != nil {
					t.Fatalf("second: %v", err)
				}
				if !second.Existing || second.Action.ID != first.Action.ID {
					t.Errorf("second = %+v, want the pending action %s marked Existing", second, first.Action.ID)
				}
				if n := len(srv.Actions()); n != 1 {
					t.Errorf("%d actions exist, want 1", n)
				}
			})
		}
	}
}

func TestABare400WithNoPendingActionIsARefusalWithMDEsAnswer(t *testing.T) {
	srv, c := setup(t)
	srv.FailNext("actions.collectInvestigationPackage", 1, http.StatusBadRequest, "", nil)
	_, err := c.Actions.CollectInvestigationPackage(context.Background(), ws42, "mdebot R-1: collect")
	var e *defender.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || errors.Is(err, defender.ErrActionInProgress) {
		t.Fatalf("err = %v, want the bare 400", err)
	}
	if n := srv.CallCount("machineactions.list"); n != 1 {
		t.Errorf("%d lookups of a pending action, want 1", n)
	}
}

func TestA400IsNeverTakenForAFinishedOrOtherAction(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	// A finished scan, a pending scan on another machine and a pending
	// isolate on this one: none of them is what a refused scan duplicates.
	done, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "mdebot R-1: scan")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetStatus(done.Action.ID, "Succeeded"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Actions.RunAntivirusScan(ctx, machineID("ws-0003.contoso.local"), defender.ScanQuick, "mdebot R-2: scan"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "mdebot R-3: isolate"); err != nil {
		t.Fatal(err)
	}
	srv.FailNext("actions.runAntiVirusScan", 1, http.StatusBadRequest, `{"error":{"code":"BadRequest","message":"Action is already in progress","target":"x"}}`, nil)
	sub, err := c.Actions.RunAntivirusScan(ctx, ws42, defender.ScanQuick, "mdebot R-4: scan")
	if err == nil || !errors.Is(err, defender.ErrActionInProgress) {
		t.Errorf("sub = %+v, err = %v; want the refusal", sub, err)
	}
}

func TestAnOSRefusalIsNotLookedUpAsADuplicate(t *testing.T) {
	srv, c := setup(t)
	_, err := c.Actions.RestrictCodeExecution(context.Background(), machineID("lnx-web01.contoso.local"), "mdebot R-1: restrict")
	if !errors.Is(err, defender.ErrOSNotSupported) {
		t.Fatalf("err = %v, want ErrOSNotSupported", err)
	}
	if n := srv.CallCount("machineactions.list"); n != 0 {
		t.Errorf("%d lookups after an OS refusal, want none", n)
	}
}

func TestASecondIsolateOfAnIsolatedMachineIsAnsweredAsADuplicate(t *testing.T) {
	t.Run("400: a refusal, nothing pending to adopt", func(t *testing.T) {
		srv, c := setup(t)
		ctx := context.Background()
		first, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "mdebot R-1: isolate")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.SetStatus(first.Action.ID, "Succeeded"); err != nil {
			t.Fatal(err)
		}
		_, err = c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "mdebot R-2: isolate")
		if !errors.Is(err, defender.ErrBadRequest) {
			t.Errorf("err = %v, want MDE's 400", err)
		}
		rel, err := c.Actions.Unisolate(ctx, ws42, "mdebot R-3: release")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.SetStatus(rel.Action.ID, "Succeeded"); err != nil {
			t.Fatal(err)
		}
		if again, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "mdebot R-4: isolate"); err != nil || again.Existing {
			t.Errorf("isolate after a release = %+v, %v; want a new action", again, err)
		}
	})
	t.Run("the live isolate returned", func(t *testing.T) {
		srv, c := setup(t, defendertest.WithDuplicateModeFor("Isolate", defendertest.ReturnPending))
		ctx := context.Background()
		first, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "mdebot R-1: isolate")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.SetStatus(first.Action.ID, "Succeeded"); err != nil {
			t.Fatal(err)
		}
		second, err := c.Actions.Isolate(ctx, ws42, defender.IsolationFull, "mdebot R-2: isolate")
		if err != nil || !second.Existing || second.Action.ID != first.Action.ID || second.Action.Status != defender.StatusSucceeded {
			t.Errorf("second = %+v, %v; want the isolate that isolated it, Existing", second, err)
		}
	})
}
