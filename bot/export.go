package bot

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/report"
)

// EventExported is the audit event of an export sent to an auditor.
const EventExported approvals.EventType = "exported"

// export answers /mde export: the requests created within --since, as a
// CSV or JSON file uploaded to the asker's DM. Only slack.auditors may.
func (b *Bot) export(ctx context.Context, user, channel string, cmd Command) {
	ok, err := b.isListedAuditor(ctx, user)
	if err != nil {
		b.replyError(ctx, channel, user, err)
		return
	}
	if !ok {
		_ = b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: approvals.EventRefused, Actor: user,
			Code: approvals.CodeNotPermitted, Detail: "export: not one of slack.auditors"})
		b.log.InfoContext(ctx, "export refused", "user", user)
		b.reply(ctx, channel, user, renderNotice(":no_entry_sign: Only the auditors (slack.auditors) can export the requests."))
		return
	}
	since := cmd.Filter.Since
	if since == 0 {
		since = DefaultExportSince
	}
	format := report.CSV
	if cmd.Format == FormatJSON {
		format = report.JSON
	}
	rows, err := report.Collect(ctx, b.o.History, report.Query{Since: b.now().Add(-since)})
	if err != nil {
		b.replyError(ctx, channel, user, err)
		return
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, format, rows); err != nil {
		b.replyError(ctx, channel, user, err)
		return
	}
	dm, err := b.openDM(ctx, user)
	if err != nil {
		b.replyError(ctx, channel, user, err)
		return
	}
	name := "mdebot-requests-" + b.now().UTC().Format("2006-01-02T1504Z") + format.Ext()
	summary := fmt.Sprintf("%s created in the last %s.", renderPlural(len(rows), "request"), formatSince(since))
	if _, err := b.o.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: &buf, FileSize: buf.Len(), Filename: name, Title: name, Channel: dm,
		InitialComment: "mdebot export: " + summary,
	}); err != nil {
		b.replyError(ctx, channel, user, fmt.Errorf("uploading the export: %w", err))
		return
	}
	_ = b.o.Store.Append(ctx, approvals.AuditEvent{At: b.now(), Type: EventExported, Actor: user,
		Detail: fmt.Sprintf("%s, %d requests, since %s", format, len(rows), formatSince(since))})
	b.log.InfoContext(ctx, "export sent", "user", user, "rows", len(rows), "format", string(format))
	if channel != dm {
		b.reply(ctx, channel, user, renderNotice(":outbox_tray: Sent you the export in a direct message: "+escapeText(summary)))
	}
}

// isListedAuditor reports whether user is one of Options.Auditors, directly
// or through a user group. Unlike isAuditor, no auditors configured means
// nobody.
func (b *Bot) isListedAuditor(ctx context.Context, user string) (bool, error) {
	if len(b.o.Auditors) == 0 {
		return false, nil
	}
	if slices.Contains(b.o.Auditors, user) {
		return true, nil
	}
	for _, a := range b.o.Auditors {
		if !approvals.IsGroupID(a) {
			continue
		}
		members, err := b.o.Groups.Members(ctx, a)
		if err != nil {
			return false, err
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}
