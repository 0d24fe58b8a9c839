package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

const maxUploadBytes = 32 << 20

type upload struct {
	name, altText string
	length        int
	content       []byte
	uploaded      bool
	completed     bool
}

// filesGetUploadURLExternal answers files.getUploadURLExternal with an
// upload URL on the fake itself (same scheme and host as the API, so
// slack-go agrees to send the token there).
func (s *Server) filesGetUploadURLExternal(c *call) (map[string]any, *apiError) {
	name := c.param("filename")
	length, err := strconv.Atoi(c.param("length"))
	if name == "" || err != nil || length <= 0 {
		return nil, fail("invalid_arguments")
	}
	id := s.nextIDLocked("F")
	s.uploads[id] = &upload{name: name, altText: c.param("alt_txt"), length: length}
	return map[string]any{"file_id": id, "upload_url": s.baseURL + "/upload/" + id}, nil
}

// serveUpload receives the file bytes, as multipart (field "file") or raw.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("file")
	content, err := readUpload(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	u, ok := s.uploads[id]
	if ok && !u.completed {
		u.content, u.uploaded = content, true
	}
	s.changeLocked()
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(content))
}

func readUpload(r *http.Request) ([]byte, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := io.LimitReader(r.Body, maxUploadBytes)
	if !strings.HasPrefix(ct, "multipart/") {
		return io.ReadAll(body)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no file part: %w", err)
		}
		if part.FormName() == "file" {
			return io.ReadAll(part)
		}
	}
}

// filesCompleteUploadExternal answers files.completeUploadExternal and, with
// a channel, posts a message carrying the files.
func (s *Server) filesCompleteUploadExternal(c *call) (map[string]any, *apiError) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.param("files")), &summaries); err != nil || len(summaries) == 0 {
		return nil, fail("invalid_arguments")
	}
	channel := c.param("channel_id")
	if channel == "" {
		channel, _, _ = strings.Cut(c.param("channels"), ",")
	}
	if channel != "" {
		var ok bool
		if channel, ok = s.resolveTargetLocked(channel); !ok {
			return nil, fail("channel_not_found")
		}
	}
	var files []File
	out := make([]map[string]any, 0, len(summaries))
	for _, f := range summaries {
		u, ok := s.uploads[f.ID]
		if !ok || u.completed {
			return nil, fail("file_not_found")
		}
		if !u.uploaded {
			return nil, fail("file_upload_not_completed")
		}
		title := f.Title
		if title == "" {
			title = u.name
		}
		files = append(files, File{ID: f.ID, Name: u.name, Title: title, Content: append([]byte(nil), u.content...)})
		out = append(out, map[string]any{"id": f.ID, "title": title})
	}
	text := c.param("initial_comment")
	if len([]rune(text)) > maxMessageText {
		return nil, fail("msg_too_long")
	}
	var blocks json.RawMessage
	if raw := strings.TrimSpace(c.param("blocks")); raw != "" && text == "" {
		parsed, problems, bad := validateBlocks(json.RawMessage(raw), surfaceMessage, maxMessageBlocks)
		switch {
		case bad:
			return nil, fail("invalid_blocks_format")
		case len(problems) > 0:
			return nil, fail("invalid_blocks", problems...)
		case len(parsed) > 0:
			blocks = storedBlocks(json.RawMessage(raw), parsed)
		}
	}
	for _, f := range summaries {
		s.uploads[f.ID].completed = true
	}
	if channel != "" {
		s.postLocked(&Message{Channel: channel, ThreadTS: c.param("thread_ts"), User: BotUserID, Text: text,
			Blocks: blocks, Files: files})
	}
	return map[string]any{"files": out}, nil
}

// Files returns every completed upload's content by file ID, shared or not.
func (s *Server) Files() map[string]File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]File{}
	for id, u := range s.uploads {
		if u.completed {
			out[id] = File{ID: id, Name: u.name, Title: u.name, Content: append([]byte(nil), u.content...)}
		}
	}
	return out
}
