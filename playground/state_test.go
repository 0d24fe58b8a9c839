package playground

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/slacktest"
)

func TestVisibleMessagesNestRepliesAndHideOtherPeoplesEphemerals(t *testing.T) {
	bot := slacktest.BotUserID
	all := []slacktest.Message{
		{TS: "1.1", User: bot, Text: "card", Edited: 2},
		{TS: "1.2", ThreadTS: "1.1", User: bot, Text: "reply"},
		{TS: "1.3", User: bot, Text: "for riley", Ephemeral: true, VisibleTo: ResponderID},
		{TS: "1.4", User: bot, Text: "for alex", Ephemeral: true, VisibleTo: Approver1ID},
		{TS: "1.5", ThreadTS: "1.1", User: bot, Text: "thread ephemeral for alex", Ephemeral: true, VisibleTo: Approver1ID},
		{TS: "1.6", User: bot, Text: "gone", Deleted: true},
		{TS: "1.7", ThreadTS: "1.6", User: bot, Text: "orphan"},
		{TS: "1.8", ThreadTS: "1.8", User: bot, Text: "own thread root"},
	}
	want := []StateMessage{
		{TS: "1.1", User: bot, IsBot: true, Text: "card", Edited: true, Replies: []StateMessage{
			{TS: "1.2", ThreadTS: "1.1", User: bot, IsBot: true, Text: "reply"},
		}},
		{TS: "1.3", User: bot, IsBot: true, Text: "for riley", Ephemeral: true},
		{TS: "1.7", ThreadTS: "1.6", User: bot, IsBot: true, Text: "orphan"},
		{TS: "1.8", User: bot, IsBot: true, Text: "own thread root"},
	}
	if diff := cmp.Diff(want, visibleMessages(all, ResponderID)); diff != "" {
		t.Errorf("Riley's messages (-want +got):\n%s", diff)
	}
	alex := visibleMessages(all, Approver1ID)
	if len(alex) != 4 || len(alex[0].Replies) != 2 || alex[1].Text != "for alex" {
		t.Errorf("Alex's messages = %+v", alex)
	}
}

func TestEveryExampleIsAnMdeCommandWithANote(t *testing.T) {
	for _, ex := range Examples() {
		if len(ex.Command) < len(SlashCommand)+2 || ex.Command[:len(SlashCommand)+1] != SlashCommand+" " || ex.Note == "" {
			t.Errorf("example %+v", ex)
		}
	}
}
