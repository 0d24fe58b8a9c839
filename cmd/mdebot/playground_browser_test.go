package main

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mdebot/mdebot/playground"
	"github.com/mdebot/mdebot/playground/browsertest"
)

// updateDocsEnv, set to 1, makes the browser test write its final
// screenshot to docs/playground.png for the README.
const updateDocsEnv = "MDEBOT_UPDATE_DOCS"

// docsScreenshot is the README's screenshot, relative to this package.
const docsScreenshot = "../../docs/playground.png"

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
	cardText, err := chromedp.Run(tab, chromedp.Evaluate[string](
		`document.querySelector('[data-testid="thread"] .thread-parent [data-testid="message"] .body').textContent`))
	if err != nil {
		t.Fatal(err)
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
