package bot

import (
	"bytes"
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/report"
)

// export answers /mde export: the requests created within --since, as a
// CSV or JSON file uploaded to the asker's DM. Only slack.auditors may.
func (b *Bot) export(ctx context.Context, in interaction, cmd command.Command) {
	user := in.user
	if err := b.o.Approvals.Authorize(ctx, user, in.channel, approvals.OpExport); err != nil {
		b.replyError(ctx, in, err)
		return
	}
	since := cmd.Filter.Since
	if since == 0 {
		since = command.DefaultExportSince
	}
	format := report.CSV
	if cmd.Format == command.FormatJSON {
		format = report.JSON
	}
	rows, err := report.Collect(ctx, b.o.History, report.Query{Since: b.now().Add(-since)})
	if err != nil {
		b.replyError(ctx, in, err)
		return
	}
	if name, err := b.users.namer(ctx, b.now()); err != nil {
		b.log.WarnContext(ctx, "naming the people of the export failed; it carries their ids only", "error", err)
	} else {
		for i := range rows {
			rows[i].Name(name)
		}
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, format, rows); err != nil {
		b.replyError(ctx, in, err)
		return
	}
	dm, err := b.openDM(ctx, user, true)
	if err != nil {
		b.replyError(ctx, in, err)
		return
	}
	name := "mdebot-requests-" + b.now().UTC().Format("2006-01-02T1504Z") + format.Ext()
	summary := fmt.Sprintf("%s created in the last %s.", blocks.RenderPlural(len(rows), "request"), command.FormatSince(since))
	if _, err := b.o.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: &buf, FileSize: buf.Len(), Filename: name, Title: name, Channel: dm,
		InitialComment: "mdebot export: " + summary,
	}); err != nil {
		b.replyError(ctx, in, fmt.Errorf("uploading the export: %w", err))
		return
	}
	if err := b.o.Approvals.RecordExport(ctx, user, fmt.Sprintf("%s, %d requests, since %s", format, len(rows), command.FormatSince(since))); err != nil {
		b.replyError(ctx, in, err)
		return
	}
	b.log.InfoContext(ctx, "export sent", "user", user, "rows", len(rows), "format", string(format))
	if in.channel != dm {
		b.reply(ctx, in, blocks.RenderNotice(":outbox_tray: Sent you the export in a direct message: "+blocks.EscapeText(summary)))
	}
}
