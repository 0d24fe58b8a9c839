package slacktest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mdebot/mdebot/slacktest"
	"github.com/slack-go/slack"
)

func Example() {
	clock := func() time.Time { return time.Unix(1700000000, 100e3) }
	s := slacktest.NewServer(
		slacktest.WithClock(clock),
		slacktest.WithChannels(slacktest.Channel{ID: "C0OPS", Name: "secops"}),
	)
	defer s.Close()

	// The bot under test is configured with these.
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))

	ctx := context.Background()
	if _, _, err := api.PostMessageContext(ctx, "C0OPS", slack.MsgOptionText("host-1 isolated", false)); err != nil {
		fmt.Println(err)
	}
	m, _ := s.WaitMessage(ctx, func(m slacktest.Message) bool { return m.Channel == "C0OPS" })
	fmt.Println(m.TS, m.User, m.Text)

	_, _, err := api.PostMessageContext(ctx, "C0OPS", slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "*bold*", false, false))))
	fmt.Println(err)
	// Output:
	// 1700000000.000100 U0FAKEBOT host-1 isolated
	// invalid_blocks
}
