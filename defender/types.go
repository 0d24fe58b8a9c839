package defender

import "github.com/mdebot/mdebot/mde"

// The plain value types of MDE's API live in package mde, which the domain
// and the renderers import without this client. They are aliases here, so
// a caller of the client needs one import and the two names are one type.
type (
	ActionType    = mde.ActionType    // the "type" of a MachineAction
	ActionStatus  = mde.ActionStatus  // the "status" of a MachineAction
	IsolationType = mde.IsolationType // Isolate's IsolationType
	ScanType      = mde.ScanType      // RunAntiVirusScan's ScanType
	MachineID     = mde.MachineID     // a 40-hex machine id
	HashType      = mde.HashType      // Sha1 or Sha256
)

// The MachineAction types MDE documents (see package mde).
const (
	ActionIsolate                     = mde.ActionIsolate
	ActionUnisolate                   = mde.ActionUnisolate
	ActionRestrictCodeExecution       = mde.ActionRestrictCodeExecution
	ActionUnrestrictCodeExecution     = mde.ActionUnrestrictCodeExecution
	ActionRunAntiVirusScan            = mde.ActionRunAntiVirusScan
	ActionCollectInvestigationPackage = mde.ActionCollectInvestigationPackage
	ActionStopAndQuarantineFile       = mde.ActionStopAndQuarantineFile
	ActionOffboard                    = mde.ActionOffboard
	ActionLiveResponse                = mde.ActionLiveResponse
)

// The MachineAction statuses MDE documents (see package mde).
const (
	StatusPending    = mde.StatusPending
	StatusInProgress = mde.StatusInProgress
	StatusSucceeded  = mde.StatusSucceeded
	StatusFailed     = mde.StatusFailed
	StatusTimeOut    = mde.StatusTimeOut
	StatusCancelled  = mde.StatusCancelled
)

// The isolation, scan and hash types MDE accepts (see package mde).
const (
	IsolationFull      = mde.IsolationFull
	IsolationSelective = mde.IsolationSelective
	IsolationUnmanaged = mde.IsolationUnmanaged
	ScanQuick          = mde.ScanQuick
	ScanFull           = mde.ScanFull
	HashSHA1           = mde.HashSHA1
	HashSHA256         = mde.HashSHA256
)

// ParseMachineID validates s as a machine id, lowercasing it (see
// mde.ParseMachineID).
func ParseMachineID(s string) (MachineID, error) { return mde.ParseMachineID(s) }

// ParseFileHash validates s as a SHA-1 or SHA-256 file hash and returns it
// lowercased with its type (see mde.ParseFileHash).
func ParseFileHash(s string) (string, HashType, error) { return mde.ParseFileHash(s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
