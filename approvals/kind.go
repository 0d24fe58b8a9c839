package approvals

import (
	"fmt"
	"strings"

	"github.com/mdebot/mdebot/mde"
)

// Kind is the kind of response action a request asks for. Its values are
// the exact names below; user-facing aliases (such as "release" for
// unisolate) belong to the bot.
type Kind string

// The response action kinds mdebot knows.
const (
	KindScan       Kind = "scan"       // antivirus scan of a machine
	KindCollect    Kind = "collect"    // collect an investigation package
	KindIsolate    Kind = "isolate"    // isolate a machine from the network
	KindUnisolate  Kind = "unisolate"  // release a machine from isolation
	KindRestrict   Kind = "restrict"   // restrict app execution on a machine
	KindUnrestrict Kind = "unrestrict" // remove the app execution restriction
	KindQuarantine Kind = "quarantine" // stop and quarantine a file on a machine
	KindBlock      Kind = "block"      // block a file hash tenant-wide (indicator)
	KindUnblock    Kind = "unblock"    // remove a file hash block indicator
	KindOffboard   Kind = "offboard"   // offboard a machine from MDE
)

// Kinds returns every kind, in a stable order.
func Kinds() []Kind {
	return []Kind{KindScan, KindCollect, KindIsolate, KindUnisolate, KindRestrict,
		KindUnrestrict, KindQuarantine, KindBlock, KindUnblock, KindOffboard}
}

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if k == x {
			return true
		}
	}
	return false
}

// ParseKind returns the kind named s (case-insensitive, exact names only).
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if !k.Valid() {
		return "", newError(CodeInvalid, "", fmt.Sprintf("unknown action kind %q", truncate(s, 40)))
	}
	return k, nil
}

// TargetsMachine reports whether k acts on one machine (every kind except
// block and unblock, which act on a file hash tenant-wide).
func (k Kind) TargetsMachine() bool { return k != KindBlock && k != KindUnblock }

// TargetsFile reports whether k needs a file hash (quarantine, block,
// unblock).
func (k Kind) TargetsFile() bool {
	return k == KindQuarantine || k == KindBlock || k == KindUnblock
}

// ActionType is the MDE machine action type that carries out k, or "" for
// block and unblock, which are indicators rather than machine actions.
func (k Kind) ActionType() mde.ActionType {
	switch k {
	case KindIsolate:
		return mde.ActionIsolate
	case KindUnisolate:
		return mde.ActionUnisolate
	case KindRestrict:
		return mde.ActionRestrictCodeExecution
	case KindUnrestrict:
		return mde.ActionUnrestrictCodeExecution
	case KindScan:
		return mde.ActionRunAntiVirusScan
	case KindCollect:
		return mde.ActionCollectInvestigationPackage
	case KindQuarantine:
		return mde.ActionStopAndQuarantineFile
	case KindOffboard:
		return mde.ActionOffboard
	}
	return ""
}

// Disruptive reports whether k cuts a machine or a file off (isolate,
// restrict, quarantine, block, offboard): approving it asks for
// confirmation first.
func (k Kind) Disruptive() bool {
	switch k {
	case KindIsolate, KindRestrict, KindQuarantine, KindBlock, KindOffboard:
		return true
	}
	return false
}

// family groups a kind with its opposite: a machine cannot be isolated and
// released at the same time, nor a hash blocked and unblocked.
func (k Kind) family() string {
	switch k {
	case KindIsolate, KindUnisolate:
		return "isolation"
	case KindRestrict, KindUnrestrict:
		return "restriction"
	case KindBlock, KindUnblock:
		return "indicator"
	}
	return string(k)
}

// DefaultApprovals returns the number of approvals k needs when the policy
// does not say: 0 for scan and collect, 2 for offboard, 1 for the rest.
func DefaultApprovals(k Kind) int {
	switch k {
	case KindScan, KindCollect:
		return 0
	case KindOffboard:
		return 2
	}
	return 1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
