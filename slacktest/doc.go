// Package slacktest is a stateful fake of Slack's Web API and Socket Mode for
// tests, in the spirit of net/http/httptest.
//
// A Server listens on 127.0.0.1 (plain HTTP and ws://) and is driven by the
// real slack-go client: point slack.OptionAPIURL at Server.APIURL and give the
// client AppToken and BotToken. The fake answers the Web API methods the bot
// uses with Slack's response shapes and error strings, enforces Slack's Block
// Kit limits, and speaks Socket Mode the way Slack does: a hello frame,
// websocket pings, envelopes with real payload shapes, acks tracked per
// envelope, disconnect frames and reconnects.
//
// Web API methods: apps.connections.open, auth.test, chat.postMessage,
// chat.update, chat.postEphemeral, chat.delete, chat.getPermalink,
// users.info, users.list (paged by cursor), usergroups.users.list, conversations.open, views.open,
// views.push, views.update, views.publish, files.getUploadURLExternal (with
// an upload URL on the fake) and files.completeUploadExternal. Any other
// method answers unknown_method. Interactions also get a working
// response_url, and a slash command's ack payload is posted as Slack does.
//
// Tests drive the bot with SlashCommand, ClickButton, SubmitView and
// OpenAppHome, then observe what it did with Messages, Views, Acks and Calls,
// or wait for it with WaitMessage, WaitView and WaitAck (a context bounds the
// wait; nothing sleeps). FailNext and RateLimitNext script failures;
// DropConnection and Disconnect exercise reconnection. Subscribe streams
// every state change, for a viewer that renders the fake workspace.
//
// WithRateLimits makes the fake enforce Slack's rate limits (SlackLimits:
// chat.postMessage per channel, the method tiers), answering HTTP 429 with
// Retry-After for a call over them and recording any call made before a
// Retry-After expired (RetryAfterViolations); FailNextHTTP and SlowNext
// inject 5xx answers and replies slower than a client's timeout.
//
// Slack-side time (message ts, trigger_id expiry, event times) comes from the
// clock given with WithClock; socket latencies use the monotonic wall clock.
// A Server is safe for concurrent use.
//
// RemoveBot takes the bot out of a channel (its posts and edits there answer
// not_in_channel). Not modelled: other channel membership (user_not_in_channel), thread_ts
// existence, multi-person DMs, pagination, and events other than
// app_home_opened.
package slacktest
