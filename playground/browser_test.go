package playground

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/playground/browsertest"
)

func TestInABrowserAConfirmedClickReachesTheBot(t *testing.T) {
	p := startPlayground(t)
	ctx := browsertest.NewTab(t)
	bot := connectBot(t, p, func(evt socketmode.Event) any {
		if evt.Type == socketmode.EventTypeSlashCommand {
			return map[string]any{"response_type": "ephemeral", "text": "*Usage:* `/mde isolate <machine> <reason>`\n```/mde scan ws-0042 quick```"}
		}
		return nil
	})
	dir := browsertest.ArtifactDir(t)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL()),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="composer"]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="user-switcher"] option[value="`+ManagerID+`"]`)),
	); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	options, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="user-switcher"] option')].map(o => o.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(options) != 4 || options[0] != "Riley Responder (responder)" || options[3] != "Morgan Manager (manager)" {
		t.Errorf("switcher options = %q", options)
	}

	// Riley picks a command to try and sends it; the bot's ephemeral answer shows for Riley only.
	if err := chromedp.Do(ctx,
		chromedp.Click(`//button[@class="example" and text()="/mde help"]`),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="composer"]`), "\r"),
	); err != nil {
		t.Fatal(err)
	}
	cmd := nextEvent(t, bot, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
	if cmd.UserID != ResponderID || cmd.Text != "help" {
		t.Errorf("slash command = %+v", cmd)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="ephemeral"]`))); err != nil {
		t.Fatalf("the ephemeral answer did not show: %v", err)
	}
	browsertest.Screenshot(t, ctx, dir, "playground-ephemeral")

	// The bot posts a card with a thread reply; Alex approves through the confirm dialog.
	ts := postCard(t, p)
	if _, _, err := botClient(p).PostMessageContext(testContext(t), ChannelID,
		slack.MsgOptionText(":gear: Submitted to Defender by <@"+Approver1ID+">", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	const approve = `//div[@data-testid="message"]//button[text()="Approve"]`
	if err := chromedp.Do(ctx,
		browsertest.SwitchUser(Approver1ID),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="ephemeral"]`)),
		chromedp.WaitVisible(approve),
	); err != nil {
		t.Fatalf("switching to Alex: %v", err)
	}
	mention, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('[data-testid="message"] .b-fields .mention').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`//button[text()="1 reply"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="thread"]`)),
		chromedp.Click(approve),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm"]`)),
	); err != nil {
		t.Fatalf("approving: %v", err)
	}
	if mention != "@Riley Responder" {
		t.Errorf("mention rendered as %q", mention)
	}
	browsertest.Screenshot(t, ctx, dir, "playground-confirm")
	select {
	case evt := <-bot:
		t.Fatalf("the click reached the bot before it was confirmed: %+v", evt)
	default:
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm"]`))); err != nil {
		t.Fatal(err)
	}
	cb := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.User.ID != Approver1ID || cb.ActionCallback.BlockActions[0].ActionID != "mde_approve" {
		t.Errorf("block action = %+v", cb)
	}
	browsertest.Screenshot(t, ctx, dir, "playground")
}

func TestInABrowserMrkdwnRendersWithoutInjectingHTML(t *testing.T) {
	p := startPlayground(t)
	ctx := browsertest.NewTab(t)
	text := "*bold* _italic_ ~strike~ `code` <https://example.com/a?b=1&amp;c=2|a link> <http://plain.example|not a link> " +
		"<javascript:alert(1)|js> <img src=x onerror=window.pwned=1> &lt;b&gt;escaped&lt;/b&gt; <@" + ManagerID + "> " +
		"<!date^1795434300^{date_num}|fallback>\n```block *not bold*```"
	if _, _, err := botClient(p).PostMessageContext(testContext(t), ChannelID, slack.MsgOptionText(text, false)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(p.URL()), chromedp.WaitVisible(chromedp.CSS(`[data-testid="message"] pre`))); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const m = document.querySelector('[data-testid="message"] .body');
		const links = [...m.querySelectorAll("a")];
		return {
			b: m.querySelector("b")?.textContent, i: m.querySelector("i")?.textContent,
			s: m.querySelector("s")?.textContent, code: m.querySelector("code")?.textContent,
			pre: m.querySelector("pre")?.textContent, mention: m.querySelector(".mention")?.textContent,
			links: links.map(a => a.href + " " + a.textContent).join(";"),
			injected: m.querySelectorAll("img, script, [onerror]").length + (m.querySelector("b b") ? 1 : 0),
			pwned: window.pwned === undefined ? "no" : "yes",
			escaped: m.textContent.includes("<b>escaped</b>"),
			date: /2026-11-2[234]/.test(m.querySelector(".date")?.textContent || ""),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"b": "bold", "i": "italic", "s": "strike", "code": "code", "pre": "block *not bold*", "mention": "@Morgan Manager",
		"links": "https://example.com/a?b=1&c=2 a link", "injected": float64(0), "pwned": "no", "escaped": true, "date": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rendered mrkdwn (-want +got):\n%s", diff)
	}
}

func TestInABrowserAModalAndAppHomeWork(t *testing.T) {
	p := startPlayground(t)
	ctx := browsertest.NewTab(t)
	bot := connectBot(t, p, nil)
	dir := browsertest.ArtifactDir(t)
	ts := postCard(t, p)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL()+"?user="+Approver2ID),
		chromedp.WaitVisible(`//div[@data-testid="message"]//button[text()="Deny"]`),
		chromedp.Click(`//div[@data-testid="message"]//button[text()="Deny"]`),
	); err != nil {
		t.Fatalf("clicking Deny: %v", err)
	}
	cb := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.User.ID != Approver2ID || cb.Container.MessageTs != ts {
		t.Fatalf("click = %+v", cb)
	}
	if _, err := botClient(p).OpenViewContext(testContext(t), cb.TriggerID, denyModal()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="modal"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="modal"] textarea`), "Known admin tool"),
	); err != nil {
		t.Fatalf("filling the modal: %v", err)
	}
	browsertest.Screenshot(t, ctx, dir, "playground-modal")
	if err := chromedp.Do(ctx,
		chromedp.Click(`//div[@data-testid="modal"]//button[text()="Deny"]`),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="modal"]`)),
	); err != nil {
		t.Fatalf("submitting the modal: %v", err)
	}
	sub := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if got := sub.View.State.Values["mde_deny_reason_input"]["mde_deny_reason"].Value; sub.User.ID != Approver2ID || got != "Known admin tool" {
		t.Errorf("submission by %s: reason %q", sub.User.ID, got)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#nav-home`))); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, bot, socketmode.EventTypeEventsAPI)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "mdebot for Sam", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "You have *1* request waiting for approval.", false, false), nil, nil),
	}}}
	if _, err := botClient(p).PublishViewContext(testContext(t), slack.PublishViewContextRequest{UserID: Approver2ID, View: home}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//*[@data-testid="app-home"]//div[text()="mdebot for Sam"]`)); err != nil {
		t.Fatalf("the Home view did not show: %v", err)
	}
	browsertest.Screenshot(t, ctx, dir, "playground-home")
}
