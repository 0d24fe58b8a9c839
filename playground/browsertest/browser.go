package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// RequireEnv names the environment variable that, when set, makes NewTab
// fail the test instead of skipping it when chromium is missing.
const RequireEnv = "MDEBOT_REQUIRE_BROWSER"

// ArtifactsEnv names the environment variable holding the directory where
// ArtifactDir puts screenshots.
const ArtifactsEnv = "MDEBOT_ARTIFACTS"

// NewTab starts a headless chromium with a fresh profile and returns a
// chromedp context for one tab, cancelled after a minute or at the end of the
// test; an exception the page throws fails the test. Call it after starting
// the servers the page talks to: cleanups run last-registered first, so the
// tab then closes before they do, and a fetch cut by their closing cannot
// fail the test.
func NewTab(t testing.TB) context.Context {
	t.Helper()
	if reason, ok := missing(ChromiumPath, os.Getenv(RequireEnv) != ""); reason != "" {
		if ok {
			t.Skip(reason)
		}
		t.Fatal(reason)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
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

// missing says why a browser test cannot run when path is not there (""
// when it is), and whether that is a skip (true) or, when required, a failure.
func missing(path string, required bool) (reason string, skip bool) {
	_, err := os.Stat(path)
	if err == nil {
		return "", false
	}
	if required {
		return fmt.Sprintf("%s is set but %s is missing: %v", RequireEnv, path, err), false
	}
	return fmt.Sprintf("browser test skipped: %s is not installed (apt-get install chromium)", path), true
}

// ArtifactDir is where browser tests save screenshots: $MDEBOT_ARTIFACTS
// (created if need be), or the test's temporary directory.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(ArtifactsEnv); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// Screenshot saves the whole page as name.png in dir and returns the PNG.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) []byte {
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

// SwitchUser picks the user id in the playground's user switcher, as a
// person would.
func SwitchUser(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const s = document.querySelector('[data-testid="user-switcher"]');
		s.value = %q;
		s.dispatchEvent(new Event("change"));
		return s.selectedOptions[0].textContent;
	})()`, id))(ctx, t)
		return err
	})
}
