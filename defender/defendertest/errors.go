package defendertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

const (
	errorContentType = "application/json; charset=utf-8"
	odataContentType = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
)

// mdeTimeFormat renders timestamps the way MDE does: UTC, 7 fractional digits.
const mdeTimeFormat = "2006-01-02T15:04:05.0000000Z"

func mdeTime(t time.Time) string { return t.UTC().Format(mdeTimeFormat) }

func mdeTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := mdeTime(t)
	return &v
}

// writeOData answers status with an OData entity or collection body.
func (rep *reply) writeOData(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rep.writeError(http.StatusInternalServerError, "InternalServerError", "")
		return
	}
	rep.status = status
	rep.header.Set("Content-Type", odataContentType)
	rep.header.Set("OData-Version", "4.0")
	rep.body = b
}

type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

// writeError answers with MDE's error shape
// {"error":{"code":…,"message":…,"target":…}}.
func (rep *reply) writeError(status int, code, message string) {
	b, _ := json.Marshal(apiError{Error: apiErrorBody{Code: code, Message: message, Target: correlationID()}})
	rep.status = status
	rep.header.Set("Content-Type", errorContentType)
	rep.body = b
}

func (rep *reply) writeErrorf(status int, code, format string, args ...any) {
	rep.writeError(status, code, fmt.Sprintf(format, args...))
}

// writeODataError answers 400 with the body the OData layer produces:
// an empty code and a details array.
func (rep *reply) writeODataError(message string) {
	body := struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details []any  `json:"details"`
		} `json:"error"`
	}{}
	body.Error.Message = "The query specified in the URI is not valid. " + message
	body.Error.Details = []any{}
	b, _ := json.Marshal(body)
	rep.status = http.StatusBadRequest
	rep.header.Set("Content-Type", errorContentType)
	rep.body = b
}

// correlationID imitates the request-id style target of real error bodies,
// e.g. "|b1838e63-40a6640ddd2719ac.".
func correlationID() string {
	g := newGUID()
	return "|" + g[:8] + "-" + g[9:13] + g[14:18] + g[19:23] + g[24:28] + "."
}

// writeJSON answers status with a plain JSON body.
func (rep *reply) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rep.status = http.StatusInternalServerError
		return
	}
	rep.status = status
	rep.header.Set("Content-Type", errorContentType)
	rep.body = b
}
