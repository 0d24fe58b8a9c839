package main

import (
	"slices"
	"syscall"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/storage"
)

func TestADryRunApprovesButSendsNoActionToDefender(t *testing.T) {
	w := newWorld(t, spec{mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.startWith(nil, "serve", "--config", w.config, "--dry-run")
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 ransomware note found")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "DRY RUN")
	w.cardShows(ctx, card, "DRY RUN: not sent to Defender")

	w.command(ctx, alice, "block 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f known bad installer")
	block := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, block, "mde_approve")
	w.reply(ctx, block, "DRY RUN")

	c.signal(syscall.SIGTERM)
	if code := c.wait(ctx); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, route := range []string{"actions.isolate", "indicators.post"} {
		if n := w.mde.CallCount(route); n != 0 {
			t.Errorf("%d %s calls in a dry run", n, route)
		}
	}
	if n := w.mde.CallCount("machines.list"); n == 0 {
		t.Error("the dry run never looked the machine up")
	}

	db, err := storage.Open(w.db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, err := db.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range recs {
		types = append(types, string(r.Type))
	}
	if n := countOf(types, string(approvals.EventDryRun)); n != 2 {
		t.Errorf("%d dry_run audit records, want 2; audit: %q", n, types)
	}
	if slices.Contains(types, "submitted") {
		t.Errorf("a request was recorded as submitted in a dry run; audit: %q", types)
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, e := range s {
		if e == v {
			n++
		}
	}
	return n
}
