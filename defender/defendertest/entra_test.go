package defendertest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
)

func msalClient(t *testing.T, srv *Server, authority string, cred confidential.Credential) confidential.Client {
	t.Helper()
	app, err := confidential.New(authority, ClientID, cred,
		confidential.WithHTTPClient(srv.HTTPClient()),
		confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestMSALGetsATokenWithTheClientSecretAndCachesIt(t *testing.T) {
	srv := newTestServer(t)
	cred, err := confidential.NewCredFromSecret(ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	app := msalClient(t, srv, srv.Authority(), cred)
	for range 2 {
		tok, err := app.AcquireTokenByCredential(t.Context(), []string{Scope})
		if err != nil {
			t.Fatal(err)
		}
		if res := get(t, srv, tok.AccessToken, "/api/machines/"+ws42); res.status != http.StatusOK {
			t.Fatalf("GET machine with MSAL token: %d %s", res.status, res.body)
		}
	}
	if n := srv.CallCount("token"); n != 1 {
		t.Errorf("token requests = %d, want 1 (MSAL caches)", n)
	}
	if n := srv.CallCount("openid"); n != 1 {
		t.Errorf("openid requests = %d, want 1", n)
	}
}

func TestMSALRefetchesWhenTheLifetimeIsShort(t *testing.T) {
	srv := newTestServer(t, WithTokenLifetime(299*time.Second))
	cred, _ := confidential.NewCredFromSecret(ClientSecret)
	app := msalClient(t, srv, srv.Authority(), cred)
	seen := map[string]bool{}
	for range 3 {
		tok, err := app.AcquireTokenByCredential(t.Context(), []string{Scope})
		if err != nil {
			t.Fatal(err)
		}
		seen[tok.AccessToken] = true
	}
	if srv.CallCount("token") != 3 || len(seen) != 3 {
		t.Errorf("token requests = %d, distinct tokens = %d; want 3 and 3", srv.CallCount("token"), len(seen))
	}
}

// newCert makes a self-signed RSA certificate for client assertions.
func newCert(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	cc, err := NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return cc.Cert, cc.Key
}

func TestMSALGetsATokenWithARegisteredCertificate(t *testing.T) {
	cert, key := newCert(t)
	srv := newTestServer(t, WithCertificate(cert))
	cred, err := confidential.NewCredFromCert([]*x509.Certificate{cert}, key)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := msalClient(t, srv, srv.Authority(), cred).AcquireTokenByCredential(t.Context(), []string{Scope})
	if err != nil {
		t.Fatal(err)
	}
	if res := get(t, srv, tok.AccessToken, "/api/machines"); res.status != http.StatusOK {
		t.Fatalf("GET machines: %d %s", res.status, res.body)
	}
}

func TestACertificateThatIsNotRegisteredIsRefused(t *testing.T) {
	registered, _ := newCert(t)
	other, otherKey := newCert(t)
	srv := newTestServer(t, WithCertificate(registered))
	cred, _ := confidential.NewCredFromCert([]*x509.Certificate{other}, otherKey)
	_, err := msalClient(t, srv, srv.Authority(), cred).AcquireTokenByCredential(t.Context(), []string{Scope})
	if err == nil || !strings.Contains(err.Error(), "AADSTS700027") {
		t.Fatalf("err = %v, want AADSTS700027", err)
	}
}

// assertion builds a client assertion JWT by hand, as MSAL does.
func assertion(t *testing.T, alg string, cert *x509.Certificate, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	sum := sha256.Sum256(cert.Raw)
	hdr, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT", "x5t#S256": base64.StdEncoding.EncodeToString(sum[:])})
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signing))
	var sig []byte
	var err error
	if alg == "RS256" {
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	} else {
		sig, err = rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTheTokenEndpointChecksClientAssertions(t *testing.T) {
	cert, key := newCert(t)
	_, otherKey := newCert(t)
	clock := newManualClock()
	srv := newTestServer(t, WithCertificate(cert), WithClock(clock.Now))
	now := clock.Now().Unix()
	aud := srv.Authority() + "/oauth2/v2.0/token"
	good := func() map[string]any {
		return map[string]any{"aud": aud, "iss": ClientID, "sub": ClientID, "exp": now + 600, "nbf": now, "jti": "x"}
	}
	tests := []struct {
		name   string
		alg    string
		key    *rsa.PrivateKey
		change func(map[string]any)
		aadsts string // "" = success
	}{
		{"a valid PS256 assertion", "PS256", key, func(map[string]any) {}, ""},
		{"a valid RS256 assertion", "RS256", key, func(map[string]any) {}, ""},
		{"a signature by another key", "PS256", otherKey, func(map[string]any) {}, "AADSTS7000274"},
		{"another issuer", "PS256", key, func(c map[string]any) { c["iss"] = "someone" }, "AADSTS700021"},
		{"another subject", "PS256", key, func(c map[string]any) { c["sub"] = "someone" }, "AADSTS700021"},
		{"another audience", "PS256", key, func(c map[string]any) { c["aud"] = "https://login.microsoftonline.com/x/oauth2/v2.0/token" }, "AADSTS700212"},
		{"an expired assertion", "PS256", key, func(c map[string]any) { c["exp"] = now - 301 }, "AADSTS700024"},
		{"an assertion from the future", "PS256", key, func(c map[string]any) { c["nbf"] = now + 301 }, "AADSTS700024"},
		{"no expiry", "PS256", key, func(c map[string]any) { delete(c, "exp") }, "AADSTS50027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := good()
			tt.change(claims)
			res := tokenForm(t, srv, TenantID, url.Values{
				"grant_type": {"client_credentials"}, "client_id": {ClientID}, "scope": {Scope},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {assertion(t, tt.alg, cert, tt.key, claims)},
			})
			body := res.json(t)
			if tt.aadsts == "" {
				if res.status != http.StatusOK || body["access_token"] == nil {
					t.Fatalf("got %d %s, want a token", res.status, res.body)
				}
				return
			}
			desc, _ := body["error_description"].(string)
			if res.status != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.HasPrefix(desc, tt.aadsts+":") {
				t.Errorf("got %d %s, want 401 invalid_client %s", res.status, res.body, tt.aadsts)
			}
		})
	}
}

func TestAnExpiredAssertionIsRefusedOnTheServerClock(t *testing.T) {
	cert, key := newCert(t)
	clock := &manualClock{t: time.Now().Add(2 * time.Hour)}
	srv := newTestServer(t, WithCertificate(cert), WithClock(clock.Now))
	cred, _ := confidential.NewCredFromCert([]*x509.Certificate{cert}, key)
	_, err := msalClient(t, srv, srv.Authority(), cred).AcquireTokenByCredential(t.Context(), []string{Scope})
	if err == nil || !strings.Contains(err.Error(), "AADSTS700024") {
		t.Fatalf("err = %v, want AADSTS700024", err)
	}
}

func TestMSALReportsTheAADSTSErrorForAWrongSecret(t *testing.T) {
	srv := newTestServer(t)
	cred, _ := confidential.NewCredFromSecret("not-the-secret")
	_, err := msalClient(t, srv, srv.Authority(), cred).AcquireTokenByCredential(t.Context(), []string{Scope})
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("err = %v, want AADSTS7000215", err)
	}
}

func TestMSALFailsDiscoveryForAnUnknownTenant(t *testing.T) {
	srv := newTestServer(t)
	cred, _ := confidential.NewCredFromSecret(ClientSecret)
	_, err := msalClient(t, srv, srv.AuthorityHost()+"/11111111-2222-3333-4444-555555555555", cred).
		AcquireTokenByCredential(t.Context(), []string{Scope})
	if err == nil {
		t.Fatal("token for an unknown tenant: no error")
	}
}

func TestTheTokenEndpointAnswersEntraErrors(t *testing.T) {
	base := url.Values{"grant_type": {"client_credentials"}, "client_id": {ClientID},
		"client_secret": {ClientSecret}, "scope": {Scope}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range base {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		code   string
		aadsts string
	}{
		{"a wrong secret", TenantID, with("client_secret", "nope"), 401, "invalid_client", "AADSTS7000215"},
		{"no secret", TenantID, with("client_secret", ""), 401, "invalid_client", "AADSTS7000216"},
		{"an unknown client", TenantID, with("client_id", "00000000-0000-0000-0000-000000000001"), 400, "unauthorized_client", "AADSTS700016"},
		{"an unknown tenant", "contoso.example", base, 400, "invalid_request", "AADSTS90002"},
		{"another grant", TenantID, with("grant_type", "password"), 400, "unsupported_grant_type", "AADSTS70003"},
		{"another resource", TenantID, with("scope", "https://graph.microsoft.com/.default"), 400, "invalid_resource", "AADSTS500011"},
		{"a scope without .default", TenantID, with("scope", "https://api.securitycenter.microsoft.com/Machine.Read.All"), 400, "invalid_scope", "AADSTS1002012"},
		{"no scope", TenantID, with("scope", ""), 400, "invalid_request", "AADSTS900144"},
		{"only OIDC scopes", TenantID, with("scope", "openid profile"), 400, "invalid_scope", "AADSTS1002012"},
	}
	srv := newTestServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tokenForm(t, srv, tt.tenant, tt.form)
			body := res.json(t)
			if res.status != tt.status || body["error"] != tt.code ||
				!strings.HasPrefix(body["error_description"].(string), tt.aadsts+":") {
				t.Errorf("got %d %v, want %d %s %s", res.status, body, tt.status, tt.code, tt.aadsts)
			}
		})
	}
}

func TestTheTenantDomainWorksAsAuthorityToo(t *testing.T) {
	srv := newTestServer(t)
	cred, _ := confidential.NewCredFromSecret(ClientSecret)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := msalClient(t, srv, srv.AuthorityHost()+"/"+TenantDomain, cred).AcquireTokenByCredential(ctx, []string{Scope}); err != nil {
		t.Fatal(err)
	}
}

func TestATokenExpiresOnTheServerClock(t *testing.T) {
	clock := newManualClock()
	srv := newTestServer(t, WithClock(clock.Now), WithTokenLifetime(time.Hour))
	tok := accessToken(t, srv)
	if res := get(t, srv, tok, "/api/machines/"+ws42); res.status != http.StatusOK {
		t.Fatalf("fresh token: %d", res.status)
	}
	clock.Advance(time.Hour)
	res := get(t, srv, tok, "/api/machines/"+ws42)
	code, msg := res.errorCode(t)
	if res.status != http.StatusUnauthorized || code != "Unauthorized" || msg != "Invalid Authorization payload." {
		t.Errorf("expired token: %d %s %q", res.status, code, msg)
	}
}

func TestTokensAreUniquePerIssue(t *testing.T) {
	srv := newTestServer(t)
	if a, b := accessToken(t, srv), accessToken(t, srv); a == b {
		t.Error("two token requests returned the same token")
	}
}

func TestTheAlternativeResourceIdentifierWorks(t *testing.T) {
	srv := newTestServer(t)
	res := tokenForm(t, srv, TenantID, url.Values{"grant_type": {"client_credentials"}, "client_id": {ClientID},
		"client_secret": {ClientSecret}, "scope": {AlternativeAudience + "/.default"}})
	tok, _ := res.json(t)["access_token"].(string)
	if got := get(t, srv, tok, "/api/machines/"+ws42); got.status != http.StatusOK {
		t.Errorf("with a windowsatpservice token: %d", got.status)
	}
}

func TestTheV1TokenEndpointTakesAResource(t *testing.T) {
	srv := newTestServer(t)
	res := do(t, srv, "POST", "/"+TenantID+"/oauth2/token", "", "application/x-www-form-urlencoded", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {ClientID}, "client_secret": {ClientSecret},
		"resource": {Audience}}.Encode())
	body := res.json(t)
	if res.status != 200 || body["resource"] != Audience || body["expires_on"] == nil {
		t.Fatalf("v1 token: %d %s", res.status, res.body)
	}
	if got := get(t, srv, body["access_token"].(string), "/api/machines"); got.status != http.StatusOK {
		t.Errorf("with a v1 token: %d", got.status)
	}
}

func TestTheOpenIDConfigurationNamesThisServer(t *testing.T) {
	srv := newTestServer(t)
	doc := get(t, srv, "", "/"+TenantID+"/v2.0/.well-known/openid-configuration").json(t)
	if doc["issuer"] != srv.AuthorityHost()+"/"+TenantID+"/v2.0" ||
		doc["token_endpoint"] != srv.Authority()+"/oauth2/v2.0/token" || doc["authorization_endpoint"] == "" {
		t.Errorf("openid configuration = %v", doc)
	}
	res := get(t, srv, "", "/contoso.example/v2.0/.well-known/openid-configuration")
	if body := res.json(t); res.status != 400 || body["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant: %d %s", res.status, res.body)
	}
}
