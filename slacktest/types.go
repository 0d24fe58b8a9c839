package slacktest

import (
	"encoding/json"
	"net/url"
	"time"
)

// Tokens and identities the fake accepts and reports by default.
const (
	// AppToken is the app-level token accepted by apps.connections.open.
	AppToken = "xapp-1-A0FAKEAPP-1-fakeapptoken"
	// BotToken is the bot token accepted by every other Web API method.
	BotToken = "xoxb-1-fakebottoken"
	// AppID is the app's ID in payloads and hello frames.
	AppID = "A0FAKEAPP"
	// BotUserID is the bot's user ID: messages the bot posts carry it.
	BotUserID = "U0FAKEBOT"
	// BotID is the bot's bot ID (auth.test, message bot_id).
	BotID = "B0FAKEBOT"
)

// User is a workspace member known to the fake (users.info, payloads).
type User struct {
	ID, Name, RealName, Email string
	// DisplayName is the profile's display name; empty shows Name.
	DisplayName string
	IsBot       bool
	TZ          string
	// TeamID, when set, makes the user a Slack Connect guest from another
	// organization's workspace: the envelopes the user sends (slash
	// commands, clicks, view submissions) and users.info carry this
	// team_id instead of the fake workspace's, and EnterpriseID, if set,
	// as their enterprise id.
	TeamID, EnterpriseID string
}

// UserGroup is a user group (subteam) answered by usergroups.users.list.
type UserGroup struct {
	ID, Handle, Name string
	Members          []string
}

// Channel is a public or private channel the bot may post to.
type Channel struct {
	ID, Name string
}

// File is a file uploaded with the external upload flow.
type File struct {
	ID, Name, Title string
	Content         []byte
}

// Message is a message as the fake stores it, with its current content.
type Message struct {
	Channel, TS, ThreadTS string
	// User is the poster: BotUserID for messages the bot posted.
	User   string
	Text   string
	Blocks json.RawMessage
	// Ephemeral is set for chat.postEphemeral messages, visible to VisibleTo only.
	Ephemeral bool
	VisibleTo string
	// Edited counts chat.update calls applied to the message.
	Edited  int
	Deleted bool
	Files   []File
}

// Ref returns the message's reference, for ClickButton.
func (m Message) Ref() MessageRef { return MessageRef{Channel: m.Channel, TS: m.TS} }

// MessageRef names a message by channel and ts.
type MessageRef struct {
	Channel, TS string
}

// View is a modal or App Home view the bot opened, pushed or published.
type View struct {
	ID string
	// Type is "modal" or "home".
	Type            string
	UserID          string
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	Hash            string
	// RootViewID is the first modal of a stack; PreviousViewID the one under a pushed modal.
	RootViewID, PreviousViewID string
	// JSON is the view as the bot last sent it.
	JSON json.RawMessage
	// Closed is set once the user submitted (and the ack did not keep it
	// open) or when the stack was cleared.
	Closed bool
}

// APICall is one Web API request the fake received.
type APICall struct {
	Method string
	// Params holds the form and query parameters; JSON the body of JSON methods.
	Params url.Values
	JSON   json.RawMessage
	// Error is the Slack error string answered, "" when ok.
	Error string
	At    time.Time
}

// Envelope identifies a Socket Mode envelope the fake wrote to the bot.
type Envelope struct {
	ID     string
	SentAt time.Time
	// Kind is "slash_commands", "block_actions", "view_submission" or "events_api".
	Kind string
	// UserID is the user whose action the envelope carries.
	UserID string
	// RetryAttempt is 0 for a first delivery, then 1, 2, 3 for the
	// re-deliveries of an envelope not acked in time (WithRedelivery).
	RetryAttempt int
}

// Ack is the bot's acknowledgement of an envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	// Latency runs from the envelope's write to the ack's arrival.
	Latency time.Duration
}

// EventKind names a kind of state change.
type EventKind string

// Kinds of state change published by Subscribe.
const (
	EventMessagePosted  EventKind = "message_posted"
	EventMessageUpdated EventKind = "message_updated"
	EventMessageDeleted EventKind = "message_deleted"
	EventViewOpened     EventKind = "view_opened"
	EventViewUpdated    EventKind = "view_updated"
	EventViewClosed     EventKind = "view_closed"
	EventViewPublished  EventKind = "view_published"
	EventEnvelopeSent   EventKind = "envelope_sent"
	EventAck            EventKind = "ack"
	EventConnected      EventKind = "connected"
	EventDisconnected   EventKind = "disconnected"
)

// Event is one state change. Exactly the field matching Kind is set
// (none for connection events).
type Event struct {
	Kind     EventKind
	Message  *Message
	View     *View
	Envelope *Envelope
	Ack      *Ack
	At       time.Time
}
