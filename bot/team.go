package bot

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot/blocks"
)

// Team is the Slack workspace the bot is installed in, as auth.test
// reports it: only envelopes from this workspace are served.
type Team struct {
	ID           string // T…
	EnterpriseID string // E…, in an Enterprise Grid organization
}

// ownTeam caches the bot's Team, learned from Options.Team or auth.test.
type ownTeam struct {
	mu   sync.Mutex
	team Team
}

// team returns the bot's workspace, asking auth.test until it answers.
func (b *Bot) team(ctx context.Context) (Team, error) {
	b.own.mu.Lock()
	defer b.own.mu.Unlock()
	if b.own.team.ID != "" {
		return b.own.team, nil
	}
	resp, err := b.o.Slack.AuthTestContext(ctx)
	if err != nil {
		return Team{}, err
	}
	b.own.team = Team{ID: resp.TeamID, EnterpriseID: resp.EnterpriseID}
	return b.own.team, nil
}

// envelopeOrigin is who sent an envelope, from where: the team ids it
// carries (the workspace's and, for interactions, the user's own), its
// enterprise id, and the user and channel to answer.
type envelopeOrigin struct {
	teams         []string
	enterprise    string
	user, channel string
}

// originOf reads evt's origin; ok is false for envelopes that carry none
// (hello, disconnect), which are not served requests.
func originOf(evt socketmode.Event) (o envelopeOrigin, ok bool) {
	switch d := evt.Data.(type) {
	case slack.SlashCommand:
		return envelopeOrigin{teams: []string{d.TeamID}, enterprise: d.EnterpriseID, user: d.UserID, channel: d.ChannelID}, true
	case slack.InteractionCallback:
		o := envelopeOrigin{teams: []string{d.Team.ID}, enterprise: d.Enterprise.ID, user: d.User.ID, channel: clickChannel(d)}
		if d.User.TeamID != "" {
			o.teams = append(o.teams, d.User.TeamID)
		}
		return o, true
	case slackevents.EventsAPIEvent:
		return envelopeOrigin{teams: []string{d.TeamID}, enterprise: d.EnterpriseID}, true
	}
	return envelopeOrigin{}, false
}

// fromOwnTeam reports whether evt comes from the bot's own workspace: its
// team ids (the workspace's and, for a click, the user's own) all equal
// the bot's team, and its enterprise id, when it carries one, the bot's
// enterprise. A Slack Connect guest from another organization in a
// shared channel sends another team id, and is refused whatever
// slack.requesters says: an empty requesters list means anyone in the
// bot's own workspace. A refusal is logged and audited, and the sender
// told; envelopes are refused too while the bot's team is unknown
// (auth.test not answering).
func (b *Bot) fromOwnTeam(ctx context.Context, evt socketmode.Event) bool {
	o, ok := originOf(evt)
	if !ok {
		return true
	}
	own, err := b.team(ctx)
	if err != nil {
		b.log.ErrorContext(ctx, "envelope refused: the bot's own Slack team is unknown (auth.test failed)",
			"type", evt.Type, "user", o.user, "error", err)
		if o.user != "" && o.channel != "" {
			b.reply(ctx, interaction{user: o.user, channel: o.channel}, blocks.RenderNotice(":warning: mdebot cannot confirm its Slack workspace right now; try again in a minute."))
		}
		return false
	}
	foreign := ""
	for _, t := range o.teams {
		if t != own.ID {
			foreign = "team " + t
			break
		}
	}
	if foreign == "" && o.enterprise != "" && o.enterprise != own.EnterpriseID {
		foreign = "enterprise " + o.enterprise
	}
	if foreign == "" {
		return true
	}
	b.log.WarnContext(ctx, "envelope from another Slack workspace refused", "type", evt.Type,
		"user", o.user, "channel", o.channel, "from", foreign, "own_team", own.ID)
	if o.user != "" {
		err := b.o.Approvals.RefuseOutsider(ctx, o.user, string(evt.Type)+" from "+foreign+", not this workspace "+own.ID)
		if o.channel != "" {
			b.replyError(ctx, interaction{user: o.user, channel: o.channel}, err)
		} else if !errors.Is(err, approvals.ErrWorkspace) {
			b.log.ErrorContext(ctx, "auditing a refused envelope failed", "user", o.user, "error", err)
		}
	}
	return false
}
