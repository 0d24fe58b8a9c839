package blocks

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// Action ids: what a click or a submission is, as the handlers dispatch on.
const (
	ActionApprove     = "mde_approve"      // value: approveValue(request id, fingerprint)
	ActionDeny        = "mde_deny"         // value: request id; opens the deny modal
	ActionWithdraw    = "mde_withdraw"     // value: request id
	ActionCancel      = "mde_cancel"       // value: request id; cancels its MDE action
	ActionPackageLink = "mde_package_link" // value: request id of a finished collection
	actionPickMachine = "mde_pick_machine" // + "_" + candidate index (unique per message); value: the command to re-run, or a machine id
	ActionHistoryMore = "mde_history_more" // value: history cursor
	ActionDenyReason  = "mde_deny_reason"  // the deny modal's reason input
	ActionAcknowledge = "mde_review_ack"   // value: request id; opens the review modal to acknowledge a break-glass action
	ActionFlag        = "mde_review_flag"  // value: request id; opens the review modal to flag it
	ActionReviewNote  = "mde_review_note"  // the review modal's note input
)

// Block ids. Those of a message are unique within it, as Slack requires.
const (
	blockCardHeader     = "mde_card_header"
	blockCardFields     = "mde_card_fields"
	blockCardReason     = "mde_card_reason"
	blockCardDecisions  = "mde_card_decisions"
	blockCardStatus     = "mde_card_status"
	blockCardNotes      = "mde_card_notes"
	blockCardActions    = "mde_card_actions"
	blockReply          = "mde_reply"
	blockCancel         = "mde_cancel_actions"
	blockPackage        = "mde_package_actions"
	blockNotice         = "mde_notice"
	blockHelpPrefix     = "mde_help_" // + section index
	blockMachine        = "mde_machine"
	blockMachineFields  = "mde_machine_fields"
	blockMachineNotes   = "mde_machine_notes"
	blockPickIntro      = "mde_pick_intro"
	blockPickPrefix     = "mde_pick_" // + candidate index
	blockPickMore       = "mde_pick_more"
	blockHistoryTitle   = "mde_history_title"
	blockHistoryPrefix  = "mde_history_" // + row index
	blockHistoryMore    = "mde_history_more"
	blockDenySummary    = "mde_deny_summary"
	BlockDenyReason     = "mde_deny_reason_input"
	blockCardBreakGlass = "mde_card_break_glass"
	blockReviewActions  = "mde_review_actions"
	blockDMCard         = "mde_dm_card"
	blockReviewSummary  = "mde_review_summary"
	BlockReviewNote     = "mde_review_note_input"
	blockUnresolved     = "mde_unresolved"          // the intro
	blockUnresolvedList = "mde_unresolved_"         // + "unknown", "empty" or "groups"
	blockUnresolvedAmb  = "mde_unresolved_amb_"     // + ambiguous target index
	blockUnresolvedMore = "mde_unresolved_amb_more" // the ambiguous targets not shown
)

// CallbackDenyModal is the callback_id of the deny modal; its
// private_metadata is the request id.
const CallbackDenyModal = "mde_deny_modal"

// CallbackReviewModal is the callback_id of the break-glass review modal;
// its private_metadata is ReviewMetadata.
const CallbackReviewModal = "mde_review_modal"

// ApproveSep separates the request id from the fingerprint in the Approve
// button's value.
const ApproveSep = ":"

// approveValue is the value of the Approve button: "<request id>:<fingerprint>".
// The fingerprint comes back with the click, so the server approves only
// if the request still has the fingerprint the card showed; nothing else in
// the value is trusted.
func approveValue(requestID, fingerprint string) string {
	return requestID + ApproveSep + fingerprint
}

// ParseApproveValue splits an Approve button's value. The fingerprint is
// after the last separator, so a request id may contain one.
func ParseApproveValue(v string) (requestID, fingerprint string, ok bool) {
	i := strings.LastIndex(v, ApproveSep)
	if i <= 0 || i == len(v)-1 {
		return "", "", false
	}
	return v[:i], v[i+1:], true
}

// Message is a rendered Slack message: the Block Kit blocks, and Text, the
// plain fallback Slack shows in notifications and in clients without
// blocks. Text is mrkdwn-escaped like the blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// newMessage clamps the fallback text and the number of blocks to Slack's
// limits for a message.
func newMessage(text string, blocks ...slack.Block) Message {
	if len(blocks) > MaxBlocksPerMessage {
		blocks = blocks[:MaxBlocksPerMessage]
	}
	return Message{Text: renderClamp(text, slackMaxFallbackText), Blocks: blocks}
}

// PickActionID is the action id of the n-th "Use this machine" button:
// action ids stay unique within a message.
func PickActionID(n int) string {
	return actionPickMachine + "_" + strconv.Itoa(n)
}

// IsPickAction reports whether actionID is a "Use this machine" button.
func IsPickAction(actionID string) bool {
	return strings.HasPrefix(actionID, actionPickMachine+"_")
}
