// Package browsertest gives tests a headless chromium tab driven by chromedp,
// with helpers to screenshot the page and to switch the playground's user, so
// that the playground's own browser tests and the end-to-end ones of
// cmd/mdebot share one setup.
//
// NewTab skips the test when /usr/bin/chromium is missing, unless
// MDEBOT_REQUIRE_BROWSER is set, in which case it fails it: CI sets the
// variable so that a missing browser cannot pass for a green run.
package browsertest
