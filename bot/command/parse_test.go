package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
)

const (
	sha1Hash   = "3395856ce81f2b7382dee72602f798b642f14140"
	sha256Hash = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
	machineID  = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
)

// commandCase is one Parse case; the fuzz test is seeded from them.
type commandCase struct {
	name string
	text string
	want Command
	// errVerb and errMsg describe the *UsageError expected instead, errMsg
	// as a substring of its Message.
	errVerb Verb
	errMsg  string
}

func name(v string) Target { return Target{Kind: TargetName, Value: v} }

func tag(v string) Target { return Target{Kind: TargetTag, Value: v} }

func group(v string) Target { return Target{Kind: TargetGroup, Value: v} }

func names(vs ...string) []Target {
	var ts []Target
	for _, v := range vs {
		ts = append(ts, name(v))
	}
	return ts
}

func commandCases() []commandCase {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	return []commandCase{
		// help and machine
		{name: "empty text asks for help", text: "  ", want: Command{Verb: VerbHelp}},
		{name: "help ignores what follows it", text: "help me please", want: Command{Verb: VerbHelp}},
		{name: "machine takes a short name and keeps its case", text: "machine LAPTOP-042",
			want: Command{Verb: VerbMachine, Target: name("LAPTOP-042")}},
		{name: "machine takes a DNS name", text: "machine laptop-042.corp.example",
			want: Command{Verb: VerbMachine, Target: name("laptop-042.corp.example")}},
		{name: "machine takes a name with an underscore", text: "machine build_agent_7",
			want: Command{Verb: VerbMachine, Target: name("build_agent_7")}},
		{name: "machine takes an IPv4 address", text: "machine 10.1.2.3",
			want: Command{Verb: VerbMachine, Target: Target{Kind: TargetIP, Value: "10.1.2.3"}}},
		{name: "machine takes an IPv6 address in canonical form", text: "machine FE80:0:0::1",
			want: Command{Verb: VerbMachine, Target: Target{Kind: TargetIP, Value: "fe80::1"}}},
		{name: "machine takes a machine id and lowercases it", text: "machine " + strings.ToUpper(machineID),
			want: Command{Verb: VerbMachine, Target: Target{Kind: TargetMachineID, Value: machineID}}},
		{name: "machine takes a 32-character machine id as in Microsoft's collect example", text: "machine 7F0C4BB59BDB43A5B2C0B6BB6EDEDD12",
			want: Command{Verb: VerbMachine, Target: Target{Kind: TargetMachineID, Value: "7f0c4bb59bdb43a5b2c0b6bb6ededd12"}}},
		{name: "verbs are case-insensitive", text: "MaChInE host1",
			want: Command{Verb: VerbMachine, Target: name("host1")}},
		{name: "machine refuses extra words", text: "machine host1 host2", errVerb: VerbMachine, errMsg: `unexpected "host2"`},
		{name: "machine without a target is refused", text: "machine", errVerb: VerbMachine, errMsg: "a target is required"},

		// scan
		{name: "scan defaults to quick", text: "scan host1 weird process",
			want: Command{Verb: VerbScan, Target: name("host1"), ScanType: mde.ScanQuick, Reason: "weird process"}},
		{name: "scan takes full, case-insensitively", text: "scan host1 FULL alert 12",
			want: Command{Verb: VerbScan, Target: name("host1"), ScanType: mde.ScanFull, Reason: "alert 12"}},
		{name: "scan takes quick explicitly", text: "scan host1 quick quick check",
			want: Command{Verb: VerbScan, Target: name("host1"), ScanType: mde.ScanQuick, Reason: "quick check"}},
		{name: "scan takes an unknown word in the type slot as the start of the reason", text: "scan host1 because alert",
			want: Command{Verb: VerbScan, Target: name("host1"), ScanType: mde.ScanQuick, Reason: "because alert"}},
		{name: "scan refuses a misspelt full rather than scanning quick", text: "scan host1 ful alert",
			errVerb: VerbScan, errMsg: `"ful" is not a scan type (did you mean "full"?)`},
		{name: "scan without a reason is refused", text: "scan host1 full", errVerb: VerbScan, errMsg: "a reason is required"},
		{name: "scan without a target is refused", text: "scan", errVerb: VerbScan, errMsg: "a target is required"},

		// isolate
		{name: "isolate defaults to full", text: "isolate host1 ransomware note",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationFull, Reason: "ransomware note"}},
		{name: "isolate takes --break-glass before the reason", text: "isolate host1 --break-glass C2 beacon at 3am",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationFull, BreakGlass: true, Reason: "C2 beacon at 3am"}},
		{name: "isolate takes --break-glass after the isolation type", text: "isolate host1 selective --break-glass C2",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationSelective, BreakGlass: true, Reason: "C2"}},
		{name: "isolate takes --break-glass before the isolation type", text: "isolate host1 —break-glass selective C2",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationSelective, BreakGlass: true, Reason: "C2"}},
		{name: "restrict takes --break-glass (the policy decides whether it may)", text: "restrict host1 --break-glass spreading",
			want: Command{Verb: VerbRestrict, Target: name("host1"), BreakGlass: true, Reason: "spreading"}},
		{name: "--break-glass needs a reason too", text: "isolate host1 --break-glass", errVerb: VerbIsolate, errMsg: "a reason is required"},
		{name: "history keeps break-glass requests with --break-glass", text: "history --break-glass --since 7d",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{BreakGlass: true, Since: 7 * 24 * time.Hour}}},
		{name: "isolate takes selective", text: "isolate host1 Selective phish",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationSelective, Reason: "phish"}},
		{name: "isolate takes unmanaged", text: "isolate 10.0.0.9 unmanaged rogue device",
			want: Command{Verb: VerbIsolate, Target: Target{Kind: TargetIP, Value: "10.0.0.9"}, IsolationType: mde.IsolationUnmanaged, Reason: "rogue device"}},
		{name: "isolate takes a word close to the default as the start of the reason", text: "isolate host1 fully compromised",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationFull, Reason: "fully compromised"}},
		{name: "isolate refuses a misspelt selective rather than isolating fully", text: "isolate host1 selectve phish",
			errVerb: VerbIsolate, errMsg: `"selectve" is not an isolation type (did you mean "selective"?)`},
		{name: "isolate without a reason is refused", text: "isolate host1 selective", errVerb: VerbIsolate, errMsg: "a reason is required"},

		// the other machine actions
		{name: "unisolate takes a target and a reason", text: "unisolate host1 all clear",
			want: Command{Verb: VerbUnisolate, Target: name("host1"), Reason: "all clear"}},
		{name: "release is unisolate", text: "Release host1 reimaged",
			want: Command{Verb: VerbUnisolate, Target: name("host1"), Reason: "reimaged"}},
		{name: "restrict takes a target and a reason", text: "restrict host1 unknown binary",
			want: Command{Verb: VerbRestrict, Target: name("host1"), Reason: "unknown binary"}},
		{name: "unrestrict takes a target and a reason", text: "unrestrict host1 cleaned",
			want: Command{Verb: VerbUnrestrict, Target: name("host1"), Reason: "cleaned"}},
		{name: "collect takes a target and a reason", text: "collect host1 case 77",
			want: Command{Verb: VerbCollect, Target: name("host1"), Reason: "case 77"}},
		{name: "offboard takes a target and a reason", text: "offboard kiosk-7 decommissioned",
			want: Command{Verb: VerbOffboard, Target: name("kiosk-7"), Reason: "decommissioned"}},
		{name: "unisolate without a reason is refused", text: "release host1", errVerb: VerbUnisolate, errMsg: "a reason is required"},
		{name: "restrict without a reason is refused", text: "restrict host1   ", errVerb: VerbRestrict, errMsg: "a reason is required"},
		{name: "unrestrict without a reason is refused", text: "unrestrict host1", errVerb: VerbUnrestrict, errMsg: "a reason is required"},
		{name: "collect without a reason is refused", text: "collect host1", errVerb: VerbCollect, errMsg: "a reason is required"},
		{name: "offboard without a reason is refused", text: "offboard host1", errVerb: VerbOffboard, errMsg: "a reason is required"},
		{name: "offboard without a target is refused", text: "offboard", errVerb: VerbOffboard, errMsg: "a target is required"},

		// reasons
		{name: "a reason is whitespace-normalised", text: "collect host1 \t case\n\n77\u00a0now ",
			want: Command{Verb: VerbCollect, Target: name("host1"), Reason: "case 77 now"}},
		{name: "a reason is unescaped from Slack's encoding", text: "collect host1 a &lt;b&gt; &amp; c",
			want: Command{Verb: VerbCollect, Target: name("host1"), Reason: "a <b> & c"}},
		{name: "an escaped entity the user typed survives unescaping once", text: "collect host1 &amp;lt;",
			want: Command{Verb: VerbCollect, Target: name("host1"), Reason: "&lt;"}},
		{name: "a reason keeps mentions as text", text: "collect host1 asked by <@U012ABC|bob>",
			want: Command{Verb: VerbCollect, Target: name("host1"), Reason: "asked by <@U012ABC|bob>"}},

		// files
		{name: "quarantine takes a SHA-1 and lowercases it", text: "quarantine host1 " + strings.ToUpper(sha1Hash) + " dropper",
			want: Command{Verb: VerbQuarantine, Target: name("host1"), Hash: sha1Hash, HashType: mde.HashSHA1, Reason: "dropper"}},
		{name: "quarantine refuses a SHA-256", text: "quarantine host1 " + sha256Hash + " dropper",
			errVerb: VerbQuarantine, errMsg: "quarantine needs the file's SHA-1"},
		{name: "quarantine without a hash is refused", text: "quarantine host1", errVerb: VerbQuarantine, errMsg: "a file hash is required"},
		{name: "quarantine without a reason is refused", text: "quarantine host1 " + sha1Hash, errVerb: VerbQuarantine, errMsg: "a reason is required"},
		{name: "block takes a SHA-1", text: "block " + sha1Hash + " known bad",
			want: Command{Verb: VerbBlock, Hash: sha1Hash, HashType: mde.HashSHA1, Reason: "known bad"}},
		{name: "block takes a SHA-256", text: "block " + sha256Hash + " known bad",
			want: Command{Verb: VerbBlock, Hash: sha256Hash, HashType: mde.HashSHA256, Reason: "known bad"}},
		{name: "unblock takes a hash", text: "unblock " + sha256Hash + " false positive",
			want: Command{Verb: VerbUnblock, Hash: sha256Hash, HashType: mde.HashSHA256, Reason: "false positive"}},
		{name: "block refuses a hash of the wrong length", text: "block abc123 bad", errVerb: VerbBlock, errMsg: `"abc123" is not a SHA-1 or SHA-256 file hash`},
		{name: "block refuses an MD5", text: "block d41d8cd98f00b204e9800998ecf8427e bad", errVerb: VerbBlock, errMsg: "is not a SHA-1 or SHA-256"},
		{name: "block refuses a non-hex hash", text: "block " + strings.Repeat("g", 40) + " bad", errVerb: VerbBlock, errMsg: "is not a SHA-1 or SHA-256"},
		{name: "block without a reason is refused", text: "block " + sha1Hash, errVerb: VerbBlock, errMsg: "a reason is required"},
		{name: "unblock without a hash is refused", text: "unblock", errVerb: VerbUnblock, errMsg: "a file hash is required"},

		// status and cancel
		{name: "status takes an action id", text: "status 7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3d4e",
			want: Command{Verb: VerbStatus, ID: "7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3d4e"}},
		{name: "status takes a request id", text: "status R-20261123-0007", want: Command{Verb: VerbStatus, ID: "R-20261123-0007"}},
		{name: "status without an id is refused", text: "status", errVerb: VerbStatus, errMsg: "a request or action id is required"},
		{name: "status refuses extra words", text: "status R-1 now", errVerb: VerbStatus, errMsg: `unexpected "now"`},
		{name: "status refuses a malformed id", text: "status <!here>", errVerb: VerbStatus, errMsg: `"<!here>" is not a request or action id`},
		{name: "cancel takes an id without a reason", text: "cancel R-7", want: Command{Verb: VerbCancel, ID: "R-7"}},
		{name: "cancel takes an optional reason", text: "cancel R-7 wrong machine",
			want: Command{Verb: VerbCancel, ID: "R-7", Reason: "wrong machine"}},
		{name: "cancel without an id is refused", text: "cancel", errVerb: VerbCancel, errMsg: "a request or action id is required"},
		{name: "status refuses a word that is neither a request nor an action id", text: "status nope", errVerb: VerbStatus, errMsg: `"nope" is not a request or action id: a request id looks like R-`},
		{name: "cancel refuses a truncated action id", text: "cancel 7f3c2a10-9b1e-4c55-a0d2", errVerb: VerbCancel, errMsg: "a Defender action id is a GUID"},

		// history
		{name: "history takes no arguments", text: "history", want: Command{Verb: VerbHistory}},
		{name: "history takes a machine", text: "history laptop-042",
			want: Command{Verb: VerbHistory, Target: name("laptop-042")}},
		{name: "history takes a user name", text: "history @alice.smith",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{UserName: "alice.smith"}}},
		{name: "history takes a user mention", text: "history <@U012ABC>",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{UserID: "U012ABC"}}},
		{name: "history takes a user mention with a name", text: "history <@W012ABC|alice>",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{UserID: "W012ABC"}}},
		{name: "history takes every option", text: "history host1 --since 12h --kind release --outcome Succeeded",
			want: Command{Verb: VerbHistory, Target: name("host1"), Filter: HistoryFilter{Since: 12 * time.Hour, Kind: VerbUnisolate, Outcome: approvals.OutcomeSucceeded}}},
		{name: "history takes --since in minutes, days and weeks", text: "history --since 2w",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{Since: 14 * 24 * time.Hour}}},
		{name: "history takes --since=7d", text: "history --since=7d",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{Since: 7 * 24 * time.Hour}}},
		{name: "history takes --since 30m", text: "history --SINCE 30M",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{Since: 30 * time.Minute}}},
		{name: "history takes dates, --to including its whole day", text: "history --from 2026-11-01 --to 2026-11-20",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{From: day(2026, 11, 1), To: day(2026, 11, 21)}}},
		{name: "history takes RFC 3339 times", text: "history --from 2026-11-01T09:30:00+02:00 --to 2026-11-01T10:00:00Z",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{
				From: time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)}}},
		{name: "history takes an em dash for a double dash", text: "history —kind isolate",
			want: Command{Verb: VerbHistory, Filter: HistoryFilter{Kind: VerbIsolate}}},
		{name: "history refuses an unknown option with a suggestion", text: "history --sinc 7d", errVerb: VerbHistory, errMsg: `unknown option "--sinc" (did you mean --since?)`},
		{name: "history refuses a repeated option", text: "history --kind scan --kind isolate", errVerb: VerbHistory, errMsg: "--kind is given twice"},
		{name: "history refuses an option without its value", text: "history --since", errVerb: VerbHistory, errMsg: "--since needs a value"},
		{name: "history refuses a bad duration", text: "history --since 7y", errVerb: VerbHistory, errMsg: `"7y" is not a duration`},
		{name: "history refuses a zero duration", text: "history --since 0d", errVerb: VerbHistory, errMsg: `"0d" is not a duration`},
		{name: "history refuses more than ten years", text: "history --since 9999w", errVerb: VerbHistory, errMsg: "more than ten years"},
		{name: "history refuses a bad date", text: "history --from 2026-13-01", errVerb: VerbHistory, errMsg: `"2026-13-01" is not a date`},
		{name: "history refuses a date out of range", text: "history --from 1999-12-31", errVerb: VerbHistory, errMsg: "between the years 2000 and 2999"},
		{name: "history refuses --from after --to", text: "history --from 2026-11-20 --to 2026-11-01", errVerb: VerbHistory, errMsg: "--from must be before --to"},
		{name: "history refuses --since with --from", text: "history --since 7d --from 2026-11-01", errVerb: VerbHistory, errMsg: "--since or --from, not both"},
		{name: "history refuses a kind that is not an action", text: "history --kind status", errVerb: VerbHistory, errMsg: `"status" is not an action`},
		{name: "history refuses an unknown outcome", text: "history --outcome done", errVerb: VerbHistory, errMsg: `"done" is not one of pending`},
		{name: "history refuses two subjects", text: "history host1 @alice", errVerb: VerbHistory, errMsg: `unexpected "@alice"`},
		{name: "history refuses a malformed mention", text: "history <@alice>", errVerb: VerbHistory, errMsg: `"<@alice>" is not a user mention`},
		{name: "history refuses a malformed user name", text: "history @al'ice", errVerb: VerbHistory, errMsg: `"@al'ice" is not a user name`},

		// export
		{name: "export takes no arguments", text: "export", want: Command{Verb: VerbExport}},
		{name: "export takes --since and --format", text: "export --since 30d --format JSON",
			want: Command{Verb: VerbExport, Filter: HistoryFilter{Since: 30 * 24 * time.Hour}, Format: FormatJSON}},
		{name: "export takes --format=csv", text: "EXPORT --format=csv", want: Command{Verb: VerbExport, Format: FormatCSV}},
		{name: "export refuses an unknown format", text: "export --format xlsx", errVerb: VerbExport, errMsg: `--format: "xlsx" is not csv or json`},
		{name: "export refuses a history filter", text: "export --kind scan", errVerb: VerbExport, errMsg: `unknown option "--kind"`},
		{name: "export refuses a subject", text: "export host1", errVerb: VerbExport, errMsg: `unexpected "host1"`},
		{name: "export refuses a repeated option", text: "export --since 1d --since 2d", errVerb: VerbExport, errMsg: "--since is given twice"},
		{name: "export refuses a bad duration", text: "export --since soon", errVerb: VerbExport, errMsg: `"soon" is not a duration`},
		{name: "export suggests a misspelled option", text: "export --fromat csv", errVerb: VerbExport, errMsg: "did you mean --format?"},

		// several targets
		{name: "isolate takes space-separated targets ended by the isolation type", text: "isolate ws-0042 ws-0043 ws-0044 selective suspected ransomware",
			want: Command{Verb: VerbIsolate, Target: name("ws-0042"), Targets: names("ws-0042", "ws-0043", "ws-0044"),
				IsolationType: mde.IsolationSelective, Reason: "suspected ransomware"}},
		{name: "scan takes space-separated targets ended by the scan type", text: "scan ws-1 10.0.0.9 FULL alert 12",
			want: Command{Verb: VerbScan, Target: name("ws-1"), Targets: []Target{name("ws-1"), {Kind: TargetIP, Value: "10.0.0.9"}},
				ScanType: mde.ScanFull, Reason: "alert 12"}},
		{name: "space-separated targets end at --break-glass", text: "isolate ws-1 ws-2 --break-glass selective C2",
			want: Command{Verb: VerbIsolate, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), IsolationType: mde.IsolationSelective, BreakGlass: true, Reason: "C2"}},
		{name: "-- ends the targets and is not part of the reason", text: "collect ws-1 ws-2 -- the reason",
			want: Command{Verb: VerbCollect, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), Reason: "the reason"}},
		{name: "an em dash ends the targets like --", text: "unisolate ws-1 ws-2 — reimaged",
			want: Command{Verb: VerbUnisolate, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), Reason: "reimaged"}},
		{name: "-- after one target only ends it", text: "collect ws-1 -- -- seen twice",
			want: Command{Verb: VerbCollect, Target: name("ws-1"), Reason: "-- seen twice"}},
		{name: "isolate reads its type after --", text: "isolate ws-1 ws-2 -- selective phish",
			want: Command{Verb: VerbIsolate, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), IsolationType: mde.IsolationSelective, Reason: "phish"}},
		{name: "a comma list needs no end mark", text: "restrict ws-1,ws-2, ws-3 unknown binary",
			want: Command{Verb: VerbRestrict, Target: name("ws-1"), Targets: names("ws-1", "ws-2", "ws-3"), Reason: "unknown binary"}},
		{name: "a comma list may go on with a word starting with a comma", text: "restrict ws-1 ,ws-2 spreading",
			want: Command{Verb: VerbRestrict, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), Reason: "spreading"}},
		{name: "a comma list may be followed by more targets and a type word", text: "isolate ws-1,ws-2 ws-3 unmanaged rogue",
			want: Command{Verb: VerbIsolate, Target: name("ws-1"), Targets: names("ws-1", "ws-2", "ws-3"), IsolationType: mde.IsolationUnmanaged, Reason: "rogue"}},
		{name: "without a type word, comma or -- only the first word is a target", text: "collect ws-1 ws-2 case 77",
			want: Command{Verb: VerbCollect, Target: name("ws-1"), Reason: "ws-2 case 77"}},
		{name: "a comma later in the reason does not make a list", text: "collect host1 seen on ws-2, ws-3 today",
			want: Command{Verb: VerbCollect, Target: name("host1"), Reason: "seen on ws-2, ws-3 today"}},
		{name: "a word that cannot be a target ends the scan for a type word", text: "isolate host1 it's full of malware",
			want: Command{Verb: VerbIsolate, Target: name("host1"), IsolationType: mde.IsolationFull, Reason: "it's full of malware"}},
		{name: "a type word as the first word is still a target", text: "scan full quick check",
			want: Command{Verb: VerbScan, Target: name("full"), ScanType: mde.ScanQuick, Reason: "check"}},
		{name: "repeated targets are dropped, names case-insensitively", text: "collect ws-1,WS-1,ws-2,ws-1 -- dup",
			want: Command{Verb: VerbCollect, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), Reason: "dup"}},
		{name: "a target repeated alone leaves one target", text: "collect ws-1,ws-1 dup",
			want: Command{Verb: VerbCollect, Target: name("ws-1"), Reason: "dup"}},
		{name: "tag: names the machines with a tag", text: "isolate tag:vip selective phish",
			want: Command{Verb: VerbIsolate, Target: tag("vip"), IsolationType: mde.IsolationSelective, Reason: "phish"}},
		{name: "group: names a device group, in any case", text: "scan GROUP:Workstations full sweep",
			want: Command{Verb: VerbScan, Target: group("Workstations"), ScanType: mde.ScanFull, Reason: "sweep"}},
		{name: "a group may be named by its id", text: "scan group:140 quick sweep",
			want: Command{Verb: VerbScan, Target: group("140"), ScanType: mde.ScanQuick, Reason: "sweep"}},
		{name: "a quoted tag name may have spaces", text: `collect tag:"Finance Team" case 9`,
			want: Command{Verb: VerbCollect, Target: tag("Finance Team"), Reason: "case 9"}},
		{name: "a tag name may be in Slack's curly quotes", text: "collect tag:“Finance Team”,ws-1 case 9",
			want: Command{Verb: VerbCollect, Target: tag("Finance Team"), Targets: []Target{tag("Finance Team"), name("ws-1")}, Reason: "case 9"}},
		{name: "a quoted group name may have a comma", text: `collect group:"Lab, 2nd floor" ws-9 -- case 9`,
			want: Command{Verb: VerbCollect, Target: group("Lab, 2nd floor"), Targets: []Target{group("Lab, 2nd floor"), name("ws-9")}, Reason: "case 9"}},
		{name: "a tag name is unescaped from Slack's encoding", text: "collect tag:R&amp;D case",
			want: Command{Verb: VerbCollect, Target: tag("R&D"), Reason: "case"}},
		{name: "tags, groups and machines mix", text: "isolate tag:vip,group:Servers ws-0042 10.1.2.3 full outbreak",
			want: Command{Verb: VerbIsolate, Target: tag("vip"), Targets: []Target{tag("vip"), group("Servers"), name("ws-0042"), {Kind: TargetIP, Value: "10.1.2.3"}},
				IsolationType: mde.IsolationFull, Reason: "outbreak"}},
		{name: "a tag: later in the reason is not a target", text: "collect ws-1 because tag:vip was set",
			want: Command{Verb: VerbCollect, Target: name("ws-1"), Reason: "because tag:vip was set"}},
		{name: "quarantine takes targets ended by the SHA-1", text: "quarantine ws-1 ws-2 " + sha1Hash + " dropper",
			want: Command{Verb: VerbQuarantine, Target: name("ws-1"), Targets: names("ws-1", "ws-2"), Hash: sha1Hash, HashType: mde.HashSHA1, Reason: "dropper"}},
		{name: "quarantine takes machine ids in a comma list before the SHA-1", text: "quarantine " + machineID + "," + strings.Repeat("a", 40) + " " + sha1Hash + " dropper",
			want: Command{Verb: VerbQuarantine, Target: Target{Kind: TargetMachineID, Value: machineID},
				Targets: []Target{{Kind: TargetMachineID, Value: machineID}, {Kind: TargetMachineID, Value: strings.Repeat("a", 40)}},
				Hash:    sha1Hash, HashType: mde.HashSHA1, Reason: "dropper"}},
		{name: "quarantine takes machine ids ended by --", text: "quarantine " + machineID + " " + strings.Repeat("a", 40) + " -- " + sha1Hash + " " + sha1Hash + " dropper",
			want: Command{Verb: VerbQuarantine, Target: Target{Kind: TargetMachineID, Value: machineID},
				Targets: []Target{{Kind: TargetMachineID, Value: machineID}, {Kind: TargetMachineID, Value: strings.Repeat("a", 40)}},
				Hash:    sha1Hash, HashType: mde.HashSHA1, Reason: sha1Hash + " dropper"}},
		{name: "quarantine takes --break-glass before the SHA-1", text: "quarantine ws-1 --break-glass " + sha1Hash + " dropper",
			want: Command{Verb: VerbQuarantine, Target: name("ws-1"), Hash: sha1Hash, HashType: mde.HashSHA1, BreakGlass: true, Reason: "dropper"}},
		{name: "quarantine refuses two 40-hex words after the targets without --", text: "quarantine " + machineID + " " + strings.Repeat("a", 40) + " " + sha1Hash + " dropper",
			errVerb: VerbQuarantine, errMsg: "are both 40 hexadecimal characters"},
		{name: "offboard refuses several machines", text: "offboard ws-1,ws-2 decommissioned", errVerb: VerbOffboard, errMsg: "offboard takes one machine at a time, not 2"},
		{name: "offboard refuses several machines ended by --", text: "offboard ws-1 ws-2 -- decommissioned", errVerb: VerbOffboard, errMsg: "offboard takes one machine at a time, not 2"},
		{name: "offboard refuses a tag", text: "offboard tag:old decommissioned", errVerb: VerbOffboard, errMsg: "not tag:"},
		{name: "machine refuses a comma list", text: "machine ws-1,ws-2", errVerb: VerbMachine, errMsg: "machine takes one machine at a time, not 2"},
		{name: "machine refuses a group", text: "machine group:Servers", errVerb: VerbMachine, errMsg: "not group:"},
		{name: "a comma list cannot end with its comma", text: "collect ws-1,", errVerb: VerbCollect, errMsg: "a target is required after the comma"},
		{name: "a bad target after a comma is refused", text: "collect ws-1,<!here> x", errVerb: VerbCollect, errMsg: `"<!here>" is not a valid target`},
		{name: "an unclosed quote is refused", text: `collect tag:"Finance Team case 9`, errVerb: VerbCollect, errMsg: "the quote after tag: is not closed"},
		{name: "a malformed tag right after the targets is refused", text: `collect ws-1 tag:"Fin Team case`, errVerb: VerbCollect, errMsg: "is not closed"},
		{name: "an empty tag name is refused", text: "collect tag: x", errVerb: VerbCollect, errMsg: "tag: needs a name"},
		{name: "an empty quoted group name is refused", text: `collect group:"" x`, errVerb: VerbCollect, errMsg: "group: needs a name"},
		{name: "a quote inside an unquoted name is refused", text: `collect tag:a"b x`, errVerb: VerbCollect, errMsg: "quote the whole tag name"},
		{name: "text after a closing quote is refused", text: `collect tag:"a"b x`, errVerb: VerbCollect, errMsg: "a closing quote must end the tag name"},
		{name: "an overlong tag name is refused", text: "collect tag:" + strings.Repeat("t", MaxSetName+1) + " x", errVerb: VerbCollect, errMsg: "longer than 200"},
		{name: "-- alone is not a target", text: "collect -- x", errVerb: VerbCollect, errMsg: "a target is required"},
		{name: "several targets still need a reason", text: "isolate ws-1 ws-2 selective", errVerb: VerbIsolate, errMsg: "a reason is required"},

		// hostile and malformed input
		{name: "an unknown verb suggests the closest verb", text: "isolat host1 x", errMsg: `unknown command "isolat" (did you mean "isolate"?)`},
		{name: "an unknown verb far from any verb gets no suggestion", text: "reboot host1 x", errMsg: `unknown command "reboot"; /mde help`},
		{name: "a channel mention is refused as a target", text: "isolate <!channel> x", errVerb: VerbIsolate, errMsg: `"<!channel>" is not a valid target`},
		{name: "an escaped channel mention is refused as a target", text: "isolate &lt;!channel&gt; x", errVerb: VerbIsolate, errMsg: "is not a valid target"},
		{name: "a quote in a name is refused as a target", text: "isolate o'brien-pc x", errVerb: VerbIsolate, errMsg: `"o'brien-pc" is not a valid target`},
		{name: "a user mention is refused as a target", text: "machine <@U012ABC>", errVerb: VerbMachine, errMsg: "is not a valid target"},
		{name: "a link is refused as a target", text: "machine <http://evil.example|host1>", errVerb: VerbMachine, errMsg: "is not a valid target"},
		{name: "a name with an empty label is refused", text: "machine host..corp", errVerb: VerbMachine, errMsg: "is not a valid target"},
		{name: "a name starting with a dash is refused", text: "machine -rf", errVerb: VerbMachine, errMsg: "is not a valid target"},
		{name: "a name longer than 255 is refused", text: "machine " + strings.Repeat("a", 256), errVerb: VerbMachine, errMsg: "is not a valid target"},
		{name: "a bad IPv4 address is refused", text: "machine 10.1.2.300", errVerb: VerbMachine, errMsg: `"10.1.2.300" is not a valid IP address`},
		{name: "an IPv6 address with a zone is refused", text: "machine fe80::1%eth0", errVerb: VerbMachine, errMsg: "is not a valid IP address"},
		{name: "text over 4000 characters is refused", text: "collect host1 " + strings.Repeat("é", 3990), errMsg: "the limit is 4000"},
		{name: "invalid UTF-8 is refused", text: "collect host1 \xff", errMsg: "not valid UTF-8"},
	}
}

func TestParseCommand(t *testing.T) {
	for _, tt := range commandCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			if tt.errMsg == "" {
				if err != nil {
					t.Fatalf("Parse(%q) error: %v", tt.text, err)
				}
				if tt.want.Targets == nil && tt.want.Target.Value != "" {
					// A single target is also the one element of Targets.
					tt.want.Targets = []Target{tt.want.Target}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.text, diff)
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %+v, %v; want a *UsageError", tt.text, got, err)
			}
			if ue.Verb != tt.errVerb || !strings.Contains(ue.Message, tt.errMsg) {
				t.Errorf("Parse(%q) error = (%q, %q), want (%q, containing %q)", tt.text, ue.Verb, ue.Message, tt.errVerb, tt.errMsg)
			}
			if cmp.Diff(Command{}, got) != "" {
				t.Errorf("Parse(%q) returned %+v with its error", tt.text, got)
			}
		})
	}
}

func TestCommandStringIsCanonical(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"the default scan type is printed", "SCAN Host1 full-text reason", "scan Host1 quick full-text reason"},
		{"the alias release prints as unisolate", "release host1 ok", "unisolate host1 ok"},
		{"a reason is printed escaped as Slack sends it", "collect host1 a  &lt;b&gt;\t&amp;", "collect host1 a &lt;b&gt; &amp;"},
		{"unmanaged isolation prints as unmanaged", "isolate h unmanaged x", "isolate h unmanaged x"},
		{"history prints its options in a fixed order", "history --outcome failed --kind scan --since 7d <@U1AB|x>",
			"history <@U1AB> --since 1w --kind scan --outcome failed"},
		{"a date-only --to prints as the day it includes", "history --to 2026-11-20", "history --to 2026-11-20"},
		{"an RFC 3339 time keeps its offset", "history --from 2026-11-01T09:30:00.5+02:00", "history --from 2026-11-01T09:30:00.5+02:00"},
		{"cancel without a reason prints no reason", "cancel R-1", "cancel R-1"},
		{"several targets print as one comma list ended by --", "isolate ws-1 ws-2 tag:vip selective x",
			"isolate ws-1,ws-2,tag:vip -- selective x"},
		{"a tag or group name with a space or comma is quoted, and escaped", `collect group:“Lab, 2nd” tag:"R&amp;D team" -- x`,
			`collect group:"Lab, 2nd",tag:"R&amp;D team" -- x`},
		{"one target prints alone", "collect ws-1 -- case 77", "collect ws-1 case 77"},
		{"one target keeps -- when its reason holds one", "collect ws-1 -- a -- b", "collect ws-1 -- a -- b"},
		{"quarantine keeps -- when its reason starts with 40 hex", "quarantine ws-1 -- " + sha1Hash + " " + sha1Hash + " x",
			"quarantine ws-1 -- " + sha1Hash + " " + sha1Hash + " x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.String()); diff != "" {
				t.Errorf("String() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryVerbHasAUsageLineInTheHelp(t *testing.T) {
	help := HelpText()
	for _, v := range Verbs() {
		u := v.Usage()
		if !strings.HasPrefix(u, "/mde "+string(v)) {
			t.Errorf("%s.Usage() = %q, want it to start with /mde %s", v, u, v)
		}
		if !strings.Contains(help, "`"+u+"`") {
			t.Errorf("HelpText() lacks the usage of %s", v)
		}
		h, _ := helpFor(v)
		if !strings.HasPrefix(h.example, "/mde ") {
			t.Errorf("%s example %q does not start with /mde", v, h.example)
		}
		if _, err := Parse(strings.TrimPrefix(h.example, "/mde ")); err != nil {
			t.Errorf("the example for %s does not parse: %v", v, err)
		}
	}
	if got := Verb("reboot").Usage(); got != "/mde help" {
		t.Errorf("an unknown verb's usage = %q, want /mde help", got)
	}
}

func TestUsageErrorNamesTheUsage(t *testing.T) {
	_, err := Parse("isolate host1")
	want := "isolate: a reason is required: say why; it is shown on the card and kept in the audit log\n" +
		"Usage: /mde isolate <targets> [full|selective|unmanaged] [--break-glass] <reason>"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestVerbIsActionMatchesThePolicyKeys(t *testing.T) {
	var actions []Verb
	for _, v := range Verbs() {
		if v.IsAction() {
			actions = append(actions, v)
		}
	}
	want := []Verb{"scan", "isolate", "unisolate", "restrict", "unrestrict", "collect", "quarantine", "block", "unblock", "offboard"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("action verbs mismatch (-want +got):\n%s", diff)
	}
}

func BenchmarkParseCommand(b *testing.B) {
	texts := map[string]string{
		"isolate":  "isolate laptop-042.corp.example selective ransomware note found &amp; shares encrypted",
		"history":  "history <@U012ABC|alice> --since 2w --kind release --outcome succeeded",
		"longest":  "collect host1 " + strings.Repeat("word ", (MaxCommandText-14)/5),
		"outbreak": "isolate " + strings.Repeat("ws-0042.contoso.local ", 50) + `tag:"Finance Team",group:Servers selective ransomware spreading`,
	}
	for name, text := range texts {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
