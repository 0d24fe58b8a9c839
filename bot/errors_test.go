package bot

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func TestEveryKnownErrorKindHasASentenceForPeople(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"MDE not found", &defender.Error{StatusCode: 404}, "does not know"},
		{"MDE action in progress", &defender.Error{StatusCode: 400, Code: defender.CodeActiveRequestAlreadyExists}, "already running"},
		{"MDE forbidden names the permission", &defender.Error{StatusCode: 403, Message: "Missing application roles. API required roles: Machine.Isolate, application roles: ."}, "Machine.Isolate"},
		{"MDE rate limited", &defender.Error{StatusCode: 429}, "rate limit"},
		{"MDE OS not supported", &defender.Error{StatusCode: 400, Code: defender.CodeOSPlatformNotSupported}, "does not support"},
		{"MDE outcome unknown", fmt.Errorf("x: %w", defender.ErrOutcomeUnknown), "did not say"},
		{"MDE unauthorized", &defender.Error{StatusCode: 401}, "credentials"},
		{"MDE refusal in its own words", &defender.Error{StatusCode: 400, Code: "InvalidInput", Message: "Invalid input <IsolationType>"}, "Defender refused the request: Invalid input &lt;IsolationType&gt;"},
		{"MDE bare 400", &defender.Error{StatusCode: 400}, "without giving a reason"},
		{"nothing to unblock", fmt.Errorf("x: %w", defender.ErrNoBlockIndicator), "no block indicator for this hash that mdebot can see; with Ti.ReadWrite.All it would see those created by others"},
		{"self approval", &approvals.Error{Code: approvals.CodeSelfDecision, RequestID: "R-1"}, "your own request"},
		{"not an approver", &approvals.Error{Code: approvals.CodeNotPermitted, Rule: approvals.RuleApprover, RequestID: "R-1", Msg: "U1 is not an approver"}, "not an approver"},
		{"not an approver this machine's rules name", &approvals.Error{Code: approvals.CodeNotPermitted, Rule: approvals.RuleMachineApprover, RequestID: "R-1"}, "policy rules name who may approve"},
		{"not a break-glass member", approvals.ErrNotBreakGlass, "may not use `--break-glass`"},
		{"break-glass kind", approvals.ErrBreakGlassKind, "may not run this action"},
		{"break-glass cap", &approvals.Error{Code: approvals.CodeBreakGlassCap}, "as often as a day allows"},
		{"not requester nor approver", &approvals.Error{Code: approvals.CodeNotPermitted, Rule: approvals.RuleOwner, Op: approvals.OpWithdraw, RequestID: "R-1", Msg: "U1 is neither the requester nor an approver"}, "Only the requester or an approver"},
		{"requester not allowed", &approvals.Error{Code: approvals.CodeNotPermitted, Rule: approvals.RuleRequester, Op: approvals.OpOpen, Msg: "U1 may not request response actions"}, "may not request"},
		{"already approved", &approvals.Error{Code: approvals.CodeAlreadyDecided, RequestID: "R-1"}, "already decided"},
		{"decided already", &approvals.Error{Code: approvals.CodeNotAwaiting, RequestID: "R-1", State: approvals.StateDenied}, "already decided"},
		{"withdrawn", &approvals.Error{Code: approvals.CodeNotAwaiting, RequestID: "R-1", State: approvals.StateWithdrawn}, "withdrawn"},
		{"expired", &approvals.Error{Code: approvals.CodeExpired, RequestID: "R-1"}, "expired"},
		{"changed", &approvals.Error{Code: approvals.CodeFingerprint, RequestID: "R-1"}, "changed"},
		{"no such request", approvals.ErrNotFound, "No such request"},
		{"reason required", approvals.ErrReasonRequired, "reason is required"},
		{"conflict names the live request", &approvals.Error{Code: approvals.CodeConflict, Existing: "R-LIVE"}, "R-LIVE"},
		{"illegal", &approvals.Error{Code: approvals.CodeIllegal, State: approvals.StateTimedOut}, "timed out"},
		{"invalid", &approvals.Error{Code: approvals.CodeInvalid, Msg: "a <b> thing"}, "a &lt;b&gt; thing"},
		{"group lookup", approvals.ErrGroupLookup, "approver groups"},
		{"targets that do not resolve", &UnresolvedError{Unknown: []string{"ws-9"}, EmptyTags: []string{"tag:x"}}, "Nothing was requested: 2 targets do not name exactly"},
		{"a group name of several groups", fmt.Errorf("x: %w", &defender.AmbiguousGroupError{Name: "Lab", IDs: []int64{1, 2}}), "Nothing was requested: 1 target does not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := explain(tc.err)
			if !ok || !strings.Contains(m.Text, tc.want) {
				t.Errorf("explain = %q, %v; want a sentence with %q", m.Text, ok, tc.want)
			}
		})
	}
}

func TestAnUnknownErrorIsAnInternalErrorWithItsDetailOnlyInTheLog(t *testing.T) {
	h := newHarness(t)
	bot := &Bot{log: h.logger()}
	m := bot.errorMessage(t.Context(), errors.New("disk on fire: /var/secret/path"))
	if !strings.Contains(m.Text, "E-") || strings.Contains(m.Text, "disk on fire") {
		t.Errorf("message = %q, want a reference without the detail", m.Text)
	}
	ref := m.Text[strings.Index(m.Text, "E-"):][:10]
	if !strings.Contains(h.logs.String(), ref) || !strings.Contains(h.logs.String(), "disk on fire") {
		t.Errorf("the log lacks the reference %s with the detail", ref)
	}
}

func TestNothingToUnblockSaysSoInPlainWords(t *testing.T) {
	m, ok := explain(fmt.Errorf("x: %w", defender.ErrNoBlockIndicator))
	if !ok {
		t.Fatal("not explained")
	}
	want := ":white_circle: Nothing to unblock: Defender has no block indicator for this hash that mdebot can see; with Ti.ReadWrite.All it would see those created by others. Nothing was changed."
	if m.Text != want {
		t.Errorf("explain = %q, want %q", m.Text, want)
	}
}

func TestAnActionTheMachineCannotRunFailsWithAReason(t *testing.T) {
	h := newHarness(t)
	// Microsoft's current pages let macOS be isolated; restricting app
	// execution there is still refused.
	h.slash(responder, socChannel, "restrict mac-0007 suspicious login")
	card := h.card("awaiting approval")
	h.click(approver1, card, blocks.ActionApprove)
	h.reply(card, "does not support this action")
	h.card("failed")
	if r := h.only(); r.State != approvals.StateFailed {
		t.Errorf("request = %s, want failed", r.State)
	}
}

func TestAMissingPermissionIsNamed(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) {
		c.mdeOpts = append(c.mdeOpts, defendertest.WithRoles(defendertest.RoleMachineReadAll))
	})
	h.slash(responder, socChannel, "scan ws-0042 quick check")
	card := h.card("requested by")
	h.reply(card, "Machine.Scan")
}

func TestAReplyThroughAResponseURLThatFailsNeverLogsTheURLsSecretPath(t *testing.T) {
	h := newHarness(t)
	b := h.detachedBot()
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/commands/T0TEAM/123456/s3cr3tT0k3n"
	dead.Close() // the POST fails in the transport: slack-go's error quotes the URL
	b.reply(h.ctx(), interaction{responseURL: url}, blocks.RenderNotice("hello"))
	logs := h.logs.String()
	if !strings.Contains(logs, "reply through response_url failed") {
		t.Fatalf("the failure was not logged:\n%s", logs)
	}
	if strings.Contains(logs, "s3cr3tT0k3n") {
		t.Errorf("the response_url's secret reached the log:\n%s", lastLines(logs, 3))
	}
}
