package playground

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
)

// SignedFileSHA1 is the SHA-1 of a Microsoft-signed file in the simulated
// tenant: stopping and quarantining it fails, as MDE refuses to quarantine
// files signed by Microsoft or a trusted publisher.
const SignedFileSHA1 = "3f786850e387550fdab836ed7e6dc881de23001b"

// signedFileError is the failure MDE reports for SignedFileSHA1.
const signedFileError = "Stop and quarantine file failed: the file is signed by Microsoft and cannot be quarantined."

// The simulated tenant's timings: every action stays Pending for
// pendingFor; on a healthy machine it then runs for minRun to minRun+runSpread
// (depending on the machine) and succeeds. On the offline machine actions
// stay Pending for offlineTimeout, then time out.
const (
	pendingFor     = 4 * time.Second
	minRun         = 10 * time.Second
	runSpread      = 20 * time.Second
	offlineTimeout = 50 * time.Second
)

// tenantOptions configures the simulated tenant: DefaultMachines with
// per-machine run times (or every action taking actionTime, when set), the
// playground's clock, and no rate limits (a person clicking around never
// hits them, but a 1s poll of many actions might).
func tenantOptions(now func() time.Time, actionTime time.Duration) []defendertest.Option {
	ms := tenantMachines()
	if actionTime > 0 {
		for i := range ms {
			ms[i].Outcome.Delay = actionTime
		}
		return []defendertest.Option{
			defendertest.WithMachines(ms...),
			defendertest.WithProgress(actionTime/3, actionTime-actionTime/3),
			defendertest.WithClock(now),
			defendertest.WithRateLimits(0, 0),
			defendertest.WithPackageURI(packageURI),
		}
	}
	for i := range ms {
		o := &ms[i].Outcome
		if o.Status == "TimeOut" {
			o.Delay = offlineTimeout
			continue
		}
		if o.Delay == 0 {
			o.Delay = pendingFor + runTime(ms[i].ComputerDNSName)
		}
	}
	return []defendertest.Option{
		defendertest.WithMachines(ms...),
		defendertest.WithProgress(pendingFor, minRun+runSpread/2),
		defendertest.WithClock(now),
		defendertest.WithRateLimits(0, 0),
		defendertest.WithPackageURI(packageURI),
	}
}

// The device groups and tags the playground's policy rules match.
const (
	// Tier0Group is the MDE device group of the domain controller
	// (srv-dc01): isolating it needs two IR leads.
	Tier0Group = "Tier0-Servers"
	// VIPTag is on ws-0012, the CFO's laptop (and no other machine):
	// isolating it needs Sam.
	VIPTag = "VIP"
	// KioskTag is on kiosk-lobby-01: scanning or isolating it needs nobody.
	KioskTag = "Kiosk"
)

// tenantMachines is DefaultMachines with the domain controller in
// Tier0Group, ws-0012 the only machine tagged VIPTag, and a lobby kiosk
// tagged KioskTag, so that every kind of policy rule can be tried (and
// ws-0042, the walkthrough's machine, needs one approval as before).
func tenantMachines() []defendertest.Machine {
	ms := defendertest.DefaultMachines()
	for i := range ms {
		m := &ms[i]
		m.MachineTags = slices.DeleteFunc(slices.Clone(m.MachineTags), func(t string) bool { return strings.EqualFold(t, VIPTag) })
		switch m.ComputerDNSName {
		case "srv-dc01.contoso.local":
			m.RbacGroupName, m.RbacGroupID = Tier0Group, 151
		case "ws-0012.contoso.local":
			m.MachineTags = append(m.MachineTags, VIPTag)
		}
	}
	return append(ms, defendertest.Machine{ComputerDNSName: "kiosk-lobby-01.contoso.local", OSPlatform: "Windows10",
		Version: "22H2", OSBuild: 19045, HealthStatus: "Active", RiskScore: "Low", ExposureLevel: "Low",
		LastIPAddress: "10.20.40.11", LastExternalIPAddress: "203.0.113.7", RbacGroupName: "Kiosks", RbacGroupID: 160,
		MachineTags: []string{KioskTag}})
}

// runTime is how long actions on the machine named name stay InProgress:
// a stable value between minRun and minRun+runSpread.
func runTime(name string) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(name))
	return minRun + time.Duration(h.Sum32()%uint32(runSpread/time.Second))*time.Second
}
