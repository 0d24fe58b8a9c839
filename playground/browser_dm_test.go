package playground

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/playground/browsertest"
)

func TestInABrowserTheDMWithTheBotShowsItsMessagesAndFiles(t *testing.T) {
	p := startPlayground(t)
	ctx := browsertest.NewTab(t)
	dir := browsertest.ArtifactDir(t)
	api := botClient(p)
	card := postCard(t, p)
	if _, _, err := api.PostMessageContext(testContext(t), ChannelID, slack.MsgOptionText(":gear: Submitted", false), slack.MsgOptionTS(card)); err != nil {
		t.Fatal(err)
	}
	link, err := api.GetPermalinkContext(testContext(t), &slack.PermalinkParameters{Channel: ChannelID, Ts: card})
	if err != nil {
		t.Fatal(err)
	}
	notice := fmt.Sprintf(":white_check_mark: Your request was approved. :hourglass_flowing_sand: :grey_question: <%s|Open the thread>", link)
	if _, _, err := api.PostMessageContext(testContext(t), ResponderID, slack.MsgOptionText(notice, false)); err != nil {
		t.Fatal(err)
	}
	const csv = "id,kind,outcome\nR-1,isolate,succeeded\n"
	if _, err := api.UploadFileContext(testContext(t), slack.UploadFileParameters{Channel: ResponderID, Filename: "mdebot-export.csv",
		Reader: strings.NewReader(csv), FileSize: len(csv), InitialComment: ":outbox_tray: Your export"}); err != nil {
		t.Fatal(err)
	}

	const file = `//*[@data-testid="app-home"]//a[@data-testid="file"]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL()+"?user="+ResponderID),
		chromedp.WaitVisible(`//*[@data-testid="dm-badge"][text()="2"]`),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="tab-messages"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="tab-messages"]`)),
		chromedp.WaitVisible(file),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="dm-badge"]`)),
	); err != nil {
		t.Fatalf("opening the Messages tab: %v", err)
	}
	browsertest.Screenshot(t, ctx, dir, "playground-dm")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(async () => {
		const home = document.querySelector('[data-testid="app-home"]');
		const a = home.querySelector('a[data-testid="file"]');
		const res = await fetch(a.href);
		const q = home.querySelector('.emoji.e-grey_question');
		return {
			text: home.textContent.includes(":grey_question:") || home.textContent.includes(":white_check_mark:"),
			download: a.getAttribute("download"), name: a.querySelector(".file-name").textContent,
			content: await res.text(), disposition: res.headers.get("Content-Disposition"),
			question: q ? q.textContent : "", questionTitle: q ? q.title : "",
			thread: home.querySelector("a.local-link")?.getAttribute("href") || "",
		};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got["text"] != false {
		t.Error("a shortcode shows raw in the DM")
	}
	if got["download"] != "mdebot-export.csv" || got["name"] != "mdebot-export.csv" || got["content"] != csv ||
		got["disposition"] != "attachment; filename=mdebot-export.csv" {
		t.Errorf("the file link: %v", got)
	}
	if q := got["question"]; (q != "?" && q != "❔") || got["questionTitle"] != ":grey_question:" {
		t.Errorf(":grey_question: rendered as %q (title %q)", q, got["questionTitle"])
	}
	if got["thread"] != "#"+ChannelID+"/"+card {
		t.Errorf("the thread link points at %q, want inside the page", got["thread"])
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`//*[@data-testid="app-home"]//a[@class="local-link"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="thread"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#channel-pane`)),
	); err != nil {
		t.Fatalf("following the thread link: %v", err)
	}
}

func TestInABrowserTheHomeTabsButtonsAndFiltersReachTheBot(t *testing.T) {
	p := startPlayground(t)
	ctx := browsertest.NewTab(t)
	bot := connectBot(t, p, nil)
	dir := browsertest.ArtifactDir(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL()+"?user="+Approver1ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-home"]`)),
	); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, bot, socketmode.EventTypeEventsAPI) // app_home_opened
	confirm := slack.NewConfirmationBlockObject(
		slack.NewTextBlockObject(slack.PlainTextType, "Approve isolate?", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Isolating ws-0042 cuts it off the network.", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Back", false, false))
	opt := func(v, text string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, slack.NewTextBlockObject(slack.PlainTextType, text, false, false), nil)
	}
	kinds := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Kind", false, false),
		"mde_home_kind", opt("all", "All kinds"), opt("isolate", "Isolate"))
	kinds.InitialOption = opt("all", "All kinds")
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Awaiting your approval", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Isolate (Full): ws-0042* · :hourglass: expires soon", false, false), nil, nil),
		slack.NewActionBlock("mde_home_pending_0_actions",
			slack.NewButtonBlockElement("mde_approve.0", "R-1|fp", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary).WithConfirm(confirm),
			slack.NewButtonBlockElement("mde_deny.0", "R-1", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)).WithStyle(slack.StyleDanger)),
		slack.NewActionBlock("mde_home_filters", kinds),
	}}}
	view, err := botClient(p).PublishViewContext(testContext(t), slack.PublishViewContextRequest{UserID: Approver1ID, View: home})
	if err != nil {
		t.Fatal(err)
	}
	const approve = `//*[@data-testid="app-home"]//button[text()="Approve"]`
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(approve),
		chromedp.Click(approve),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm"]`)),
	); err != nil {
		t.Fatalf("clicking Approve in the Home tab: %v", err)
	}
	browsertest.Screenshot(t, ctx, dir, "playground-home-confirm")
	select {
	case evt := <-bot:
		t.Fatalf("the click reached the bot before it was confirmed: %+v", evt)
	default:
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm"]`))); err != nil {
		t.Fatal(err)
	}
	cb := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if a := cb.ActionCallback.BlockActions[0]; cb.User.ID != Approver1ID || cb.View.ID != view.ID || a.ActionID != "mde_approve.0" || a.Value != "R-1|fp" {
		t.Errorf("approve = user %s, view %s, action %+v", cb.User.ID, cb.View.ID, a)
	}

	// Deny opens the bot's modal, as on the card.
	if err := chromedp.Do(ctx, chromedp.Click(`//*[@data-testid="app-home"]//button[text()="Deny"]`)); err != nil {
		t.Fatal(err)
	}
	cb = nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.ActionCallback.BlockActions[0].ActionID != "mde_deny.0" {
		t.Fatalf("deny = %+v", cb.ActionCallback.BlockActions)
	}
	if _, err := botClient(p).OpenViewContext(testContext(t), cb.TriggerID, denyModal()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="modal"] textarea`)),
		chromedp.Click(`//div[@data-testid="modal"]//button[text()="Back"]`),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="modal"]`)),
	); err != nil {
		t.Fatalf("the deny modal: %v", err)
	}

	// A filter picks its option.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`[data-testid="app-home"] select[data-action-id="mde_home_kind"]`), "isolate")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="app-home"] select[data-action-id="mde_home_kind"]').dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	cb = nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if a := cb.ActionCallback.BlockActions[0]; a.ActionID != "mde_home_kind" || a.SelectedOption.Value != "isolate" {
		t.Errorf("filter = %+v", a)
	}
}

func TestInABrowserTheAppHomeTabsSwitch(t *testing.T) {
	p := startPlayground(t)
	ctx := browsertest.NewTab(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL()+"?user="+ManagerID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="tab-messages"]`)),
		chromedp.WaitVisible(`//*[@data-testid="app-home"]//div[contains(., "This is your direct message with mdebot")]`),
		chromedp.WaitVisible(chromedp.CSS(`.dm-readonly`)),
		chromedp.Click(chromedp.CSS(`[data-testid="tab-home"]`)),
		chromedp.WaitVisible(`//*[@data-testid="app-home"]//div[contains(., "Home tab")]`),
		chromedp.WaitNotPresent(chromedp.CSS(`.dm-readonly`)),
		chromedp.Click(chromedp.CSS(`#nav-channel`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="composer"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="app-home"]`)),
	); err != nil {
		t.Fatalf("switching the App Home's tabs: %v", err)
	}
}
