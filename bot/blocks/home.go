package blocks

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/command"
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
	HomeMaxReviews  = 5  // break-glass actions awaiting review (two blocks each)
	slackMaxBlocks  = 100
)

// App Home action and block ids.
const (
	ActionHomeKind    = "mde_home_kind"    // static_select: a kind, or "all"
	ActionHomeOutcome = "mde_home_outcome" // static_select: an outcome, or "all"
	ActionHomeDMs     = "mde_home_dms"     // value: "off" to stop the approval DMs, "on" to resume them
	callbackHome      = "mde_home"         // private_metadata: HomeFilter.encode()
	blockHomeTitle    = "mde_home_title"
	blockHomeFilters  = "mde_home_filters"
	BlockHomePrefix   = "mde_home_" // + section + "_" + index
	homeAll           = "all"
)

// HomeActionID is the action id of the button action (ActionApprove or
// ActionDeny) of the i-th pending request: action ids are unique within a
// view.
func HomeActionID(action string, i int) string { return action + "." + strconv.Itoa(i) }

// HomeAction is the button action of a home action id (see HomeActionID).
func HomeAction(actionID string) string {
	base, _, _ := strings.Cut(actionID, ".")
	return base
}

// HomeFilter narrows the recent history of the App Home.
type HomeFilter struct {
	Kind    command.Verb      // an action verb, or "" for every kind
	Outcome approvals.Outcome // or "" for every outcome
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

// ParseHomeFilter reads a home view's private_metadata; anything it does
// not know is dropped.
func ParseHomeFilter(s string) HomeFilter {
	v, _ := url.ParseQuery(s)
	var f HomeFilter
	f.SetKind(v.Get("kind"))
	f.SetOutcome(v.Get("outcome"))
	return f
}

// SetKind sets the kind filter from a select's value; "all" or an unknown
// value clears it.
func (f *HomeFilter) SetKind(s string) {
	f.Kind = ""
	if v, ok := command.LookupVerb(s); ok && v.IsAction() {
		f.Kind = v
	}
}

// SetOutcome sets the outcome filter from a select's value; "all" or an
// unknown value clears it.
func (f *HomeFilter) SetOutcome(s string) {
	f.Outcome, _ = approvals.ParseOutcome(s)
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
	// InFlightHidden hides the running actions from a viewer who may not
	// look up machines and requests (see approvals.OpLookUp).
	InFlightHidden bool
	// History is the recent history under Filter (empty when the viewer
	// may not read history).
	History     []HistoryRow
	CanHistory  bool
	Filter      HomeFilter
	Notice      string // mrkdwn shown on top, e.g. why a click was refused
	ApproverFor bool   // whether the viewer is an approver
	// ApprovalDMsOff is set when the viewer (an approver) asked not to get
	// requests to approve by DM.
	ApprovalDMsOff bool
	// Reviews are the break-glass actions awaiting their after-review,
	// shown to approvers until one reviews them, oldest first.
	Reviews []RequestView
}

// RenderHome renders the App Home tab of v. It never exceeds Slack's 100
// blocks: each section shows a bounded number of rows and says how many it
// left out.
func RenderHome(v HomeView) slack.HomeTabViewRequest {
	blocks := []slack.Block{slack.NewSectionBlock(renderMrkdwn("*mdebot*: response actions in Defender, with a second person approving.", MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(blockHomeTitle))}
	if v.Notice != "" {
		blocks = append(blocks, slack.NewContextBlock(BlockHomePrefix+"notice", renderMrkdwn(v.Notice, slackMaxContextText)))
	}
	section := func(name, title string) {
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(renderMrkdwn("*"+title+"*", MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(BlockHomePrefix+name)))
	}
	more := func(name string, shown, total int) {
		if total > shown {
			blocks = append(blocks, slack.NewContextBlock(BlockHomePrefix+name+"_more",
				renderMrkdwn(fmt.Sprintf("%d more not shown; use `/mde history` or `/mde status`.", total-shown), slackMaxContextText)))
		}
	}
	rows := func(name string, rs []HistoryRow, max int, empty string) {
		if len(rs) == 0 {
			blocks = append(blocks, slack.NewContextBlock(BlockHomePrefix+name+"_empty", renderMrkdwn(empty, slackMaxContextText)))
		}
		for i, r := range rs[:min(len(rs), max)] {
			blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(renderHistoryRow(r), MaxSectionText), nil, nil,
				slack.SectionBlockOptionBlockID(BlockHomePrefix+name+"_"+strconv.Itoa(i))))
		}
	}

	if v.ApproverFor && len(v.Reviews) > 0 {
		section("reviews", ":rotating_light: Break-glass actions to review")
		for i, r := range v.Reviews[:min(len(v.Reviews), HomeMaxReviews)] {
			id := BlockHomePrefix + "reviews_" + strconv.Itoa(i)
			blocks = append(blocks,
				slack.NewSectionBlock(renderMrkdwn("*"+EscapeText(renderHeadline(r))+"* · "+RenderCode(r.ID, 40)+"\n"+renderBreakGlassLine(r), MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(id)),
				slack.NewActionBlock(id+"_actions",
					slack.NewButtonBlockElement(HomeActionID(ActionAcknowledge, i), renderValue(r.ID, slackMaxButtonValue), renderPlain("Acknowledge", MaxButtonText)).WithStyle(slack.StylePrimary),
					slack.NewButtonBlockElement(HomeActionID(ActionFlag, i), renderValue(r.ID, slackMaxButtonValue), renderPlain("Flag", MaxButtonText)).WithStyle(slack.StyleDanger)))
		}
		more("reviews", min(len(v.Reviews), HomeMaxReviews), len(v.Reviews))
	}
	if v.ApproverFor {
		section("pending", "Awaiting your approval")
		if len(v.Pending) == 0 {
			blocks = append(blocks, slack.NewContextBlock(BlockHomePrefix+"pending_empty", renderMrkdwn("Nothing awaits your approval.", slackMaxContextText)))
		}
		for i, r := range v.Pending[:min(len(v.Pending), HomeMaxPending)] {
			id := BlockHomePrefix + "pending_" + strconv.Itoa(i)
			blocks = append(blocks,
				slack.NewSectionBlock(renderMrkdwn(renderPendingRow(r), MaxSectionText), nil, nil, slack.SectionBlockOptionBlockID(id)),
				slack.NewActionBlock(id+"_actions",
					renderApproveButton(HomeActionID(ActionApprove, i), r),
					slack.NewButtonBlockElement(HomeActionID(ActionDeny, i), renderValue(r.ID, slackMaxButtonValue), renderPlain("Deny", MaxButtonText)).WithStyle(slack.StyleDanger)))
		}
		more("pending", min(len(v.Pending), HomeMaxPending), max(v.PendingTotal, len(v.Pending)))
		text, label, value := "Approval DMs: *on*. Each request you may approve is also sent to your DMs, with Approve and Deny.", "Stop approval DMs", "off"
		if v.ApprovalDMsOff {
			text, label, value = "Approval DMs: *off*. Requests to approve show here and on their cards only.", "Send me approval DMs", "on"
		}
		blocks = append(blocks, slack.NewSectionBlock(renderMrkdwn(text, MaxSectionText), nil,
			slack.NewAccessory(slack.NewButtonBlockElement(ActionHomeDMs, value, renderPlain(label, MaxButtonText))),
			slack.SectionBlockOptionBlockID(BlockHomePrefix+"dms")))
	}
	section("own", "Your open requests")
	rows("own", v.Own, HomeMaxOwn, "You have no open requests.")
	more("own", min(len(v.Own), HomeMaxOwn), max(v.OwnTotal, len(v.Own)))
	if !v.InFlightHidden {
		section("inflight", "Running in Defender")
		rows("inflight", v.InFlight, HomeMaxInFlight, "No action is running.")
		more("inflight", min(len(v.InFlight), HomeMaxInFlight), max(v.InFlightTotal, len(v.InFlight)))
	}
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
	return fmt.Sprintf("*%s* · by %s · %d of %d approvals · expires %s\nReason: %s", EscapeText(renderHeadline(r)),
		RenderMention(r.Requester), approvals, r.RequiredApprovals, renderDate(r.Expires), EscapeTruncate(renderOneLine(r.Reason), 300))
}

// renderHomeFilters is the kind and outcome selects of the recent history.
func renderHomeFilters(f HomeFilter) *slack.ActionBlock {
	all := slack.NewOptionBlockObject(homeAll, renderPlain("All kinds", 75), nil)
	kinds := []*slack.OptionBlockObject{all}
	kindSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, renderPlain("Kind", 150), ActionHomeKind)
	kindSel.InitialOption = all
	for _, v := range command.Verbs() {
		if !v.IsAction() {
			continue
		}
		o := slack.NewOptionBlockObject(string(v), renderPlain(renderKindTitle(approvals.Kind(v)), 75), nil)
		kinds = append(kinds, o)
		if v == f.Kind {
			kindSel.InitialOption = o
		}
	}
	kindSel.Options = kinds
	allOutcomes := slack.NewOptionBlockObject(homeAll, renderPlain("All outcomes", 75), nil)
	outcomes := []*slack.OptionBlockObject{allOutcomes}
	outSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, renderPlain("Outcome", 150), ActionHomeOutcome)
	outSel.InitialOption = allOutcomes
	for _, o := range approvals.Outcomes() {
		opt := slack.NewOptionBlockObject(string(o), renderPlain(string(o), 75), nil)
		outcomes = append(outcomes, opt)
		if o == f.Outcome {
			outSel.InitialOption = opt
		}
	}
	outSel.Options = outcomes
	return slack.NewActionBlock(blockHomeFilters, kindSel, outSel)
}
