package defender_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

// TestCheckPlatformPredictsWhatMDERefuses asks the fake for every action
// on machines of every platform and checks that CheckPlatform, which the
// bot uses to warn before approval, predicted each refusal and each
// acceptance.
func TestCheckPlatformPredictsWhatMDERefuses(t *testing.T) {
	machines := append(defendertest.DefaultMachines(),
		defendertest.Machine{ComputerDNSName: "mac-old.contoso.local", OSPlatform: "macOS", Version: "13.6", AgentVersion: "101.98.30"},
		defendertest.Machine{ComputerDNSName: "mac-new.contoso.local", OSPlatform: "macOS", Version: "14.5", AgentVersion: "101.98.84"},
		defendertest.Machine{ComputerDNSName: "byod.contoso.local", OSPlatform: "Windows11", OnboardingStatus: "CanBeOnboarded"},
		defendertest.Machine{ComputerDNSName: "ws-1703.contoso.local", OSPlatform: "Windows10", Version: "1703"},
	)
	type attempt struct {
		name string
		typ  defender.ActionType
		iso  defender.IsolationType
		send func(ctx context.Context, c *defender.Client, id defender.MachineID) (defender.Submission, error)
	}
	var attempts []attempt
	for _, iso := range []defender.IsolationType{defender.IsolationFull, defender.IsolationSelective, defender.IsolationUnmanaged} {
		attempts = append(attempts, attempt{"isolate " + string(iso), defender.ActionIsolate, iso,
			func(ctx context.Context, c *defender.Client, id defender.MachineID) (defender.Submission, error) {
				return c.Actions.Isolate(ctx, id, iso, "mdebot R-1: x")
			}})
	}
	for _, a := range everyAction[1:] {
		attempts = append(attempts, attempt{a.typ, defender.ActionType(a.typ), "",
			func(ctx context.Context, c *defender.Client, id defender.MachineID) (defender.Submission, error) {
				return a.send(ctx, c, id, "mdebot R-1: x")
			}})
	}
	srv, c := setup(t, defendertest.WithMachines(machines...), defendertest.WithRateLimits(0, 0))
	ctx := context.Background()
	for _, fm := range srv.Machines() {
		m, err := c.Machines.Get(ctx, defender.MachineID(fm.ID))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range attempts {
			predicted := defender.CheckPlatform(m, a.typ, a.iso)
			sub, err := a.send(ctx, c, m.ID)
			refused := errors.Is(err, defender.ErrBadRequest)
			if err != nil && !refused {
				t.Fatalf("%s on %s: %v", a.name, m.ComputerDNSName, err)
			}
			if refused != (predicted != nil) {
				t.Errorf("%s on %s (%s %s, agent %s, %s): MDE says %v, CheckPlatform says %v",
					a.name, m.ComputerDNSName, m.OSPlatform, m.Version, m.AgentVersion, m.OnboardingStatus, err, predicted)
			}
			if predicted != nil && !errors.Is(predicted, defender.ErrOSNotSupported) {
				t.Errorf("%v does not match ErrOSNotSupported", predicted)
			}
			if err == nil {
				// Let the next attempt of this type through.
				if err := srv.SetStatus(sub.Action.ID, "Cancelled"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestAPlatformRefusalNamesWhatTheActionNeeds(t *testing.T) {
	err := defender.CheckPlatform(defender.Machine{OSPlatform: "Linux", Version: "22.04", OnboardingStatus: "Onboarded"}, defender.ActionRestrictCodeExecution, "")
	var pe *defender.PlatformError
	if !errors.As(err, &pe) || pe.Code != defender.CodeOSPlatformNotSupported || pe.Need != "Windows 10 1709 or later, Windows 11 or Windows Server 2019 or later" {
		t.Fatalf("err = %#v", err)
	}
	if got, want := err.Error(), "defender: RestrictCodeExecution needs Windows 10 1709 or later, Windows 11 or Windows Server 2019 or later; the machine runs Linux 22.04"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if err := defender.CheckPlatform(defender.Machine{OSPlatform: "iOS"}, defender.ActionIsolate, defender.IsolationFull); err != nil {
		t.Errorf("a platform the pages do not mention is left to MDE, got %v", err)
	}
}
