// Package report writes the request export that auditors read: one row per
// request (who asked, who decided, what MDE did and when), as CSV with a
// header or as a JSON array. The Slack export (/mde export) and the
// offline one (mdebot export) both use it, so they produce the same file.
//
// CSV cells that a spreadsheet would run as a formula (starting with =, +,
// -, @, a tab or a carriage return) are prefixed with a single quote.
package report
