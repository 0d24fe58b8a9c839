package bot

import (
	"context"
	"fmt"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/slack-go/slack"
)

// openDM opens (or finds) the bot's direct-message channel with user
// (conversations.open, scope im:write) and returns its id.
func (b *Bot) openDM(ctx context.Context, user string, urgent bool) (string, error) {
	var id string
	err := b.send(ctx, "conversations.open", "", urgent, attemptsFor(urgent), nil, func(ctx context.Context) error {
		ch, _, _, err := b.o.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if err == nil {
			id = ch.ID
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("opening a DM with %s: %w", user, err)
	}
	return id, nil
}

// dm posts m to user in their DM with the bot (urgent: an answer they
// wait for; claim: at most once, see send).
func (b *Bot) dm(ctx context.Context, user string, m blocks.Message, urgent bool, claim func(context.Context, bool) error) error {
	channel, err := b.openDM(ctx, user, urgent)
	if err != nil {
		return err
	}
	if _, err := b.post(ctx, channel, "", m, urgent, claim); err != nil {
		return fmt.Errorf("posting a DM to %s: %w", user, err)
	}
	return nil
}
