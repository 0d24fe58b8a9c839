package bot

import (
	"context"
	"fmt"

	"github.com/mdebot/mdebot/approvals"
)

// EventDryRun is the audit event of an approved action that a dry run
// (Options.DryRun) did not send to MDE.
const EventDryRun approvals.EventType = "dry_run"

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
	if err := b.o.Store.Append(ctx, approvals.AuditEvent{
		At: b.now(), Type: EventDryRun, RequestID: r.ID, Actor: "mdebot", Kind: r.Kind,
		Machine: r.Params.Machine, Detail: "dry run: " + what + " was not sent to Defender",
	}); err != nil {
		log.ErrorContext(ctx, "auditing the dry run failed", "error", err)
	}
	log.InfoContext(ctx, "dry run: action not sent to MDE")
	res, err := b.o.Approvals.MarkFailed(ctx, r.ID, dryRunDetail)
	if err != nil {
		log.ErrorContext(ctx, "closing the dry-run request failed", "error", err)
		return
	}
	b.postThread(ctx, res.Request, renderReply(":test_tube: *DRY RUN*: "+escapeText(what)+
		" was approved but not sent to Defender (mdebot runs with --dry-run)."))
	b.updateCard(ctx, res.Request)
}
