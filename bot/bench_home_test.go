package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/storage"
)

// Benchmarks only (figures are reported, never asserted):
//
//	go test -run x -bench 'Of100k' ./bot
//
// Building the 100,000-request database takes about a minute (one fsync
// per request).

const (
	benchRequests = 100_000
	benchLive     = 1_000 // awaiting approval, one machine each
	benchViewer   = "U0APPR1"
)

// benchHomeDB returns a database of 100,000 requests by 500 requesters,
// in a directory removed when b ends: 1,000 awaiting approval, the rest
// finished.
func benchHomeDB(b *testing.B) *storage.DB {
	b.Helper()
	db, err := storage.Open(filepath.Join(b.TempDir(), "mdebot.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	start := time.Now().Add(-benchRequests * time.Minute)
	kinds := []approvals.Kind{approvals.KindScan, approvals.KindIsolate, approvals.KindCollect, approvals.KindRestrict}
	states := []approvals.State{approvals.StateSucceeded, approvals.StateDenied, approvals.StateExpired, approvals.StateFailed, approvals.StateWithdrawn}
	for i := range benchRequests {
		created := start.Add(time.Duration(i) * time.Minute)
		r := &approvals.Request{ID: fmt.Sprintf("R-%06d", i), Kind: kinds[i%len(kinds)], Requester: fmt.Sprintf("U%04d", i%500),
			Channel: socChannel, Reason: "benchmark", Created: created, Expires: created.Add(time.Hour), Required: 1,
			State: states[i%len(states)], Updated: created.Add(time.Minute),
			Params: approvals.Params{Machine: defender.MachineID(fmt.Sprintf("%040x", i%5000+1)), MachineName: fmt.Sprintf("ws-%04d", i%5000)}}
		if i >= benchRequests-benchLive {
			r.State, r.Expires, r.Kind = approvals.StateAwaiting, time.Now().Add(time.Hour), approvals.KindIsolate
			r.Params.Machine = defender.MachineID(fmt.Sprintf("%040x", 100000+i))
		}
		switch r.Kind {
		case approvals.KindScan:
			r.Params.Scan = defender.ScanQuick
		case approvals.KindIsolate:
			r.Params.Isolation = defender.IsolationFull
		}
		err := db.Create(ctx, r, func([]*approvals.Request) ([]approvals.AuditEvent, error) {
			return []approvals.AuditEvent{{At: created, Type: approvals.EventRequested, RequestID: r.ID, Actor: r.Requester}}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// benchBot is a Bot on db that is not running; its Slack and MDE are never
// called by the code benchmarked.
func benchBot(b *testing.B, db *storage.DB) *Bot {
	b.Helper()
	svc, err := approvals.New(approvals.Options{Policy: approvals.Policy{Approvers: []string{benchViewer}, Auditors: []string{benchViewer}, TTL: time.Hour}, Store: db})
	if err != nil {
		b.Fatal(err)
	}
	def, err := defender.NewClient(defender.WithBaseURL("http://127.0.0.1:1"), defender.WithTokenSource(benchToken{}))
	if err != nil {
		b.Fatal(err)
	}
	api := slack.New("xoxb-bench", slack.OptionAPIURL("http://127.0.0.1:1/"))
	bot, err := New(Options{Slack: api, Socket: socketmode.New(api), Approvals: svc, History: db, Defender: def, Outbox: db})
	if err != nil {
		b.Fatal(err)
	}
	return bot
}

// BenchmarkOf100kRequests measures an App Home (read and render) and a
// history page over 100,000 requests.
func BenchmarkOf100kRequests(b *testing.B) {
	db := benchHomeDB(b)
	bot := benchBot(b, db)
	b.Run("AppHome", func(b *testing.B) { benchAppHome(b, bot) })
	b.Run("HistoryPage", func(b *testing.B) { benchHistoryPage(b, bot, db) })
}

func benchAppHome(b *testing.B, bot *Bot) {
	ctx := context.Background()
	for _, f := range []blocks.HomeFilter{{}, {Kind: command.VerbScan, Outcome: approvals.OutcomeFailed}} {
		b.Run(fmt.Sprintf("kind=%s,outcome=%s", f.Kind, f.Outcome), func(b *testing.B) {
			for b.Loop() {
				v, err := bot.homeView(ctx, benchViewer, f)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(blocks.RenderHome(v)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchHistoryPage(b *testing.B, bot *Bot, db *storage.DB) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		filter command.HistoryFilter
	}{
		{"all", command.HistoryFilter{}},
		{"one user", command.HistoryFilter{UserID: "U0042"}},
		{"kind and outcome since 30d", command.HistoryFilter{Kind: command.VerbIsolate, Outcome: approvals.OutcomeSucceeded, Since: 30 * 24 * time.Hour}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				page, err := db.History(ctx, bot.historyQuery(tc.filter, ""))
				if err != nil {
					b.Fatal(err)
				}
				rows := make([]blocks.HistoryRow, len(page.Requests))
				for i, r := range page.Requests {
					rows[i] = historyRow(r, "")
				}
				if _, err := json.Marshal(blocks.RenderHistory(rows, page.Next).Blocks); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchToken is a defender.TokenSource for a client that is never called.
type benchToken struct{}

func (benchToken) Token(context.Context) (string, error) { return "bench", nil }
