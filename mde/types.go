package mde

import (
	"fmt"
	"strings"
)

// ActionType is the kind of a MachineAction, as MDE spells it in the
// "type" field. Unknown values decode without error and are kept verbatim.
type ActionType string

// The MachineAction types MDE documents.
const (
	ActionIsolate                     ActionType = "Isolate"
	ActionUnisolate                   ActionType = "Unisolate"
	ActionRestrictCodeExecution       ActionType = "RestrictCodeExecution"
	ActionUnrestrictCodeExecution     ActionType = "UnrestrictCodeExecution"
	ActionRunAntiVirusScan            ActionType = "RunAntiVirusScan"
	ActionCollectInvestigationPackage ActionType = "CollectInvestigationPackage"
	ActionStopAndQuarantineFile       ActionType = "StopAndQuarantineFile"
	ActionOffboard                    ActionType = "Offboard"
	ActionLiveResponse                ActionType = "LiveResponse"
)

// ActionStatus is the lifecycle state of a MachineAction. Unknown values
// decode without error and are kept verbatim.
type ActionStatus string

// The MachineAction statuses MDE documents. Note the double L in Cancelled.
const (
	StatusPending    ActionStatus = "Pending"
	StatusInProgress ActionStatus = "InProgress"
	StatusSucceeded  ActionStatus = "Succeeded"
	StatusFailed     ActionStatus = "Failed"
	StatusTimeOut    ActionStatus = "TimeOut"
	StatusCancelled  ActionStatus = "Cancelled"
)

// Terminal reports whether s is a final status (Succeeded, Failed, TimeOut,
// Cancelled). Unknown statuses are not terminal, so a tracker keeps polling.
func (s ActionStatus) Terminal() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusTimeOut, StatusCancelled:
		return true
	}
	return false
}

// IsolationType selects how completely a machine is cut off by Isolate.
type IsolationType string

// The isolation types MDE accepts in the IsolationType body field.
const (
	IsolationFull      IsolationType = "Full"
	IsolationSelective IsolationType = "Selective"
	IsolationUnmanaged IsolationType = "UnManagedDevice"
)

// Valid reports whether t is one of the isolation types MDE accepts.
func (t IsolationType) Valid() bool {
	switch t {
	case IsolationFull, IsolationSelective, IsolationUnmanaged:
		return true
	}
	return false
}

// ScanType selects the depth of an antivirus scan.
type ScanType string

// The scan types MDE accepts in the ScanType body field.
const (
	ScanQuick ScanType = "Quick"
	ScanFull  ScanType = "Full"
)

// Valid reports whether t is one of the scan types MDE accepts.
func (t ScanType) Valid() bool { return t == ScanQuick || t == ScanFull }

// MachineID is an MDE machine id: lowercase hexadecimal, "generally" 40
// characters.
type MachineID string

// Bounds of a machine id's length. Microsoft's machine-resource page calls
// the id 40 characters, but its own collect-investigation-package example
// ("Collect investigation package API") uses a 32-character id, so both
// and anything between are accepted; our reference's §7.1 calls the
// 32-character one a doc error, and Microsoft's page wins.
const (
	minMachineIDLen = 32
	maxMachineIDLen = 40
)

// ParseMachineID validates s as a machine id (32 to 40 hexadecimal
// characters), lowercasing it.
func ParseMachineID(s string) (MachineID, error) {
	s = strings.ToLower(s)
	if len(s) < minMachineIDLen || len(s) > maxMachineIDLen || !isHex(s) {
		return "", fmt.Errorf("mde: %q is not a machine id (32 to 40 hexadecimal characters)", truncate(s, 64))
	}
	return MachineID(s), nil
}

// HashType names the kind of a file hash.
type HashType string

// The file hash kinds mdebot works with.
const (
	HashSHA1   HashType = "Sha1"
	HashSHA256 HashType = "Sha256"
)

// ParseFileHash validates s as a SHA-1 (40 hex) or SHA-256 (64 hex) file
// hash and returns it lowercased with its type.
func ParseFileHash(s string) (string, HashType, error) {
	s = strings.ToLower(s)
	if !isHex(s) {
		return "", "", fmt.Errorf("mde: %q is not a hexadecimal file hash", truncate(s, 80))
	}
	switch len(s) {
	case 40:
		return s, HashSHA1, nil
	case 64:
		return s, HashSHA256, nil
	}
	return "", "", fmt.Errorf("mde: a file hash has 40 (SHA-1) or 64 (SHA-256) hexadecimal characters, not %d", len(s))
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IsActionID reports whether s has the form of a machine action id: a
// GUID, 8-4-4-4-12 hexadecimal digits.
func IsActionID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
