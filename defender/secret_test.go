package defender

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mdebot/mdebot/secret"
)

func TestCredentialNeverPrintsTheClientSecret(t *testing.T) {
	c := SecretCredential("hunter2-very-secret")
	cfg := MSALConfig{TenantID: "t", ClientID: "c", Credential: c}
	for _, out := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(c)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("printed the secret: %s", out)
		}
		if !strings.Contains(out, "client secret "+secret.Redacted) {
			t.Errorf("%q does not say it holds a client secret", out)
		}
	}
}

func TestPackageURILosesItsStrayQuotes(t *testing.T) {
	tests := map[string]string{
		`"https://x.test/p.zip?token=a"`: "https://x.test/p.zip?token=a",
		`"\"https://x.test/p.zip?t=a\""`: "https://x.test/p.zip?t=a",
		` https://x.test/p.zip `:         "https://x.test/p.zip",
		`https://x.test/p.zip`:           "https://x.test/p.zip",
		`"https://x.test/p.zip`:          "https://x.test/p.zip",
		`""`:                             "",
		`"`:                              "",
	}
	for in, want := range tests {
		if got := cleanPackageURI(in); got != want {
			t.Errorf("cleanPackageURI(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestATransportFailureNamesNoQueryStringNorToken(t *testing.T) {
	// A *url.Error repeats the request URL; a next link may carry a
	// signature and a filter may carry what a user typed.
	const sig = "sv=2024&sig=S3CR3T-SIGNATURE"
	calls := 0
	c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
		calls++
		if calls == 1 {
			return reply(200, `{"value":[{"id":"`+string(testMachine)+`","computerDnsName":"ws-0042"}],`+
				`"@odata.nextLink":"https://mde.test/api/machines?$skiptoken=p2&`+sig+`"}`, nil), nil
		}
		return nil, errors.New("connection reset by peer")
	}, WithMaxAttempts(1))
	_, err := c.Machines.FindByName(t.Context(), "ws-0042")
	if err == nil {
		t.Fatal("the failed second page was not reported")
	}
	for _, leak := range []string{"S3CR3T", "sig=", "skiptoken", "$filter", "%24filter", "ws-0042", "t0k3n"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error %q contains %q", err, leak)
		}
	}
	if !strings.Contains(err.Error(), "/api/machines") || !strings.Contains(err.Error(), "connection reset by peer") {
		t.Errorf("the error %q does not name the endpoint and the cause", err)
	}
}

func TestAReplyEchoingTheTokenDoesNotPutItInTheError(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1Qi.fake-bearer.S1GN4TURE"
	bodies := []string{
		`<html><body><h1>400 Bad Request</h1><pre>Authorization: Bearer ` + token + `</pre></body></html>`,
		`{"error":{"code":"BadRequest","message":"token ` + token + ` rejected","target":"` + token + `",` +
			`"details":[{"code":"x","message":"saw ` + token + `","target":"t"}]}}`,
	}
	for _, body := range bodies {
		c := newTestClient(t, func(r *http.Request) (*http.Response, error) {
			return reply(http.StatusBadRequest, body, nil), nil
		}, WithTokenSource(StaticToken(token)))
		_, err := c.Machines.Get(t.Context(), testMachine)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want an *Error", err)
		}
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, e, e), "S1GN4TURE") {
			t.Errorf("the error repeats the token: %v / %+v", err, e)
		}
		if !strings.Contains(err.Error(), "[REDACTED]") {
			t.Errorf("the error %q does not show where the token was cut out", err)
		}
	}
}
