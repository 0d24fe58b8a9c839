package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mdebot/mdebot/playground"
	"github.com/mdebot/mdebot/playground/browsertest"
)

// updateDocsEnv, set to 1, makes the browser test write its final
// screenshot to docs/playground.png for the README.
const updateDocsEnv = "MDEBOT_UPDATE_DOCS"

// docsScreenshot is the README's screenshot, relative to this package.
const docsScreenshot = "../../docs/playground.png"

// docsDMScreenshot is the README's screenshot of the DM with mdebot.
const docsDMScreenshot = "../../docs/playground-dm.png"

func TestInABrowserAnIsolationIsRefusedToItsRequesterThenApprovedAndSucceeds(t *testing.T) {
	ctx := playgroundContext(t)
	dir := browsertest.ArtifactDir(t)
	// Pending for 2s, then InProgress for 4s: the bot, polling every second,
	// sees each status.
	r := startPlaygroundMain(t, ctx, t.TempDir(), "--action-time", "6s")
	tab := browsertest.NewTab(t)

	const (
		card     = `//div[@data-testid="message"][.//button[text()="Approve"]]`
		approve  = card + `//button[text()="Approve"]`
		confirm  = `[data-testid="confirm"]`
		refusal  = `//div[contains(@class,"is-ephemeral")][contains(., "You cannot approve your own request")]`
		openRepl = `//div[@data-testid="message"]//button[@class="replies"]`
	)
	// Riley asks for a selective isolation, then tries to approve it.
	if err := chromedp.Do(tab,
		chromedp.Navigate(r.url),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="composer"]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="user-switcher"] option[value="`+playground.Approver1ID+`"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="composer"]`), "/mde isolate ws-0042 selective beaconing to a known C2\r"),
		chromedp.WaitVisible(approve),
	); err != nil {
		t.Fatalf("requesting the isolation: %v", err)
	}
	browsertest.Screenshot(t, tab, dir, "playground-card")
	if err := chromedp.Do(tab, chromedp.Click(approve), chromedp.WaitVisible(chromedp.CSS(confirm))); err != nil {
		t.Fatalf("Riley clicking Approve: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(confirm)), chromedp.WaitVisible(refusal)); err != nil {
		t.Fatalf("Riley was not told why the approval was refused: %v", err)
	}
	browsertest.Screenshot(t, tab, dir, "playground-refused")

	// Alex, an approver, approves through the confirmation dialog.
	if err := chromedp.Do(tab,
		browsertest.SwitchUser(playground.Approver1ID),
		chromedp.WaitNotPresent(refusal),
		chromedp.WaitVisible(approve),
		chromedp.Click(approve),
		chromedp.WaitVisible(chromedp.CSS(confirm)),
	); err != nil {
		t.Fatalf("Alex clicking Approve: %v", err)
	}
	browsertest.Screenshot(t, tab, dir, "playground-confirm")
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(confirm)),
		chromedp.WaitNotPresent(chromedp.CSS(confirm)),
		chromedp.WaitVisible(openRepl),
		chromedp.Click(openRepl),
		chromedp.WaitVisible(`//*[@data-testid="thread"]//div[@data-testid="message"][contains(., "Defender: Succeeded")]`),
	); err != nil {
		t.Fatalf("following the action in the thread: %v", err)
	}

	replies, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid="thread"] .thread-replies [data-testid="message"] .body')].map(b => b.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, want := range []string{"Pending", "InProgress", "Succeeded"} {
		for i, text := range replies {
			if strings.Contains(text, want) && (len(seen) == 0 || i > indexOf(replies, seen[len(seen)-1])) {
				seen = append(seen, text)
				break
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("thread replies %q do not show Pending, InProgress then Succeeded", replies)
	}
	// The card is edited through the outbox, paced by chat.update's tier:
	// it may follow the thread's last reply by a moment.
	var cardText string
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		cardText, err = chromedp.Run(tab, chromedp.Evaluate[string](
			`document.querySelector('[data-testid="thread"] .thread-parent [data-testid="message"] .body').textContent`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(cardText), "succeeded") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(strings.ToLower(cardText), "succeeded") {
		t.Errorf("the card in the thread says %q, want it to say succeeded", cardText)
	}
	png := browsertest.Screenshot(t, tab, dir, "playground")
	if os.Getenv(updateDocsEnv) == "1" {
		if err := os.WriteFile(docsScreenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", docsScreenshot)
	}
}

// indexOf returns the index of s in list, or -1.
func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestInABrowserTheHomeApprovesAndTheDMShowsNoticesExportsAndPackages(t *testing.T) {
	ctx := playgroundContext(t)
	dir := browsertest.ArtifactDir(t)
	r := startPlaygroundMain(t, ctx, t.TempDir(), "--action-time", "3s")
	tab := browsertest.NewTab(t)
	const (
		composer   = `[data-testid="composer"]`
		messages   = `[data-testid="tab-messages"]`
		homeApprov = `//*[@data-testid="app-home"]//button[text()="Approve"]`
		confirm    = `[data-testid="confirm"]`
		approved   = `//*[@data-testid="app-home"]//div[@data-testid="message"][contains(., "was approved by")]`
		exportFile = `//*[@data-testid="app-home"]//a[@data-testid="file"]`
	)
	// Riley asks for an isolation; Alex approves it from the App Home.
	if err := chromedp.Do(tab,
		chromedp.Navigate(r.url),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		chromedp.SendKeys(chromedp.CSS(composer), "/mde isolate ws-0042 beaconing to a known C2\r"),
		chromedp.WaitVisible(`//div[@data-testid="message"]//button[text()="Approve"]`),
		browsertest.SwitchUser(playground.Approver1ID),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.WaitVisible(homeApprov),
		chromedp.Click(homeApprov),
		chromedp.WaitVisible(chromedp.CSS(confirm)),
		chromedp.Click(chromedp.CSS(confirm)),
		chromedp.WaitNotPresent(homeApprov),
	); err != nil {
		t.Fatalf("approving from the App Home: %v", err)
	}

	// Riley's DM says so, with a link to the card's thread that stays in the page.
	if err := chromedp.Do(tab,
		browsertest.SwitchUser(playground.ResponderID),
		chromedp.WaitVisible(`//*[@data-testid="dm-badge"][text()!=""]`),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.Click(chromedp.CSS(messages)),
		chromedp.WaitVisible(approved),
		chromedp.Click(approved+`//a[text()="Open the thread"]`),
		chromedp.WaitVisible(`//*[@data-testid="thread"]//div[@data-testid="message"]`),
	); err != nil {
		browsertest.Screenshot(t, tab, dir, "failed-notice")
		t.Fatalf("Riley's notice: %v", err)
	}

	// Riley collects a package (no approval needed) and downloads it from the page.
	const ready = `//div[@data-testid="message"]//button[text()="Get download link"]`
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(composer), "/mde collect ws-0042 triage\r"),
		chromedp.WaitVisible(`//div[@data-testid="message"]//button[@class="replies"]`),
	); err != nil {
		t.Fatalf("collecting: %v", err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(`(//div[@data-testid="message"][contains(., "Collect")]//button[@class="replies"])[last()]`),
		chromedp.WaitVisible(`//*[@data-testid="thread"]`+ready),
		chromedp.Click(`//*[@data-testid="thread"]`+ready),
		chromedp.WaitVisible(`//a[text()="Download the investigation package"]`),
	); err != nil {
		t.Fatalf("getting the package link: %v", err)
	}
	pkg, err := chromedp.Run(tab, chromedp.Evaluate[map[string]any](`(async () => {
		const a = [...document.querySelectorAll("a")].find(a => a.textContent === "Download the investigation package");
		const res = await fetch(a.href);
		return { href: a.getAttribute("href"), type: res.headers.get("Content-Type"), status: res.status };
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if href, _ := pkg["href"].(string); !strings.HasPrefix(href, "/package/") || pkg["type"] != "application/zip" || pkg["status"] != float64(200) {
		t.Errorf("the package link: %v", pkg)
	}

	// Morgan, an auditor, exports the history: the file arrives in Morgan's DM and downloads.
	if err := chromedp.Do(tab,
		browsertest.SwitchUser(playground.ManagerID),
		chromedp.Click(chromedp.CSS(`#nav-channel`)),
		chromedp.SendKeys(chromedp.CSS(composer), "/mde export --since 1d --format csv\r"),
		chromedp.WaitVisible(`//*[@data-testid="dm-badge"][text()!=""]`),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-home"]`)),
		chromedp.Click(chromedp.CSS(messages)),
		chromedp.WaitVisible(exportFile),
	); err != nil {
		t.Fatalf("exporting: %v", err)
	}
	csv, err := chromedp.Run(tab, chromedp.Evaluate[string](`(async () => {
		const a = document.querySelector('[data-testid="app-home"] a[data-testid="file"]');
		return (await fetch(a.href)).text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv, "id,") || !strings.Contains(csv, "ws-0042") {
		t.Errorf("the exported file starts %q", csv[:min(len(csv), 200)])
	}
	// Back to Riley's DM, which by now holds the approval and both ends.
	if err := chromedp.Do(tab,
		browsertest.SwitchUser(playground.ResponderID),
		chromedp.WaitVisible(`//*[@data-testid="app-home"]//div[@data-testid="message"][contains(., "Collect")][contains(., "finished")]`),
	); err != nil {
		t.Fatalf("Riley's DM at the end: %v", err)
	}
	png := browsertest.Screenshot(t, tab, dir, "playground-dm")
	if os.Getenv(updateDocsEnv) == "1" {
		if err := os.WriteFile(docsDMScreenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", docsDMScreenshot)
	}
}
