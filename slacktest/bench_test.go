package slacktest

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkSlashCommandAckRoundTrip measures one slash command written by the
// fake, decoded and acked by a real socketmode client, and recorded, one at a
// time. Run it for 1,000 commands with -benchtime=1000x.
func BenchmarkSlashCommandAckRoundTrip(b *testing.B) {
	s := newTestServer(b)
	connectedBot(b, s, nil)
	ctx := testContext(b)
	b.ResetTimer()
	for b.Loop() {
		env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "status host-1")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.WaitAck(ctx, env.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportLatencies(b, s.Acks())
}

// BenchmarkSlashCommandAckPipelined sends b.N slash commands back to back,
// then waits for all their acks: ns/op is the amortized cost of one command
// when the bot is kept busy. Run it with -benchtime=1000x.
func BenchmarkSlashCommandAckPipelined(b *testing.B) {
	s := newTestServer(b)
	connectedBot(b, s, nil)
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	ids := make([]string, 0, b.N)
	b.ResetTimer()
	for range b.N {
		env, err := s.SlashCommand(ctx, alice.ID, ops.ID, "/mde", "status host-1")
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, env.ID)
	}
	for _, id := range ids {
		if _, err := s.WaitAck(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportLatencies(b, s.Acks())
}

func reportLatencies(b *testing.B, acks []Ack) {
	if len(acks) == 0 {
		return
	}
	lat := make([]time.Duration, 0, len(acks))
	for _, a := range acks {
		lat = append(lat, a.Latency)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-ack-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-ack-µs")
}
