package main

import (
	"encoding/json"
	"strings"
)

// entraRefusalCodes are the OAuth errors with which Entra ID refuses a
// configuration (wrong secret or certificate, unknown app or tenant, bad
// scope), as opposed to being unreachable.
var entraRefusalCodes = map[string]bool{
	"invalid_client": true, "unauthorized_client": true, "invalid_request": true,
	"invalid_scope": true, "invalid_resource": true, "invalid_grant": true,
}

// entraRefusal finds Entra ID's OAuth error reply in a token error (MSAL
// quotes the reply's JSON body) and returns its code and the first line of
// its description, e.g. "invalid_client", "AADSTS7000215: Invalid client
// secret provided. …". ok is false if err holds no such reply.
func entraRefusal(err error) (code, description string, ok bool) {
	msg := err.Error()
	start, end := strings.Index(msg, "{"), strings.LastIndex(msg, "}")
	if start < 0 || end < start {
		return "", "", false
	}
	var reply struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal([]byte(msg[start:end+1]), &reply) != nil || !entraRefusalCodes[reply.Error] {
		return "", "", false
	}
	description, _, _ = strings.Cut(reply.Description, "\r\n")
	description, _, _ = strings.Cut(description, "\n")
	return reply.Error, strings.TrimSpace(description), true
}
