package playground

import (
	"io"
	"net/http"
	"testing"

	"github.com/slack-go/slack"
)

// BenchmarkStateOfABusyChannel measures GET /api/state, which the page
// fetches after every change, on a channel with 200 cards and 600 replies.
func BenchmarkStateOfABusyChannel(b *testing.B) {
	p, err := Start(b.Context(), Options{Listen: "127.0.0.1:0", DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	api := botClient(p)
	for range 200 {
		_, ts, err := api.PostMessageContext(b.Context(), ChannelID, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(cardBlocks()...))
		if err != nil {
			b.Fatal(err)
		}
		for range 3 {
			if _, _, err := api.PostMessageContext(b.Context(), ChannelID, slack.MsgOptionText(":gear: Defender: InProgress", false), slack.MsgOptionTS(ts)); err != nil {
				b.Fatal(err)
			}
		}
	}
	url := p.URL() + "api/state?user=" + ResponderID
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		size, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	b.ReportMetric(float64(size), "bytes/state")
}

// BenchmarkVisibleMessages measures grouping 800 messages into threads.
func BenchmarkVisibleMessages(b *testing.B) {
	p, err := Start(b.Context(), Options{Listen: "127.0.0.1:0", DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	api := botClient(p)
	for range 200 {
		_, ts, err := api.PostMessageContext(b.Context(), ChannelID, slack.MsgOptionText("card", false))
		if err != nil {
			b.Fatal(err)
		}
		for range 3 {
			if _, _, err := api.PostMessageContext(b.Context(), ChannelID, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts)); err != nil {
				b.Fatal(err)
			}
		}
	}
	all := p.Slack().Messages(ChannelID)
	b.ReportAllocs()
	for b.Loop() {
		visibleMessages(all, ResponderID)
	}
}
