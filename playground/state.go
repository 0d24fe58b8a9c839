package playground

import (
	"encoding/json"
	"net/url"
	"slices"
	"time"

	"github.com/mdebot/mdebot/slacktest"
)

// BotName is the name the page shows on the bot's messages.
const BotName = "mdebot"

// recentActions is how many tenant actions the page's tenant panel lists.
const recentActions = 8

// State is the page's view of the workspace as one person sees it: the JSON
// answer of GET /api/state.
type State struct {
	User   string   `json:"user"`
	People []Person `json:"people"`
	// Names maps user and user-group IDs to the name the page shows.
	Names   map[string]string `json:"names"`
	Channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"channel"`
	// Messages are the channel's top-level messages the user can see, in
	// post order, each with its visible thread replies.
	Messages []StateMessage `json:"messages"`
	// DM is the user's direct-message conversation with the bot: the App
	// Home's Messages tab, where notices and /mde export's files arrive.
	DM StateConversation `json:"dm"`
	// WorkspaceURL is the fake workspace's https://<domain>.slack.com
	// address: the page opens links to its messages (permalinks) in place.
	WorkspaceURL string `json:"workspaceUrl"`
	// Links maps links the bot shows that lead outside the playground (the
	// simulated tenant's package links) to the page's path serving them.
	Links map[string]string `json:"links"`
	// Modal is the user's open modal (the top of its stack), if any.
	Modal *StateView `json:"modal"`
	// Home is the App Home view last published for the user, if any.
	Home *StateView `json:"home"`
	// BotConnected reports whether the bot holds a Socket Mode connection.
	BotConnected bool `json:"botConnected"`
	// Actions are the tenant's most recent machine actions, newest first.
	Actions []StateAction `json:"actions"`
	// Examples are commands to try.
	Examples []Example `json:"examples"`
}

// StateMessage is a message as the page renders it.
type StateMessage struct {
	TS        string          `json:"ts"`
	ThreadTS  string          `json:"threadTs,omitempty"`
	User      string          `json:"user"`
	IsBot     bool            `json:"isBot"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Ephemeral bool            `json:"ephemeral"`
	Edited    bool            `json:"edited"`
	Replies   []StateMessage  `json:"replies,omitempty"`
	// Files are the message's attachments, downloadable from FileURL.
	Files []StateFile `json:"files,omitempty"`
}

// StateConversation is a conversation other than the channel.
type StateConversation struct {
	ID       string         `json:"id"`
	Messages []StateMessage `json:"messages"`
}

// StateFile is a file attached to a message.
type StateFile struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
	Size  int    `json:"size"`
	// URL is the page's download link: GET /api/file?user=…&id=….
	URL string `json:"url"`
}

// StateView is a modal or App Home view with its Block Kit JSON.
type StateView struct {
	ID   string          `json:"id"`
	View json.RawMessage `json:"view"`
}

// StateAction is one machine action of the simulated tenant.
type StateAction struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Status  string    `json:"status"`
	Machine string    `json:"machine"`
	Created time.Time `json:"created"`
	Error   string    `json:"error,omitempty"`
}

// state builds the page state for user.
func (p *Playground) state(user string) State {
	st := State{User: user, People: People(), Names: map[string]string{slacktest.BotUserID: BotName, ApproversID: approversTag}}
	for _, pe := range st.People {
		st.Names[pe.ID] = pe.RealName
	}
	st.Channel.ID, st.Channel.Name = ChannelID, ChannelName
	st.Messages = visibleMessages(p.slack.Messages(ChannelID), user)
	st.DM.ID = slacktest.DMChannelID(user)
	st.DM.Messages = visibleMessages(p.slack.Messages(st.DM.ID), user)
	st.WorkspaceURL = "https://" + teamDomain + ".slack.com"
	st.Modal, st.Home = p.views(user)
	st.BotConnected = p.slack.Connected()
	st.Examples = Examples()
	acts := p.tenant.Actions()
	st.Links = packageLinks(acts)
	for i := len(acts) - 1; i >= 0 && len(st.Actions) < recentActions; i-- {
		a := acts[i]
		st.Actions = append(st.Actions, StateAction{
			ID: a.ID, Type: a.Type, Status: a.Status, Machine: a.ComputerDNSName, Created: a.Created, Error: a.Error,
		})
	}
	return st
}

// visibleMessages groups the channel's messages into top-level messages
// with their replies, leaving out deleted messages and other people's
// ephemerals.
func visibleMessages(all []slacktest.Message, user string) []StateMessage {
	top := []StateMessage{}
	index := map[string]int{}
	for _, m := range all {
		if m.Deleted || (m.Ephemeral && m.VisibleTo != user) {
			continue
		}
		sm := StateMessage{
			TS: m.TS, User: m.User, IsBot: m.User == slacktest.BotUserID, Text: m.Text,
			Blocks: m.Blocks, Ephemeral: m.Ephemeral, Edited: m.Edited > 0,
		}
		for _, f := range m.Files {
			sm.Files = append(sm.Files, StateFile{ID: f.ID, Name: f.Name, Title: f.Title, Size: len(f.Content),
				URL: "/api/file?" + url.Values{"user": {user}, "id": {f.ID}}.Encode()})
		}
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			sm.ThreadTS = m.ThreadTS
			if i, ok := index[m.ThreadTS]; ok {
				top[i].Replies = append(top[i].Replies, sm)
				continue
			}
			// A reply to a deleted or invisible parent shows on its own.
		}
		index[m.TS] = len(top)
		top = append(top, sm)
	}
	return top
}

// views returns the user's open modal (unless the page closed it) and
// latest App Home view.
func (p *Playground) views(user string) (modal, home *StateView) {
	p.mu.Lock()
	defer p.mu.Unlock()
	vs := p.slack.Views()
	for _, v := range slices.Backward(vs) {
		if v.UserID != user {
			continue
		}
		switch {
		case v.Type == "home" && home == nil:
			home = &StateView{ID: v.ID, View: v.JSON}
		case v.Type == "modal" && modal == nil && !v.Closed && !p.dismissed[v.ID]:
			modal = &StateView{ID: v.ID, View: v.JSON}
		}
	}
	return modal, home
}
