package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEntraRefusalReadsTheOAuthErrorReply(t *testing.T) {
	tests := []struct {
		name     string
		err      string
		code     string
		desc     string
		refusing bool
	}{
		{"wrong secret", `http call(...)(POST) error: reply status code was 401:` + "\n" +
			`{"error":"invalid_client","error_codes":[7000215],"error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`,
			"invalid_client", "AADSTS7000215: Invalid client secret provided.", true},
		{"unknown tenant", `status 400: {"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}`,
			"invalid_request", "AADSTS90002: Tenant 'x' not found.", true},
		{"server error", `status 503: {"error":"temporarily_unavailable","error_description":"try later"}`, "", "", false},
		{"network", `dial tcp 127.0.0.1:1: connect: connection refused`, "", "", false},
		{"braces but no JSON", `weird } reply {`, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, desc, ok := entraRefusal(errors.New(tt.err))
			if diff := cmp.Diff([]any{tt.code, tt.desc, tt.refusing}, []any{code, desc, ok}); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestEntraFixNamesTheScopeInUse(t *testing.T) {
	const govScope = "https://api-gov.securitycenter.microsoft.us/.default"
	err := errors.New(`status 400: {"error":"invalid_resource","error_description":"AADSTS500011: The resource principal named x was not found."}`)
	got := entraFix(err, govScope)
	if !strings.Contains(got, "MDE_SCOPE (now "+govScope+")") || !strings.Contains(got, "MDE_CLOUD") {
		t.Errorf("entraFix = %q, want it to name the scope in use and MDE_CLOUD", got)
	}
}
