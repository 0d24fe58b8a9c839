package slacktest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/slack-go/slack"

	"github.com/mdebot/mdebot/slacktest"
)

func TestUsersListPagesThroughEveryUserWithSlackGo(t *testing.T) {
	var users []slacktest.User
	for _, id := range []string{"U01", "U02", "U03", "U04", "U05"} {
		users = append(users, slacktest.User{ID: id, Name: "h" + id, RealName: "Real " + id, DisplayName: "Disp " + id})
	}
	srv := slacktest.NewServer(slacktest.WithUsers(users...))
	t.Cleanup(srv.Close)
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(srv.APIURL()))
	p := api.GetUsersPaginated(slack.GetUsersOptionLimit(2))
	var got []string
	pages := 0
	for {
		var err error
		p, err = p.Next(context.Background())
		if p.Done(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range p.Users {
			got = append(got, u.ID)
			if u.IsBot {
				continue // the bot user the fake always has
			}
			if u.Profile.DisplayName != "Disp "+u.ID || u.RealName != "Real "+u.ID {
				t.Errorf("user %s: display %q real %q", u.ID, u.Profile.DisplayName, u.RealName)
			}
		}
	}
	if pages != 3 || !slices.Contains(got, "U05") || !slices.Contains(got, slacktest.BotUserID) || len(got) != 6 {
		t.Errorf("%d pages of %v, want 3 pages of the 5 users and the bot", pages, got)
	}
	if _, err := api.GetUsersContext(context.Background()); err != nil {
		t.Fatalf("GetUsers: %v", err)
	}
}
