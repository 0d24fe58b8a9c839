package bot

import (
	"context"
	"fmt"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/slack-go/slack"
)

// openDM opens (or finds) the bot's direct-message channel with user
// (conversations.open, scope im:write) and returns its id.
func (b *Bot) openDM(ctx context.Context, user string) (string, error) {
	ch, _, _, err := b.o.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", fmt.Errorf("opening a DM with %s: %w", user, err)
	}
	return ch.ID, nil
}

// dm posts m to user in their DM with the bot.
func (b *Bot) dm(ctx context.Context, user string, m blocks.Message) error {
	channel, err := b.openDM(ctx, user)
	if err != nil {
		return err
	}
	if _, err := b.post(ctx, channel, "", m); err != nil {
		return fmt.Errorf("posting a DM to %s: %w", user, err)
	}
	return nil
}
