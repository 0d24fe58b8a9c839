package defender_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

func TestTheTokenIsFetchedOnceAndReusedFromMSALsCache(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for range 5 {
		if _, err := c.Machines.Get(ctx, ws42); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.CallCount("token"); n != 1 {
		t.Errorf("%d token requests for 5 calls, want 1", n)
	}
}

func TestAShortLivedTokenIsFetchedAgainForEveryCall(t *testing.T) {
	srv, c := setup(t, defendertest.WithTokenLifetime(300*time.Second))
	ctx := context.Background()
	for range 3 {
		if _, err := c.Machines.Get(ctx, ws42); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.CallCount("token"); n != 3 {
		t.Errorf("%d token requests for 3 calls with 300 s tokens, want 3", n)
	}
}

func TestA401ReacquiresTheTokenOnceBypassingTheCache(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	if _, err := c.Machines.Get(ctx, ws42); err != nil {
		t.Fatal(err)
	}
	srv.FailNext("machines.get", 1, http.StatusUnauthorized, `{"error":{"code":"Unauthorized","message":"Invalid Authorization payload."}}`, nil)
	m, err := c.Machines.Get(ctx, ws42)
	if err != nil || m.ID != ws42 {
		t.Fatalf("Get after a 401 = %v, %v", m.ID, err)
	}
	if n := srv.CallCount("token"); n != 2 {
		t.Errorf("%d token requests, want 2 (one re-acquisition despite a cached token)", n)
	}
	// The new token is then served from the cache.
	if _, err := c.Machines.Get(ctx, ws42); err != nil {
		t.Fatal(err)
	}
	if n := srv.CallCount("token"); n != 2 {
		t.Errorf("%d token requests after the refresh, want still 2", n)
	}
	gets := routeCalls(srv, "machines.get")
	if len(gets) != 4 {
		t.Errorf("%d machines.get calls, want 4", len(gets))
	}
}

func TestA401SoonAfterARefreshSharesTheFreshToken(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for i := range 3 {
		srv.FailNext("machines.get", 1, http.StatusUnauthorized, `{"error":{"code":"Unauthorized","message":"Invalid Authorization payload."}}`, nil)
		if _, err := c.Machines.Get(ctx, ws42); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := srv.CallCount("token"); n != 2 {
		t.Errorf("%d token requests for three 401s within seconds, want 2 (the first token and one refresh)", n)
	}
}

func TestAPersistent401IsErrUnauthorizedAfterOneReacquisition(t *testing.T) {
	srv, c := setup(t)
	srv.FailNext("machines.get", 2, http.StatusUnauthorized, `{"error":{"code":"Unauthorized","message":"Invalid Authorization payload."}}`, nil)
	_, err := c.Machines.Get(context.Background(), ws42)
	if !errors.Is(err, defender.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if tok, get := srv.CallCount("token"), srv.CallCount("machines.get"); tok != 2 || get != 2 {
		t.Errorf("%d token requests and %d calls, want 2 and 2", tok, get)
	}
}

func TestAWrongSecretFailsWithoutRevealingIt(t *testing.T) {
	srv := defendertest.NewServer()
	defer srv.Close()
	const wrong = "wrong~Secret.do-not-print-me"
	c := newClient(t, srv, defender.SecretCredential(wrong))
	_, err := c.Machines.Get(context.Background(), ws42)
	if err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "do-not-print-me") {
		t.Errorf("the error reveals the secret: %v", err)
	}
	if srv.CallCount("machines.get") != 0 {
		t.Errorf("the API was called without a token")
	}
}

// selfSignedPEM returns a self-signed RSA certificate and its key in PEM.
func selfSignedPEM(t *testing.T) (*x509.Certificate, []byte) {
	t.Helper()
	cc, err := defendertest.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return cc.Cert, cc.PEM
}

func TestACertificateCredentialAuthenticates(t *testing.T) {
	cert, pemData := selfSignedPEM(t)
	srv := defendertest.NewServer(defendertest.WithCertificate(cert))
	defer srv.Close()
	cred, err := defender.CertificateCredential(pemData, "")
	if err != nil {
		t.Fatal(err)
	}
	if s := cred.String(); strings.Contains(s, "PRIVATE") {
		t.Errorf("the credential prints its key: %s", s)
	}
	c := newClient(t, srv, cred)
	m, err := c.Machines.Get(context.Background(), ws42)
	if err != nil || m.ComputerDNSName != "ws-0042.contoso.local" {
		t.Fatalf("Get = %+v, %v", m, err)
	}
	token := routeCalls(srv, "token")
	if len(token) != 1 || !strings.Contains(string(token[0].Body), "client_assertion=") {
		t.Errorf("token requests %d, want one with a client assertion", len(token))
	}
}

func TestAMissingRoleIsErrForbiddenNamingThePermission(t *testing.T) {
	srv, c := setup(t, defendertest.WithRoles(defendertest.RoleMachineReadAll))
	_, err := c.Actions.Isolate(context.Background(), ws42, defender.IsolationFull, "isolate [req forbidden]")
	var e *defender.Error
	if !errors.As(err, &e) || !errors.Is(err, defender.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	if got := e.MissingPermissions(); len(got) == 0 || got[0] != defendertest.RoleMachineIsolate {
		t.Errorf("MissingPermissions() = %v, want [%s]", got, defendertest.RoleMachineIsolate)
	}
	if n := len(srv.Actions()); n != 0 {
		t.Errorf("%d actions created", n)
	}
}

// heldTokenTransport passes requests to the fake but holds token requests
// until released (or their context ends), saying when one arrives.
type heldTokenTransport struct {
	next    http.RoundTripper
	arrived chan struct{}
	release chan struct{}
}

func (h heldTokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		h.arrived <- struct{}{}
		select {
		case <-h.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return h.next.RoundTrip(r)
}

func TestARefreshWaitingBehindAnotherGivesUpWhenItsContextEnds(t *testing.T) {
	srv := defendertest.NewServer()
	defer srv.Close()
	held := heldTokenTransport{next: srv.HTTPClient().Transport, arrived: make(chan struct{}, 1), release: make(chan struct{})}
	ts, err := defender.NewMSALTokenSource(defender.MSALConfig{
		TenantID: defendertest.TenantID, ClientID: defendertest.ClientID,
		Credential:    defender.SecretCredential(defendertest.ClientSecret),
		AuthorityHost: srv.AuthorityHost(), HTTPClient: &http.Client{Transport: held},
	})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := ts.RefreshToken(t.Context())
		first <- err
	}()
	<-held.arrived // the first refresh is in flight and holds its turn

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	second := make(chan error, 1)
	go func() {
		_, err := ts.RefreshToken(ctx)
		second <- err
	}()
	select {
	case err := <-second:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the waiting refresh returned %v, want context.Canceled", err)
		}
	case <-first:
		t.Fatal("the first refresh ended before it was released")
	case <-t.Context().Done():
		t.Fatal("the waiting refresh ignored its cancelled context")
	}
	close(held.release)
	if err := <-first; err != nil {
		t.Errorf("the first refresh: %v", err)
	}
}
