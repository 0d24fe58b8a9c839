package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mdebot/mdebot/playground"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// updateDocsEnv, set to 1, makes the browser test write its final
// screenshot to docs/playground.png for the README.
const updateDocsEnv = "MDEBOT_UPDATE_DOCS"

// docsScreenshot is the README's screenshot, relative to this package.
const docsScreenshot = "../../docs/playground.png"

// browserTab starts a headless chromium with a fresh profile and returns a
// chromedp context for one tab; page exceptions fail the test.
func browserTab(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("MDEBOT_REQUIRE_BROWSER") != "" {
			t.Fatalf("MDEBOT_REQUIRE_BROWSER is set but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("browser test skipped: %s is not installed (apt-get install chromium)", chromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	var mu sync.Mutex
	var exceptions []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			exceptions = append(exceptions, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exceptions {
			t.Errorf("the page threw: %s", e)
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// artifactDir is where the browser test saves screenshots: $MDEBOT_ARTIFACTS,
// or the test's temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("MDEBOT_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// screenshot saves the page as name.png in dir and returns the PNG.
func screenshot(t *testing.T, ctx context.Context, dir, name string) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return png
}

// switchUser picks id in the user switcher, as a person would.
func switchUser(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[string](`(() => {
		const s = document.querySelector('[data-testid="user-switcher"]');
		s.value = "`+id+`";
		s.dispatchEvent(new Event("change"));
		return s.selectedOptions[0].textContent;
	})()`)(ctx, t)
		return err
	})
}

func TestInABrowserAnIsolationIsRefusedToItsRequesterThenApprovedAndSucceeds(t *testing.T) {
	tab := browserTab(t)
	ctx := playgroundContext(t)
	dir := artifactDir(t)
	// Pending for 2s, then InProgress for 4s: the bot, polling every second,
	// sees each status.
	r := startPlaygroundMain(t, ctx, t.TempDir(), "--action-time", "6s")

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
	screenshot(t, tab, dir, "playground-card")
	if err := chromedp.Do(tab, chromedp.Click(approve), chromedp.WaitVisible(chromedp.CSS(confirm))); err != nil {
		t.Fatalf("Riley clicking Approve: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(confirm)), chromedp.WaitVisible(refusal)); err != nil {
		t.Fatalf("Riley was not told why the approval was refused: %v", err)
	}
	screenshot(t, tab, dir, "playground-refused")

	// Alex, an approver, approves through the confirmation dialog.
	if err := chromedp.Do(tab,
		switchUser(playground.Approver1ID),
		chromedp.WaitNotPresent(refusal),
		chromedp.WaitVisible(approve),
		chromedp.Click(approve),
		chromedp.WaitVisible(chromedp.CSS(confirm)),
	); err != nil {
		t.Fatalf("Alex clicking Approve: %v", err)
	}
	screenshot(t, tab, dir, "playground-confirm")
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
	png := screenshot(t, tab, dir, "playground")
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
