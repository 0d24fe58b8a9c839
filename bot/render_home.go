package bot

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// App Home limits: each section shows at most this many requests, so the
// view stays under Slack's 100 blocks whatever the data (at most
// 1 + 2·15 + 10 + 10 + 15 + 4·3 + 1 = 79 blocks).
const (
	HomeMaxPending  = 15 // awaiting the viewer's approval (two blocks each)
	HomeMaxOwn      = 10 // the viewer's open requests
	HomeMaxInFlight = 10 // actions running in Defender
	HomeMaxHistory  = 15 // recent history rows
	slackMaxBlocks  = 100
)

// App Home action and block ids.
const (
	actionHomeKind    = "mde_home_kind"    // static_select: a kind, or "all"
	actionHomeOutcome = "mde_home_outcome" // static_select: an outcome, or "all"
	callbackHome      = "mde_home"         // private_metadata: HomeFilter.encode()
	blockHomeTitle    = "mde_home_title"
	blockHomeFilters  = "mde_home_filters"
	blockHomePrefix   = "mde_home_" // + section + "_" + index
	homeAll           = "all"
)

// homeActionID is the action id of the button action (actionApprove or
// actionDeny) of the i-th pending request: action ids are unique within a
// view.
func homeActionID(action string, i int) string { return action + "." + strconv.Itoa(i) }

// homeAction is the button action of a home action id (see homeActionID).
func homeAction(actionID string) string {
	base, _, _ := strings.Cut(actionID, ".")
	return base
}

// HomeFilter narrows the recent history of the App Home.
type HomeFilter struct {
	Kind    Verb    // an action verb, or "" for every kind
	Outcome Outcome // or "" for every outcome
}

// encode is f as the home view's private_metadata.
func (f HomeFilter) encode() string {
	v := url.Values{}
	if f.Kind != "" {
		v.Set("kind", string(f.Kind))
	}
	if f.Outcome != "" {
		v.Set("outcome", string(f.Outcome))
	}
	return v.Encode()
}

// parseHomeFilter reads a home view's private_metadata; anything it does
// not know is dropped.
func parseHomeFilter(s string) HomeFilter {
	v, _ := url.ParseQuery(s)
	var f HomeFilter
	f.setKind(v.Get("kind"))
	f.setOutcome(v.Get("outcome"))
	return f
}

// setKind sets the kind filter from a select's value; "all" or an unknown
// value clears it.
func (f *HomeFilter) setKind(s string) {
	f.Kind = ""
	if v, ok := lookupVerb(s); ok && v.IsAction() {
		f.Kind = v
	}
}

// setOutcome sets the outcome filter from a select's value; "all" or an
// unknown value clears it.
func (f *HomeFilter) setOutcome(s string) {
	f.Outcome = ""
	for _, o := range Outcomes() {
		if string(o) == s {
			f.Outcome = o
		}
	}
}

// HomeView is what the App Home shows one viewer.
type HomeView struct {
	Viewer string // Slack user id
	// Pending are the requests awaiting the viewer's approval, soonest
	// expiry first; PendingTotal counts them all.
	Pending      []RequestView
	PendingTotal int
	// Own are the viewer's open requests; OwnTotal counts them all.
	Own      []HistoryRow
	OwnTotal int
	// InFlight are the actions running in Defender; InFlightTotal counts
	// them all.
	InFlight      []HistoryRow
	InFlightTotal int
	// History is the recent history under Filter (empty when the viewer
	// may not read history).
	History     []HistoryRow
	CanHistory  bool
	Filter      HomeFilter
	Notice      string // mrkdwn shown on top, e.g. why a click was refused
	ApproverFor bool   // whether the viewer is an approver
}

// RenderHome renders the App Home tab of v. It never exceeds Slack's 100
// blocks: each section shows a bounded number of rows and says how many it
// left out.
func RenderHome(v HomeView) slack.HomeTabViewRequest {
	blocks := []slack.Block{slack.NewSectionBlock(renderMrkdwn("*mdebot*: response actions in Defender, with a second person approving.", MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockHomeTitle))}
	if v.Notice != "" {
		blocks = append(blocks, slack.NewContextBlock(blockHomePrefix+"notice", renderMrkdwn(v.Notice, slackMaxContextText)))
	}
	section := func(name, title string) {
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(renderMrkdwn("*"+title+"*", MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockHomePrefix+name)))
	}
	more := func(name string, shown, total int) {
		if total > shown {
			blocks = append(blocks, slack.NewContextBlock(blockHomePrefix+name+"_more",
				renderMrkdwn(fmt.Sprintf("%d more not shown; use `/mde history` or `/mde status`.", total-shown), slackMaxContextText)))
		}
	}
	rows := func(name string, rs []HistoryRow, max int, empty string) {
		if len(rs) == 0 {
			blocks = append(blocks, slack.NewContextBlock(blockHomePrefix+name+"_empty", renderMrkdwn(empty, slackMaxContextText)))
		}
		for i, r := range rs[:min(len(rs), max)] {
			blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(renderHistoryRow(r), MaxSectionText), nil, nil,
				slack.SectionBlockOptionBlockID(blockHomePrefix+name+"_"+strconv.Itoa(i))))
		}
	}

	if v.ApproverFor {
		section("pending", "Awaiting your approval")
		if len(v.Pending) == 0 {
			blocks = append(blocks, slack.NewContextBlock(blockHomePrefix+"pending_empty", renderMrkdwn("Nothing awaits your approval.", slackMaxContextText)))
		}
		for i, r := range v.Pending[:min(len(v.Pending), HomeMaxPending)] {
			id := blockHomePrefix + "pending_" + strconv.Itoa(i)
			approve := slack.NewButtonBlockElement(homeActionID(actionApprove, i), renderValue(approveValue(r.ID, r.Fingerprint), slackMaxButtonValue), renderPlain("Approve", MaxButtonText)).WithStyle(slack.StylePrimary)
			if renderDisruptive(r.Kind) {
				approve = approve.WithConfirm(renderApproveConfirm(r)) // as on the card
			}
			blocks = append(blocks,
				slack.NewSectionBlock(renderMrkdwn(renderPendingRow(r), MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(id)),
				slack.NewActionBlock(id+"_actions", approve,
					slack.NewButtonBlockElement(homeActionID(actionDeny, i), renderValue(r.ID, slackMaxButtonValue), renderPlain("Deny", MaxButtonText)).WithStyle(slack.StyleDanger)))
		}
		more("pending", min(len(v.Pending), HomeMaxPending), max(v.PendingTotal, len(v.Pending)))
	}
	section("own", "Your open requests")
	rows("own", v.Own, HomeMaxOwn, "You have no open requests.")
	more("own", min(len(v.Own), HomeMaxOwn), max(v.OwnTotal, len(v.Own)))
	section("inflight", "Running in Defender")
	rows("inflight", v.InFlight, HomeMaxInFlight, "No action is running.")
	more("inflight", min(len(v.InFlight), HomeMaxInFlight), max(v.InFlightTotal, len(v.InFlight)))
	if v.CanHistory {
		section("history", "Recent history")
		blocks = append(blocks, renderHomeFilters(v.Filter))
		rows("history", v.History, HomeMaxHistory, "No requests match.")
	}
	if len(blocks) > slackMaxBlocks { // cannot happen with the limits above; never let Slack refuse the view
		blocks = blocks[:slackMaxBlocks]
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: callbackHome, PrivateMetadata: v.Filter.encode(),
		Blocks: slack.Blocks{BlockSet: blocks}}
}

// renderPendingRow is a request awaiting approval, in one paragraph.
func renderPendingRow(r RequestView) string {
	approvals := 0
	for _, d := range r.Decisions {
		if d.Approved {
			approvals++
		}
	}
	return fmt.Sprintf("*%s* · by %s · %d of %d approvals · expires %s\nReason: %s", escapeText(renderHeadline(r)),
		renderMention(r.Requester), approvals, r.RequiredApprovals, renderDate(r.Expires), escapeTruncate(renderOneLine(r.Reason), 300))
}

// renderHomeFilters is the kind and outcome selects of the recent history.
func renderHomeFilters(f HomeFilter) *slack.ActionBlock {
	all := slack.NewOptionBlockObject(homeAll, renderPlain("All kinds", 75), nil)
	kinds := []*slack.OptionBlockObject{all}
	kindSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, renderPlain("Kind", 150), actionHomeKind)
	kindSel.InitialOption = all
	for _, v := range verbs() {
		if !v.IsAction() {
			continue
		}
		o := slack.NewOptionBlockObject(string(v), renderPlain(renderKindTitle(RequestKind(v)), 75), nil)
		kinds = append(kinds, o)
		if v == f.Kind {
			kindSel.InitialOption = o
		}
	}
	kindSel.Options = kinds
	allOutcomes := slack.NewOptionBlockObject(homeAll, renderPlain("All outcomes", 75), nil)
	outcomes := []*slack.OptionBlockObject{allOutcomes}
	outSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, renderPlain("Outcome", 150), actionHomeOutcome)
	outSel.InitialOption = allOutcomes
	for _, o := range Outcomes() {
		opt := slack.NewOptionBlockObject(string(o), renderPlain(string(o), 75), nil)
		outcomes = append(outcomes, opt)
		if o == f.Outcome {
			outSel.InitialOption = opt
		}
	}
	outSel.Options = outcomes
	return slack.NewActionBlock(blockHomeFilters, kindSel, outSel)
}
