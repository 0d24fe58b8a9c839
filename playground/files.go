package playground

import (
	"mime"
	"net/http"
	"path"
	"strconv"

	"github.com/mdebot/mdebot/slacktest"
)

// handleFile answers GET /api/file?user=U…&id=F…: the content of a file
// attached to a message user can see (in the channel or in their DM with
// the bot), as an attachment, so that the browser saves it rather than
// showing it.
func (p *Playground) handleFile(w http.ResponseWriter, r *http.Request) {
	user, id := r.URL.Query().Get("user"), r.URL.Query().Get("id")
	if _, ok := person(user); !ok {
		writeAPIError(w, badRequest("unknown user %q", user))
		return
	}
	f, ok := p.visibleFile(user, id)
	if !ok {
		writeAPIError(w, &apiError{status: http.StatusNotFound, msg: "no file " + strconv.Quote(id) + " in a conversation you can see"})
		return
	}
	ctype := mime.TypeByExtension(path.Ext(f.Name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(f.Name)})
	if disposition == "" {
		disposition = "attachment" // a name FormatMediaType cannot encode
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(f.Content)
}

// visibleFile finds the file id among the attachments of the messages
// user can see.
func (p *Playground) visibleFile(user, id string) (slacktest.File, bool) {
	for _, channel := range []string{ChannelID, slacktest.DMChannelID(user)} {
		for _, m := range p.slack.Messages(channel) {
			if m.Deleted || (m.Ephemeral && m.VisibleTo != user) {
				continue
			}
			for _, f := range m.Files {
				if f.ID == id {
					return f, true
				}
			}
		}
	}
	return slacktest.File{}, false
}
