package bot

import (
	"context"
	"fmt"

	"github.com/mdebot/mdebot/approvals"
)

// dryRunDetail is the failure detail of a request a dry run closed: the
// card's state line and the audit trail show it.
const dryRunDetail = "DRY RUN: not sent to Defender (mdebot serve --dry-run)"

// dryRun stands in for execute when Options.DryRun is set: it audits what
// would have been sent, then closes r as failed with dryRunDetail, so that
// no later run (recovery after a restart without --dry-run included) ever
// sends it.
func (b *Bot) dryRun(ctx context.Context, r *approvals.Request) {
	log := b.log.With("request", r.ID, "kind", r.Kind)
	what := fmt.Sprintf("%s of %s", r.Kind, r.Target())
	if err := b.o.Approvals.RecordDryRun(ctx, r, "dry run: "+what+" was not sent to Defender"); err != nil {
		// Closing it below still keeps it from ever being sent.
		log.ErrorContext(ctx, "auditing the dry run failed", "error", err)
	}
	log.InfoContext(ctx, "dry run: action not sent to MDE")
	// The thread's DRY RUN reply is owed by the note, with the change.
	res, err := b.o.Approvals.MarkFailed(ctx, r.ID, dryRunDetail, approvals.Note{Kind: approvals.NoteDryRun})
	if err != nil {
		log.ErrorContext(ctx, "closing the dry-run request failed", "error", err)
		return
	}
	b.updateCard(ctx, res.Request)
}
