package defender

import (
	"fmt"
	"strconv"
	"strings"
)

// PlatformError says that MDE will refuse an action for the machine's
// platform, OS version, agent version or management state. It matches
// ErrOSNotSupported.
type PlatformError struct {
	// Action is the action type refused.
	Action ActionType
	// Platform, Version and AgentVersion are the machine's, as MDE
	// reports them.
	Platform, Version, AgentVersion string
	// Need says what the action needs, in plain words, e.g. "Windows 10
	// 1709 or later, Windows 11 or Windows Server 2019 or later".
	Need string
	// Code is the error code MDE answers with: CodeOSPlatformNotSupported
	// or CodeClientVersionNotSupported.
	Code string
}

// Error formats the refusal.
func (e *PlatformError) Error() string {
	on := strings.TrimSpace(e.Platform + " " + e.Version)
	if on == "" {
		on = "an unknown platform"
	}
	return fmt.Sprintf("defender: %s needs %s; the machine runs %s", e.Action, e.Need, on)
}

// Is reports whether target is ErrOSNotSupported.
func (e *PlatformError) Is(target error) bool { return target == ErrOSNotSupported }

// The minimum versions Microsoft documents.
const (
	// macOSSelectiveAgent is the first Defender for Mac client with
	// selective isolation ("Take response actions on a device").
	macOSSelectiveAgent = "101.98.84"
	// macOSOffboardMajor is the first macOS the offboard page lists.
	macOSOffboardMajor = 14
)

// CheckPlatform predicts whether MDE will run an action of type t (with
// isolation type iso for an isolate) on m, from m's osPlatform, version,
// agentVersion and onboardingStatus, by the platform lists Microsoft's
// pages give today. It returns nil when the action is supported or the
// platform is one the lists do not mention (MDE then decides), and a
// *PlatformError otherwise.
//
// Where our reference (mde-api.md §4) and Microsoft's current pages
// disagree, the pages win:
//   - "Isolate machine API" and "Take response actions on a device":
//     full isolation on Windows 10 1703+, Windows 11, Windows Server,
//     Linux and macOS; selective on Windows 10 1709+, Windows 11 and
//     macOS from client 101.98.84 (the reference lists no macOS);
//     UnManagedDevice only for devices that are not onboarded.
//   - "Restrict app execution API": Windows 10 1709+, Windows 11,
//     Windows Server 2019+.
//   - Antivirus scan: Windows 10 1709+ and Windows 11 ("Run antivirus scan
//     API"), plus Windows Server, Linux and macOS ("Take response actions
//     on a device", which the API page and the reference do not yet
//     reflect).
//   - Collect investigation package: Windows 10 1703+ and Windows 11
//     ("Collect investigation package API"), plus Windows Server, Linux and
//     macOS ("Take response actions on a device").
//   - "Stop and quarantine file API": Windows 10 1703+, Windows 11,
//     Windows Server.
//   - "Offboard machine API": Windows 10 1703+, Windows 11, Windows
//     Server 2012 R2+ (unified agent), macOS 14+ and Linux (the reference
//     says not macOS or Linux).
func CheckPlatform(m Machine, t ActionType, iso IsolationType) error {
	p := platformOf(m.OSPlatform)
	refuse := func(code, need string) error {
		return &PlatformError{Action: t, Platform: m.OSPlatform, Version: m.Version, AgentVersion: m.AgentVersion, Need: need, Code: code}
	}
	if t == ActionIsolate && iso == IsolationUnmanaged {
		if m.Onboarded() {
			return refuse(CodeOSPlatformNotSupported, "a device that is not onboarded (UnManagedDevice contains unmanaged devices only)")
		}
		return nil
	}
	if t == ActionIsolate && !m.Onboarded() {
		return refuse(CodeOSPlatformNotSupported, "an onboarded device ("+string(iso)+" isolation; UnManagedDevice contains devices that are not onboarded)")
	}
	if p == platUnknown {
		return nil
	}
	winNeed := func(build, need string) error {
		if p == platWindows10 && !windowsAtLeast(m.Version, build) {
			return refuse(CodeClientVersionNotSupported, need)
		}
		return nil
	}
	switch t {
	case ActionIsolate, ActionUnisolate:
		if t == ActionIsolate && iso == IsolationSelective {
			const need = "Windows 10 1709 or later, Windows 11, Windows Server, or macOS with Defender client " + macOSSelectiveAgent + " or later"
			switch p {
			case platLinux:
				return refuse(CodeOSPlatformNotSupported, need)
			case platMacOS:
				if !dottedAtLeast(m.AgentVersion, macOSSelectiveAgent) {
					return refuse(CodeClientVersionNotSupported, need)
				}
				return nil
			}
			return winNeed("1709", need)
		}
		return winNeed("1703", "Windows 10 1703 or later, Windows 11, Windows Server, Linux or macOS")
	case ActionRestrictCodeExecution, ActionUnrestrictCodeExecution:
		const need = "Windows 10 1709 or later, Windows 11 or Windows Server 2019 or later"
		switch p {
		case platLinux, platMacOS:
			return refuse(CodeOSPlatformNotSupported, need)
		case platServer:
			if serverYear(m.OSPlatform) < 2019 {
				return refuse(CodeOSPlatformNotSupported, need)
			}
		}
		return winNeed("1709", need)
	case ActionRunAntiVirusScan:
		return winNeed("1709", "Windows 10 1709 or later, Windows 11, Windows Server, Linux or macOS")
	case ActionCollectInvestigationPackage:
		return winNeed("1703", "Windows 10 1703 or later, Windows 11, Windows Server, Linux or macOS")
	case ActionStopAndQuarantineFile:
		const need = "Windows 10 1703 or later, Windows 11 or Windows Server"
		if p == platLinux || p == platMacOS {
			return refuse(CodeOSPlatformNotSupported, need)
		}
		return winNeed("1703", need)
	case ActionOffboard:
		const need = "Windows 10 1703 or later, Windows 11, Windows Server 2012 R2 or later, macOS 14 or later, or Linux"
		if p == platMacOS {
			if major, _, _ := strings.Cut(m.Version, "."); atoi(major) < macOSOffboardMajor {
				return refuse(CodeClientVersionNotSupported, need)
			}
			return nil
		}
		return winNeed("1703", need)
	}
	return nil
}

// Onboarded reports whether MDE manages m (onboardingStatus Onboarded, or
// not reported).
func (m Machine) Onboarded() bool {
	return m.OnboardingStatus == "" || strings.EqualFold(m.OnboardingStatus, "Onboarded")
}

type platform int

const (
	platUnknown platform = iota
	platWindows10
	platWindows11
	platServer
	platLinux
	platMacOS
)

func platformOf(s string) platform {
	l := strings.ToLower(s)
	switch {
	case l == "windows10":
		return platWindows10
	case l == "windows11":
		return platWindows11
	case strings.HasPrefix(l, "windowsserver"):
		return platServer
	case l == "linux":
		return platLinux
	case l == "macos":
		return platMacOS
	}
	return platUnknown
}

// serverYear is the year of a WindowsServer<year>[R2] platform, 0 if none.
func serverYear(s string) int {
	rest := strings.TrimPrefix(strings.ToLower(s), "windowsserver")
	if len(rest) < 4 {
		return 0
	}
	return atoi(rest[:4])
}

// windowsAtLeast compares Windows 10 versions: "1607", "1709", or
// half-year names such as "20H2" (all later than 2004). An unknown
// version is given the benefit of the doubt.
func windowsAtLeast(v, need string) bool {
	v = strings.ToUpper(strings.TrimSpace(v))
	if len(v) == 4 && v[2] == 'H' {
		return true
	}
	if n := atoi(v); n > 0 {
		return n >= atoi(need)
	}
	return true
}

// dottedAtLeast compares dotted version numbers ("101.98.84"); an empty
// version is given the benefit of the doubt.
func dottedAtLeast(v, need string) bool {
	if strings.TrimSpace(v) == "" {
		return true
	}
	a, b := strings.Split(v, "."), strings.Split(need, ".")
	for i := range b {
		x := 0
		if i < len(a) {
			x = atoi(a[i])
		}
		if y := atoi(b[i]); x != y {
			return x > y
		}
	}
	return true
}

// atoi reads a non-negative decimal number, 0 if s is not one.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
