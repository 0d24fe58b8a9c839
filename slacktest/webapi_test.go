package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

func TestTokensAreCheckedWithSlacksErrorStrings(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	tests := []struct {
		name, token, want string
	}{
		{"the bot token is accepted", BotToken, ""},
		{"a wrong token is invalid_auth", "xoxb-wrong", "invalid_auth"},
		{"no token is not_authed", "", "not_authed"},
		{"the app token is not a bot token", AppToken, "not_allowed_token_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := slack.New(tt.token, slack.OptionAPIURL(s.APIURL()))
			_, err := api.AuthTestContext(ctx)
			if got := slackError(err); got != tt.want {
				t.Errorf("auth.test error = %q, want %q", got, tt.want)
			}
			_, _, err = api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("hi", false))
			if got := slackError(err); got != tt.want {
				t.Errorf("chat.postMessage error = %q, want %q", got, tt.want)
			}
		})
	}
	if _, _, err := slack.New(BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(BotToken)).
		StartSocketModeContext(ctx); slackError(err) != "not_allowed_token_type" {
		t.Errorf("apps.connections.open with the bot token: %v", err)
	}
}

func TestAuthTestDescribesTheBot(t *testing.T) {
	s := newTestServer(t, WithTeam("T0ACME", "acme"))
	got, err := webClient(s).AuthTestContext(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	want := &slack.AuthTestResponse{URL: "https://acme.slack.com/", Team: "acme", User: "mdebot", TeamID: "T0ACME", UserID: BotUserID, BotID: BotID}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Header" }, cmp.Ignore())); diff != "" {
		t.Errorf("auth.test (-want +got):\n%s", diff)
	}
}

func TestPostedMessagesAreStoredWithUniqueIncreasingTimestamps(t *testing.T) {
	clock := newManualClock() // frozen: ts must still increase
	s := newTestServer(t, WithClock(clock.Now))
	ctx := testContext(t)
	api := webClient(s)
	var tss []string
	for i := range 3 {
		ch, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText(fmt.Sprintf("msg %d", i), false))
		if err != nil {
			t.Fatal(err)
		}
		if ch != ops.ID {
			t.Errorf("channel = %q", ch)
		}
		tss = append(tss, ts)
	}
	if want := []string{"1700000000.000000", "1700000000.000001", "1700000000.000002"}; !cmp.Equal(tss, want) {
		t.Errorf("ts = %v, want %v", tss, want)
	}
	_, reply, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("in thread", false), slack.MsgOptionTS(tss[0]))
	if err != nil {
		t.Fatal(err)
	}
	thread := s.Thread(ops.ID, tss[0])
	if len(thread) != 1 || thread[0].TS != reply || thread[0].Text != "in thread" {
		t.Errorf("thread = %+v", thread)
	}
	msgs := s.Messages(ops.ID)
	if len(msgs) != 4 || msgs[0].Text != "msg 0" || msgs[0].User != BotUserID {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestChatPostMessageRejectsWhatSlackRejects(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	text := func(typ, s string) *slack.TextBlockObject { return slack.NewTextBlockObject(typ, s, false, false) }
	section := func(s string) slack.Block { return slack.NewSectionBlock(text(slack.MarkdownType, s), nil, nil) }
	button := func(id, label string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(id, "v", text(slack.PlainTextType, label))
	}
	many := func(n int) []slack.Block {
		var bs []slack.Block
		for range n {
			bs = append(bs, slack.NewDividerBlock())
		}
		return bs
	}
	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		{"a plain text message is fine", ops.ID, []slack.MsgOption{slack.MsgOptionText("hello", false)}, ""},
		{"an unknown channel is channel_not_found", "C0NOPE", []slack.MsgOption{slack.MsgOptionText("hello", false)}, "channel_not_found"},
		{"a message without text or blocks is no_text", ops.ID, nil, "no_text"},
		{"text of 40,000 characters is fine", ops.ID, []slack.MsgOption{slack.MsgOptionText(strings.Repeat("é", 40000), false)}, ""},
		{"text over 40,000 characters is msg_too_long", ops.ID, []slack.MsgOption{slack.MsgOptionText(strings.Repeat("a", 40001), false)}, "msg_too_long"},
		{"50 blocks are fine", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(many(50)...)}, ""},
		{"51 blocks are invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(many(51)...)}, "invalid_blocks"},
		{"section text of 3,000 characters is fine", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(section(strings.Repeat("a", 3000)))}, ""},
		{"section text over 3,000 characters is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(section(strings.Repeat("a", 3001)))}, "invalid_blocks"},
		{"header text over 150 characters is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(text(slack.PlainTextType, strings.Repeat("h", 151))))}, "invalid_blocks"},
		{"a mrkdwn header is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(text(slack.MarkdownType, "*h*")))}, "invalid_blocks"},
		{"button text of 75 characters is fine", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", button("b", strings.Repeat("x", 75))))}, ""},
		{"button text over 75 characters is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", button("b", strings.Repeat("x", 76))))}, "invalid_blocks"},
		{"a mrkdwn button label is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", text(slack.MarkdownType, "*x*"))))}, "invalid_blocks"},
		{"an action_id over 255 characters is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", button(strings.Repeat("i", 256), "ok")))}, "invalid_blocks"},
		{"a block_id over 255 characters is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock(strings.Repeat("i", 256), button("b", "ok")))}, "invalid_blocks"},
		{"duplicate action_ids are invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", button("b", "ok")), slack.NewActionBlock("c", button("b", "ok")))}, "invalid_blocks"},
		{"duplicate block_ids are invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", button("b", "ok")), slack.NewActionBlock("a", button("c", "ok")))}, "invalid_blocks"},
		{"a button without action_id is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(rawBlock(`{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"ok"}}]}`))}, "invalid_blocks"},
		{"an unknown block type is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(rawBlock(`{"type":"sektion","text":{"type":"mrkdwn","text":"x"}}`))}, "invalid_blocks"},
		{"a section without text or fields is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(rawBlock(`{"type":"section"}`))}, "invalid_blocks"},
		{"a section text given as a string is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(rawBlock(`{"type":"section","text":"plain string"}`))}, "invalid_blocks"},
		{"an empty text object is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(section(""))}, "invalid_blocks"},
		{"eleven section fields are invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			text("mrkdwn", "1"), text("mrkdwn", "2"), text("mrkdwn", "3"), text("mrkdwn", "4"), text("mrkdwn", "5"), text("mrkdwn", "6"),
			text("mrkdwn", "7"), text("mrkdwn", "8"), text("mrkdwn", "9"), text("mrkdwn", "10"), text("mrkdwn", "11")}, nil))}, "invalid_blocks"},
		{"an actions block without elements is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a"))}, "invalid_blocks"},
		{"a context with a button is invalid_blocks", ops.ID, []slack.MsgOption{slack.MsgOptionBlocks(rawBlock(`{"type":"context","elements":[{"type":"button","action_id":"x","text":{"type":"plain_text","text":"ok"}}]}`))}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(ctx, tt.channel, tt.opts...)
			if got := slackError(err); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBlocksThatAreNotAJSONArrayAreInvalidBlocksFormat(t *testing.T) {
	s := newTestServer(t)
	got := postForm(t, s, "chat.postMessage", url.Values{"token": {BotToken}, "channel": {ops.ID}, "blocks": {`{"type":"divider"}`}})
	if got != "invalid_blocks_format" {
		t.Errorf("error = %q, want invalid_blocks_format", got)
	}
}

func TestBlockErrorsNameTheOffendingField(t *testing.T) {
	s := newTestServer(t)
	_, _, err := webClient(s).PostMessageContext(testContext(t), ops.ID, slack.MsgOptionBlocks(
		slack.NewDividerBlock(),
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))))
	var se slack.SlackErrorResponse
	if !asSlackError(err, &se) {
		t.Fatalf("err = %v", err)
	}
	want := []string{"[ERROR] must be less than 151 characters [json-pointer:/blocks/1/text/text]"}
	if diff := cmp.Diff(want, se.ResponseMetadata.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestChatUpdateEditsTheStoredMessage(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("pending", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "pending", false, false), nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionText("approved", false)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Message(MessageRef{ops.ID, ts})
	if m.Text != "approved" || m.Edited != 1 || len(m.Blocks) == 0 {
		t.Errorf("after a text-only update (blocks kept): %+v", m)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionBlocks(slack.NewDividerBlock()), slack.MsgOptionText("done", false))
	if err != nil {
		t.Fatal(err)
	}
	m, _ = s.Message(MessageRef{ops.ID, ts})
	if m.Text != "done" || m.Edited != 2 || !strings.Contains(string(m.Blocks), `"divider"`) {
		t.Errorf("after a blocks update: %+v", m)
	}
	tests := []struct {
		name, channel, ts string
		opts              []slack.MsgOption
		want              string
	}{
		{"an unknown ts is message_not_found", ops.ID, "1.000001", []slack.MsgOption{slack.MsgOptionText("x", false)}, "message_not_found"},
		{"an unknown channel is channel_not_found", "C0NOPE", ts, []slack.MsgOption{slack.MsgOptionText("x", false)}, "channel_not_found"},
		{"too long text is msg_too_long", ops.ID, ts, []slack.MsgOption{slack.MsgOptionText(strings.Repeat("a", 40001), false)}, "msg_too_long"},
		{"bad blocks are invalid_blocks", ops.ID, ts, []slack.MsgOption{slack.MsgOptionBlocks(rawBlock(`{"type":"nope"}`))}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := api.UpdateMessageContext(ctx, tt.channel, tt.ts, tt.opts...)
			if got := slackError(err); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChatPostEphemeralIsVisibleToOneUser(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	ts, err := api.PostEphemeralContext(ctx, ops.ID, alice.ID, slack.MsgOptionText("only you", false))
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(ops.ID)
	want := []Message{{Channel: ops.ID, TS: ts, User: BotUserID, Text: "only you", Ephemeral: true, VisibleTo: alice.ID}}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if _, err := api.PostEphemeralContext(ctx, ops.ID, "U0NOPE", slack.MsgOptionText("x", false)); slackError(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C0NOPE", alice.ID, slack.MsgOptionText("x", false)); slackError(err) != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ops.ID, ts, slack.MsgOptionText("x", false)); slackError(err) != "message_not_found" {
		t.Errorf("updating an ephemeral: %v, want message_not_found", err)
	}
}

func TestChatDeleteMarksTheMessageDeleted(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("bye", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.DeleteMessageContext(ctx, ops.ID, ts); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(MessageRef{ops.ID, ts}); !m.Deleted {
		t.Errorf("message not deleted: %+v", m)
	}
	if _, _, err := api.DeleteMessageContext(ctx, ops.ID, ts); slackError(err) != "message_not_found" {
		t.Errorf("deleting twice: %v, want message_not_found", err)
	}
}

func TestChatGetPermalinkLinksToTheMessage(t *testing.T) {
	s := newTestServer(t, WithTeam("T0ACME", "acme"))
	ctx := testContext(t)
	api := webClient(s)
	_, ts, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("link me", false))
	if err != nil {
		t.Fatal(err)
	}
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ops.ID, Ts: ts})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://acme.slack.com/archives/C0OPS/p" + strings.ReplaceAll(ts, ".", ""); link != want {
		t.Errorf("permalink = %q, want %q", link, want)
	}
	if _, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ops.ID, Ts: "1.000002"}); slackError(err) != "message_not_found" {
		t.Errorf("unknown ts: %v", err)
	}
}

func TestUsersInfoAnswersKnownUsers(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	u, err := api.GetUserInfoContext(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || u.Name != "alice" || u.RealName != "Alice Admin" || u.Profile.Email != "alice@example.com" || u.TZ != "Europe/Paris" || u.IsBot {
		t.Errorf("user = %+v", u)
	}
	if _, err := api.GetUserInfoContext(ctx, "U0NOPE"); slackError(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	s.AddUser(User{ID: "U0NEW", Name: "new"})
	if _, err := api.GetUserInfoContext(ctx, "U0NEW"); err != nil {
		t.Errorf("added user: %v", err)
	}
}

func TestUsergroupsUsersListFollowsMembershipChanges(t *testing.T) {
	s := newTestServer(t, WithUserGroups(UserGroup{ID: "S0APPROVERS", Handle: "approvers", Members: []string{alice.ID}}))
	ctx := testContext(t)
	api := webClient(s)
	got, err := api.GetUserGroupMembersContext(ctx, "S0APPROVERS")
	if err != nil || !cmp.Equal(got, []string{alice.ID}) {
		t.Errorf("members = %v, %v", got, err)
	}
	s.SetGroupMembers("S0APPROVERS", alice.ID, bob.ID)
	if got, _ := api.GetUserGroupMembersContext(ctx, "S0APPROVERS"); !cmp.Equal(got, []string{alice.ID, bob.ID}) {
		t.Errorf("members after SetGroupMembers = %v", got)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0NOPE"); slackError(err) != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
}

func TestConversationsOpenGivesADMChannelTheBotCanPostTo(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ID, "D") {
		t.Errorf("DM channel ID = %q", ch.ID)
	}
	if _, _, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, bob.ID, slack.MsgOptionText("by user ID", false)); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(ch.ID)
	if len(msgs) != 2 || msgs[0].Text != "psst" || msgs[1].Text != "by user ID" {
		t.Errorf("DM messages = %+v", msgs)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, bob.ID, msgs[0].TS, slack.MsgOptionText("x", false)); slackError(err) != "channel_not_found" {
		t.Errorf("chat.update with a user ID: %v, want channel_not_found", err)
	}
	if _, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0NOPE"}}); slackError(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
}

func TestViewsPublishKeepsOneHomeViewPerUser(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	home := func(n int) slack.HomeTabViewRequest {
		var bs []slack.Block
		for i := range n {
			bs = append(bs, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprint(i), false, false), nil, nil))
		}
		return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: bs}, CallbackID: "home"}
	}
	first, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: alice.ID, View: home(1)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: alice.ID, View: home(100)})
	if err != nil {
		t.Fatal(slackError(err))
	}
	if first.View.ID != second.View.ID || first.View.Hash == second.View.Hash {
		t.Errorf("republishing: id %s→%s hash %s→%s", first.View.ID, second.View.ID, first.View.Hash, second.View.Hash)
	}
	views := s.Views()
	if len(views) != 1 || views[0].Type != "home" || views[0].UserID != alice.ID || views[0].CallbackID != "home" {
		t.Errorf("views = %+v", views)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: alice.ID, View: home(101)}); slackError(err) != "invalid_arguments" {
		t.Errorf("101 blocks: %v, want invalid_arguments", err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0NOPE", View: home(1)}); slackError(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
}

func TestModalViewsAreValidated(t *testing.T) {
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	input := slack.NewInputBlock("b", plain("Reason"), nil, slack.NewPlainTextInputBlockElement(nil, "a"))
	tests := []struct {
		name string
		view slack.ModalViewRequest
		want string
	}{
		{"a modal with a title is fine", slack.ModalViewRequest{Type: slack.VTModal, Title: plain("Isolate")}, ""},
		{"a modal without title is invalid_arguments", slack.ModalViewRequest{Type: slack.VTModal}, "invalid_arguments"},
		{"a title over 24 characters is invalid_arguments", slack.ModalViewRequest{Type: slack.VTModal, Title: plain(strings.Repeat("t", 25))}, "invalid_arguments"},
		{"an input block without submit is invalid_arguments", slack.ModalViewRequest{Type: slack.VTModal, Title: plain("T"), Blocks: slack.Blocks{BlockSet: []slack.Block{input}}}, "invalid_arguments"},
		{"an input block with submit is fine", slack.ModalViewRequest{Type: slack.VTModal, Title: plain("T"), Submit: plain("Go"), Blocks: slack.Blocks{BlockSet: []slack.Block{input}}}, ""},
		{"a mrkdwn title is invalid_arguments", slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.MarkdownType, "*T*", false, false)}, "invalid_arguments"},
		{"a home view is not a modal", slack.ModalViewRequest{Type: slack.VTHomeTab}, "invalid_arguments"},
		{"private_metadata over 3,000 characters is invalid_arguments", slack.ModalViewRequest{Type: slack.VTModal, Title: plain("T"), PrivateMetadata: strings.Repeat("m", 3001)}, "invalid_arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validateView(mustJSON(t, tt.view), "modal")
			got := ""
			if err != nil {
				got = err.code
			}
			if got != tt.want {
				t.Errorf("error = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestViewsUpdateHonoursIDAndHash(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	pub, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: bob.ID, View: home})
	if err != nil {
		t.Fatal(err)
	}
	modal := slack.ModalViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock(), slack.NewDividerBlock()}}}
	if _, err := api.UpdateViewContext(ctx, modal, "", "stale-hash", pub.View.ID); slackError(err) != "hash_conflict" {
		t.Errorf("stale hash: %v, want hash_conflict", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal, "", "", "V0NOPE"); slackError(err) != "not_found" {
		t.Errorf("unknown view: %v, want not_found", err)
	}
	up, err := api.UpdateViewContext(ctx, modal, "", pub.View.Hash, pub.View.ID)
	if err != nil {
		t.Fatal(slackError(err))
	}
	if len(up.View.Blocks.BlockSet) != 2 {
		t.Errorf("updated view has %d blocks", len(up.View.Blocks.BlockSet))
	}
}

func TestFilesUploadedExternallyLandInTheChannel(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	content := "machine,status\nhost-1,isolated\n"
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel: ops.ID, Filename: "actions.csv", Title: "Actions", Content: content, FileSize: len(content),
		InitialComment: "the audit export",
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(ops.ID)
	if len(msgs) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
	want := []File{{ID: sum.ID, Name: "actions.csv", Title: "Actions", Content: []byte(content)}}
	if diff := cmp.Diff(want, msgs[0].Files); diff != "" || msgs[0].Text != "the audit export" {
		t.Errorf("files (-want +got):\n%s text %q", diff, msgs[0].Text)
	}
	_, err = api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: sum.ID}}, Channel: ops.ID})
	if slackError(err) != "file_not_found" {
		t.Errorf("completing twice: %v, want file_not_found", err)
	}
	u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "x.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: u.FileID}}, Channel: ops.ID})
	if slackError(err) != "file_upload_not_completed" {
		t.Errorf("completing before uploading: %v", err)
	}
}

func TestFailNextFailsTheNextCallsThenRecovers(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	api := webClient(s)
	s.FailNext("chat.postMessage", 2, "internal_error")
	var errs []string
	for range 3 {
		_, _, err := api.PostMessageContext(ctx, ops.ID, slack.MsgOptionText("x", false))
		errs = append(errs, slackError(err))
	}
	if want := []string{"internal_error", "internal_error", ""}; !cmp.Equal(errs, want) {
		t.Errorf("errors = %q, want %q", errs, want)
	}
	if n := s.CallCount("chat.postMessage"); n != 3 {
		t.Errorf("CallCount = %d, want 3", n)
	}
	calls := s.Calls()
	if calls[0].Error != "internal_error" || calls[2].Error != "" || calls[2].Params.Get("channel") != ops.ID || calls[2].Params.Get("text") != "x" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestAnUnknownMethodIsUnknownMethod(t *testing.T) {
	s := newTestServer(t)
	if got := postForm(t, s, "chat.scheduleMessage", url.Values{"token": {BotToken}}); got != "unknown_method" {
		t.Errorf("error = %q, want unknown_method", got)
	}
}

// postForm posts a raw form to a Web API method and returns its error string.
func postForm(t *testing.T, s *Server, method string, form url.Values) string {
	t.Helper()
	resp, err := http.PostForm(s.APIURL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.OK == (body.Error != "") {
		t.Fatalf("reply = %+v, %v", body, err)
	}
	return body.Error
}

func TestWaitMessageAndSubscribeSeeMessagesPostedLater(t *testing.T) {
	s := newTestServer(t)
	ctx := testContext(t)
	events, stop := s.Subscribe()
	defer stop()
	errc := make(chan error, 1)
	go func() {
		_, _, err := webClient(s).PostMessageContext(ctx, ops.ID, slack.MsgOptionText("later", false))
		errc <- err
	}()
	m, err := s.WaitMessage(ctx, func(m Message) bool { return m.Text == "later" })
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Kind != EventMessagePosted || e.Message == nil || e.Message.TS != m.TS {
			t.Errorf("event = %+v", e)
		}
	case <-ctx.Done():
		t.Fatal("no event")
	}
	stop()
	for range events { // closed after stop
	}
}

func asSlackError(err error, se *slack.SlackErrorResponse) bool {
	e, ok := err.(slack.SlackErrorResponse)
	if ok {
		*se = e
	}
	return ok
}
