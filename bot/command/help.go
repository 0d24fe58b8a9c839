package command

import (
	"fmt"
	"strings"

	"github.com/mdebot/mdebot/approvals"
)

// verbHelp is one verb's line in the help.
type verbHelp struct {
	usage, summary, example string
}

// helpFor returns v's usage, summary and example.
func helpFor(v Verb) (verbHelp, bool) {
	switch v {
	case VerbHelp:
		return verbHelp{"/mde help", "show this help", "/mde help"}, true
	case VerbMachine:
		return verbHelp{"/mde machine <target>", "show a machine's health, risk, IPs and pending actions",
			"/mde machine ws-0042"}, true
	case VerbScan:
		return verbHelp{"/mde scan <targets> [quick|full] <reason>", "run an antivirus scan (quick by default)",
			"/mde scan ws-0042 full alert 1234 follow-up"}, true
	case VerbIsolate:
		return verbHelp{"/mde isolate <targets> [full|selective|unmanaged] [--break-glass] <reason>",
			"cut a machine off the network (full by default; selective keeps Outlook, Teams and Skype; --break-glass runs it alone in an emergency, reviewed afterwards)",
			"/mde isolate ws-0042 ws-0045 selective ransomware note found"}, true
	case VerbUnisolate:
		return verbHelp{"/mde unisolate <targets> <reason>", "release a machine from isolation (also: release)",
			"/mde release ws-0042 reimaged"}, true
	case VerbRestrict:
		return verbHelp{"/mde restrict <targets> <reason>", "allow only Microsoft-signed programs to run",
			"/mde restrict 10.20.30.41 unknown binary spreading"}, true
	case VerbUnrestrict:
		return verbHelp{"/mde unrestrict <targets> <reason>", "lift the code execution restriction",
			"/mde unrestrict 10.20.30.41 cleaned up"}, true
	case VerbCollect:
		return verbHelp{"/mde collect <targets> <reason>", "collect an investigation package",
			"/mde collect ws-0042 ws-0045 -- forensics for case 77"}, true
	case VerbQuarantine:
		return verbHelp{"/mde quarantine <targets> <sha1> <reason>", "stop a file and quarantine it on a machine",
			"/mde quarantine ws-0042 3395856ce81f2b7382dee72602f798b642f14140 dropper"}, true
	case VerbBlock:
		return verbHelp{"/mde block <sha1|sha256> <reason>", "block a file everywhere with an indicator",
			"/mde block 3395856ce81f2b7382dee72602f798b642f14140 known dropper"}, true
	case VerbUnblock:
		return verbHelp{"/mde unblock <sha1|sha256> <reason>", "remove a file's block indicator",
			"/mde unblock 3395856ce81f2b7382dee72602f798b642f14140 false positive"}, true
	case VerbOffboard:
		return verbHelp{"/mde offboard <target> <reason>", "offboard a machine from Defender",
			"/mde offboard ws-legacy decommissioned"}, true
	case VerbStatus:
		return verbHelp{"/mde status <request-or-action-id>", "show a request or a machine action",
			"/mde status 7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3d4e"}, true
	case VerbCancel:
		return verbHelp{"/mde cancel <request-or-action-id> [reason]", "withdraw a request, or cancel a pending action",
			"/mde cancel 7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3d4e wrong machine"}, true
	case VerbHistory:
		return verbHelp{"/mde history [target|@user] [--since 7d] [--from 2026-11-01] [--to 2026-11-20] [--kind isolate] [--outcome succeeded] [--break-glass]",
			"list past requests (auditors)", "/mde history ws-0042 --since 2w --kind isolate"}, true
	case VerbExport:
		return verbHelp{"/mde export [--since 30d] [--format csv|json]",
			"send yourself a file of the requests, one row each (auditors)", "/mde export --since 30d --format csv"}, true
	}
	return verbHelp{}, false
}

// HelpText returns the whole /mde help: one line per verb with its usage,
// what it does and an example, then what targets, reasons and history
// options accept. It is plain text with `code` spans: escape it before
// sending it as mrkdwn.
func HelpText() string {
	var b strings.Builder
	b.WriteString("/mde runs Microsoft Defender for Endpoint response actions. Actions need a reason, and the ones your policy names also need an approver other than you.\n\n")
	for _, v := range Verbs() {
		h, _ := helpFor(v)
		fmt.Fprintf(&b, "`%s` %s. Example: `%s`\n", h.usage, h.summary, h.example)
	}
	var outcomes []string
	for _, o := range approvals.Outcomes() {
		outcomes = append(outcomes, string(o))
	}
	b.WriteString("\nA target is a machine name (ws-0042 or ws-0042.contoso.local), an IP address, or a 40-character Defender machine id. ")
	b.WriteString("<targets> is one target or several: a comma list (ws-1,ws-2, ws-3), tag:NAME (the machines with that Defender tag), group:NAME (a device group; a number is its id), quoted when NAME has spaces (tag:\"Finance Team\"), or any mix. ")
	b.WriteString("Targets separated by spaces end at the type word (scan, isolate), at --break-glass, at the SHA-1 (quarantine) or at --; without one of them, or a comma, only the first word is a target. ")
	b.WriteString("In quarantine, give machine ids after the first as a comma list or end the machines with --, since a machine id and a SHA-1 are both 40 hex characters. machine and offboard take one machine. ")
	b.WriteString("A reason is everything after the targets and options; in scan and isolate, a first word that is not a type starts the reason. ")
	b.WriteString("History takes --since 30m, 12h, 7d or 2w; --from and --to take a date (UTC, --to includes that day) or an RFC 3339 time; ")
	b.WriteString("--outcome takes " + strings.Join(outcomes, ", ") + ".")
	return b.String()
}
