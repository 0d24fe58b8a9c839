package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/mdebot/mdebot/slacktest"
)

// SlashCommand is the only slash command the playground's composer sends.
const SlashCommand = "/mde"

// notCommandHint answers composer text that is not a /mde command.
const notCommandHint = "Only /mde commands are understood here: try /mde help."

// sendTimeout bounds how long an API call waits for the bot's socket to take
// an envelope.
const sendTimeout = 5 * time.Second

// maxRequestBody bounds the API's JSON request bodies.
const maxRequestBody = 64 << 10

// apiError is an API failure: an HTTP status and a sentence for the page.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// commandRequest is the body of POST /api/command.
type commandRequest struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// clickRequest is the body of POST /api/click.
type clickRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	ActionID string `json:"actionId"`
	Value    string `json:"value"`
}

// submitRequest is the body of POST /api/submit.
type submitRequest struct {
	User   string                       `json:"user"`
	ViewID string                       `json:"viewId"`
	Values map[string]map[string]string `json:"values"`
}

// viewActionRequest is the body of POST /api/viewclick (a button in a view:
// the App Home) and POST /api/select (an option picked in a view's
// static_select).
type viewActionRequest struct {
	User     string `json:"user"`
	ViewID   string `json:"viewId"`
	BlockID  string `json:"blockId"`
	ActionID string `json:"actionId"`
	Value    string `json:"value"`
}

// viewRequest is the body of POST /api/close and POST /api/home.
type viewRequest struct {
	User   string `json:"user"`
	ViewID string `json:"viewId"`
}

// apiResult is the answer of the POST endpoints.
type apiResult struct {
	OK         bool   `json:"ok"`
	EnvelopeID string `json:"envelopeId,omitempty"`
	Hint       string `json:"hint,omitempty"`
	Error      string `json:"error,omitempty"`
	// Errors are the bot's validation errors for a submitted modal, by
	// block_id (its ack's response_action "errors").
	Errors map[string]string `json:"errors,omitempty"`
}

// handleState answers GET /api/state?user=U….
func (p *Playground) handleState(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if user == "" {
		user = ResponderID
	}
	if _, ok := person(user); !ok {
		writeAPIError(w, badRequest("unknown user %q", user))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSONBody(w, http.StatusOK, p.state(user))
}

// handleCommand answers POST /api/command: a /mde command typed by the user.
func (p *Playground) handleCommand(w http.ResponseWriter, r *http.Request) {
	var req commandRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	text := strings.TrimSpace(req.Text)
	cmd, args, _ := strings.Cut(text, " ")
	if cmd != SlashCommand {
		writeJSONBody(w, http.StatusOK, apiResult{Hint: notCommandHint})
		return
	}
	p.send(w, r, func(ctx context.Context) (slacktest.Envelope, error) {
		return p.slack.SlashCommand(ctx, req.User, ChannelID, SlashCommand, strings.TrimSpace(args))
	})
}

// handleClick answers POST /api/click: the user clicked a message's button.
func (p *Playground) handleClick(w http.ResponseWriter, r *http.Request) {
	var req clickRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	if req.Channel == "" || req.TS == "" || req.ActionID == "" {
		writeAPIError(w, badRequest("a click needs channel, ts and actionId"))
		return
	}
	p.send(w, r, func(ctx context.Context) (slacktest.Envelope, error) {
		return p.slack.ClickButton(ctx, req.User, slacktest.MessageRef{Channel: req.Channel, TS: req.TS}, req.ActionID, req.Value)
	})
}

// handleSubmit answers POST /api/submit: the user submitted a modal. It
// waits for the bot's ack, so that the page can show the bot's validation
// errors as Slack shows them, under the inputs.
func (p *Playground) handleSubmit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.sendTimeout)
	defer cancel()
	env, err := p.slack.SubmitView(ctx, req.User, req.ViewID, req.Values)
	if err != nil {
		p.sendFailed(w, r, err)
		return
	}
	res := apiResult{OK: true, EnvelopeID: env.ID}
	if ack, err := p.slack.WaitAck(ctx, env.ID); err == nil {
		var body struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if json.Unmarshal(ack.Payload, &body) == nil && body.ResponseAction == "errors" {
			res.OK, res.Errors = false, body.Errors
		}
	}
	writeJSONBody(w, http.StatusOK, res)
}

// handleViewClick answers POST /api/viewclick: the user clicked a button
// of a view (the App Home's Approve or Deny). The page has shown the
// button's confirm dialog, if any, before.
func (p *Playground) handleViewClick(w http.ResponseWriter, r *http.Request) {
	var req viewActionRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	if req.ViewID == "" || req.ActionID == "" {
		writeAPIError(w, badRequest("a view click needs viewId and actionId"))
		return
	}
	p.send(w, r, func(ctx context.Context) (slacktest.Envelope, error) {
		return p.slack.ClickViewButton(ctx, req.User, req.ViewID, req.BlockID, req.ActionID, req.Value)
	})
}

// handleSelect answers POST /api/select: the user picked an option of a
// view's select (the App Home's history filters).
func (p *Playground) handleSelect(w http.ResponseWriter, r *http.Request) {
	var req viewActionRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	if req.ViewID == "" || req.ActionID == "" {
		writeAPIError(w, badRequest("a selection needs viewId, actionId and value"))
		return
	}
	p.send(w, r, func(ctx context.Context) (slacktest.Envelope, error) {
		return p.slack.SelectViewOption(ctx, req.User, req.ViewID, req.ActionID, req.Value)
	})
}

// handleClose answers POST /api/close: the user closed a modal. The fake
// workspace has no view_closed interaction, so the page just stops showing it.
func (p *Playground) handleClose(w http.ResponseWriter, r *http.Request) {
	var req viewRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	p.mu.Lock()
	p.dismissed[req.ViewID] = true
	p.mu.Unlock()
	writeJSONBody(w, http.StatusOK, apiResult{OK: true})
	p.nudge()
}

// handleHome answers POST /api/home: the user opened the app's Home tab.
func (p *Playground) handleHome(w http.ResponseWriter, r *http.Request) {
	var req viewRequest
	if !decodeRequest(w, r, &req) {
		return
	}
	p.send(w, r, func(ctx context.Context) (slacktest.Envelope, error) {
		return p.slack.OpenAppHome(ctx, req.User)
	})
}

// send hands an envelope to the bot and answers with its ID, or with why it
// could not.
func (p *Playground) send(w http.ResponseWriter, r *http.Request, do func(context.Context) (slacktest.Envelope, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), p.sendTimeout)
	defer cancel()
	env, err := do(ctx)
	if err != nil {
		p.sendFailed(w, r, err)
		return
	}
	writeJSONBody(w, http.StatusOK, apiResult{OK: true, EnvelopeID: env.ID})
}

// sendFailed answers why an envelope could not be handed to the bot.
func (p *Playground) sendFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		writeAPIError(w, &apiError{status: http.StatusServiceUnavailable, msg: "mdebot is not connected: is the bot running?"})
		return
	}
	p.log.Debug("playground request refused", "path", r.URL.Path, "error", err)
	writeAPIError(w, badRequest("%s", strings.TrimPrefix(err.Error(), "slacktest: ")))
}

// decodeRequest reads a JSON body naming a seeded user. Requiring the JSON
// content type makes a cross-site form post fail its CORS preflight.
func decodeRequest(w http.ResponseWriter, r *http.Request, v interface{ user() string }) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeAPIError(w, &apiError{status: http.StatusUnsupportedMediaType, msg: "the body must be application/json"})
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeAPIError(w, badRequest("bad request body: %v", err))
		return false
	}
	if _, ok := person(v.user()); !ok {
		writeAPIError(w, badRequest("unknown user %q", v.user()))
		return false
	}
	return true
}

func (c *commandRequest) user() string { return c.User }
func (c *clickRequest) user() string   { return c.User }
func (c *submitRequest) user() string  { return c.User }
func (c *viewRequest) user() string    { return c.User }

func (c *viewActionRequest) user() string { return c.User }

func writeAPIError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var ae *apiError
	if errors.As(err, &ae) {
		status = ae.status
	}
	writeJSONBody(w, status, apiResult{Error: err.Error()})
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
