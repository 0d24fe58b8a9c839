package approvals

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mdebot/mdebot/mde"
)

// MaxReasonLen is the longest reason (in characters) a request or denial
// may carry.
const MaxReasonLen = 1000

// Draft is what a requester asks for.
//
// Params by kind: every kind but block and unblock needs Params.Machine
// (MachineName is shown to approvers); isolate needs Params.Isolation; scan
// needs Params.Scan; quarantine, block and unblock need Params.FileHash
// (HashType is derived from it). Fields a kind does not use must be empty.
type Draft struct {
	Kind      Kind
	Params    Params
	Requester string // Slack user id
	Channel   string // Slack channel id the request came from
	Reason    string // shown to approvers and sent to MDE as the comment
	// Facts are the machine's properties that policy rules match (zero
	// for block and unblock, which act tenant-wide).
	Facts MachineFacts
	// BreakGlass asks to run the action at once, without a second person
	// (see Policy.BreakGlass); an approver reviews it afterwards.
	BreakGlass bool
	// Key, when set, makes Open idempotent: every Open of a draft with the
	// same Key opens one request (its id is derived from the key), and a
	// repeat returns that request unchanged. The adapter passes what
	// identifies the person's command (Slack's trigger_id), so a command
	// delivered twice (Slack's retries, a replica dying mid-way) opens one
	// request and runs one action.
	Key string
	// Targets, when there are two or more, make a bulk request: each names
	// a machine (Machine, Name) and carries its Facts, Health and LastSeen;
	// Params.Machine, Params.MachineName and Facts stay empty. One target
	// is the same as a single-machine draft.
	Targets []Target
}

// normalize validates d and returns it with ids lowercased and the hash
// type filled in.
func (d Draft) normalize() (Draft, error) {
	bad := func(format string, a ...any) (Draft, error) {
		return Draft{}, &Error{Code: CodeInvalid, Msg: fmt.Sprintf(format, a...)}
	}
	if !d.Kind.Valid() {
		return bad("unknown action kind %q", truncate(string(d.Kind), 40))
	}
	if !isUserID(d.Requester) {
		return bad("requester %q is not a Slack user id", truncate(d.Requester, 40))
	}
	if !isSlackID(d.Channel, "CGD") {
		return bad("channel %q is not a Slack channel id", truncate(d.Channel, 40))
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Reason == "" {
		return bad("a reason is required")
	}
	if utf8.RuneCountInString(d.Reason) > MaxReasonLen {
		return bad("the reason is longer than %d characters", MaxReasonLen)
	}
	p := &d.Params
	if len(d.Targets) == 1 && p.Machine == "" && p.MachineName == "" && d.Facts.zero() {
		t := d.Targets[0]
		p.Machine, p.MachineName, d.Facts, d.Targets = t.Machine, t.Name, t.Facts, nil
	}
	if len(d.Targets) > 1 {
		if err := d.normalizeTargets(); err != nil {
			return Draft{}, err
		}
	} else if d.Kind.TargetsMachine() {
		m, err := mde.ParseMachineID(string(p.Machine))
		if err != nil {
			return Draft{}, &Error{Code: CodeInvalid, Msg: "machine id", Err: err}
		}
		p.Machine = m
		if utf8.RuneCountInString(p.MachineName) > 255 {
			return bad("machine name longer than 255 characters")
		}
	} else if p.Machine != "" || p.MachineName != "" || !d.Facts.zero() {
		return bad("%s acts on a file hash tenant-wide and takes no machine", d.Kind)
	}
	if d.Kind.TargetsFile() {
		h, t, err := mde.ParseFileHash(p.FileHash)
		if err != nil {
			return Draft{}, &Error{Code: CodeInvalid, Msg: "file hash", Err: err}
		}
		if p.HashType != "" && p.HashType != t {
			return bad("file hash is %s, not %s", t, p.HashType)
		}
		p.FileHash, p.HashType = h, t
	} else if p.FileHash != "" || p.HashType != "" {
		return bad("%s takes no file hash", d.Kind)
	}
	switch {
	case d.Kind == KindIsolate && !p.Isolation.Valid():
		return bad("isolate needs an isolation type (Full, Selective or UnManagedDevice), not %q", p.Isolation)
	case d.Kind != KindIsolate && p.Isolation != "":
		return bad("%s takes no isolation type", d.Kind)
	case d.Kind == KindScan && !p.Scan.Valid():
		return bad("scan needs a scan type (Quick or Full), not %q", p.Scan)
	case d.Kind != KindScan && p.Scan != "":
		return bad("%s takes no scan type", d.Kind)
	}
	return d, nil
}

// keyedID is the request id of a draft with Key key: "R-" and 10
// characters of base32 of its SHA-256, like NewID's.
func keyedID(key string) string {
	sum := sha256.Sum256([]byte("mdebot-request-key-v1\x00" + key))
	return "R-" + base32.StdEncoding.EncodeToString(sum[:7])[:10]
}

// NewID returns a fresh request id: "R-" and 10 characters of base32 from
// crypto/rand (50 bits), short enough to read out and impossible to guess.
func NewID() string {
	var b [7]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return "R-" + base32.StdEncoding.EncodeToString(b[:])[:10]
}

func (f MachineFacts) zero() bool {
	return f.Group == "" && len(f.Tags) == 0 && f.OS == "" && f.Exposure == "" && f.Risk == ""
}

func trimSpace(s string) string { return strings.TrimSpace(s) }
