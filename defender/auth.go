package defender

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/mdebot/mdebot/secret"
)

// TokenSource supplies bearer tokens for the MDE API. It is the client's
// only knowledge of authentication.
type TokenSource interface {
	// Token returns a valid access token, from a cache when possible.
	Token(ctx context.Context) (string, error)
}

// TokenRefresher is a TokenSource that can bypass its cache. After a 401
// the client calls RefreshToken once and retries the call with the new
// token; with a plain TokenSource it calls Token again.
type TokenRefresher interface {
	TokenSource
	RefreshToken(ctx context.Context) (string, error)
}

var _ TokenRefresher = (*MSALTokenSource)(nil)

// Credential is an app registration's client credential: a secret or a
// certificate. Printing it never shows the secret or the key.
type Credential struct {
	secret secret.Value
	certs  []*x509.Certificate
	key    crypto.PrivateKey
}

// SecretCredential returns a client-secret credential.
func SecretCredential(value string) Credential {
	return Credential{secret: secret.New(value)}
}

// CertificateCredential returns a certificate credential from PEM data
// holding the certificate (chain) and its unencrypted RSA private key.
// password is accepted for encrypted PKCS#8 keys; MSAL refuses legacy
// encrypted PEM blocks.
func CertificateCredential(pemData []byte, password string) (Credential, error) {
	certs, key, err := confidential.CertFromPEM(pemData, password)
	if err != nil {
		return Credential{}, fmt.Errorf("defender: reading the certificate credential: %w", err)
	}
	if len(certs) == 0 || key == nil {
		return Credential{}, errors.New("defender: the certificate credential needs a CERTIFICATE block and a private key block")
	}
	return Credential{certs: certs, key: key}, nil
}

// String describes the kind of credential without revealing it.
func (c Credential) String() string {
	switch {
	case !c.secret.IsZero():
		return "client secret " + secret.Redacted
	case len(c.certs) > 0:
		return "certificate " + c.certs[0].Subject.String()
	}
	return "no credential"
}

// GoString is String.
func (c Credential) GoString() string { return c.String() }

// Format prints String whatever the verb, so %+v never dumps the key.
func (c Credential) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

func (c Credential) msal() (confidential.Credential, error) {
	switch {
	case !c.secret.IsZero():
		return confidential.NewCredFromSecret(c.secret.Reveal())
	case len(c.certs) > 0:
		return confidential.NewCredFromCert(c.certs, c.key)
	}
	return confidential.Credential{}, errors.New("defender: no client credential (a secret or a certificate) configured")
}

// MSALConfig configures [NewMSALTokenSource].
type MSALConfig struct {
	// TenantID and ClientID identify the app registration (required).
	TenantID, ClientID string
	// Credential is the client secret or certificate (required).
	Credential Credential
	// Cloud supplies AuthorityHost and Scopes when they are empty
	// (default CloudCommercial).
	Cloud Cloud
	// AuthorityHost is the Entra ID host, e.g.
	// "https://login.microsoftonline.com" or
	// "https://login.microsoftonline.us".
	AuthorityHost string
	// Scopes requested (default: the cloud's scope,
	// https://api.securitycenter.microsoft.com/.default commercially).
	Scopes []string
	// HTTPClient is used for the token requests (tests pass the fake's).
	HTTPClient *http.Client
}

// MSALTokenSource acquires app-only tokens with MSAL Go's confidential
// client (client-credentials grant). Token serves from MSAL's in-memory
// cache until a token is within five minutes of expiry; RefreshToken builds
// a fresh MSAL client, so its empty cache forces a new token, and keeps it.
type MSALTokenSource struct {
	authority string
	clientID  string
	cred      confidential.Credential
	scopes    []string
	opts      []confidential.Option

	mu     sync.Mutex
	client confidential.Client

	refreshing  chan struct{} // holds a token while one refresh runs
	refreshedAt time.Time     // when the current client was built by a refresh (guarded by refreshing)
}

// minRefreshInterval collapses the refreshes of calls that got a 401 at the
// same time into one token request.
const minRefreshInterval = 10 * time.Second

// NewMSALTokenSource validates cfg and returns a token source. It makes no
// network call; the first Token does.
func NewMSALTokenSource(cfg MSALConfig) (*MSALTokenSource, error) {
	if cfg.TenantID == "" || cfg.ClientID == "" {
		return nil, errors.New("defender: the tenant id and the client id are required")
	}
	if strings.ContainsAny(cfg.TenantID, "/?#") {
		return nil, fmt.Errorf("defender: tenant id %q is not valid", truncate(cfg.TenantID, 64))
	}
	cloud := cfg.Cloud
	if cloud == "" {
		cloud = CloudCommercial
	}
	host := strings.TrimRight(cfg.AuthorityHost, "/")
	if host == "" {
		host = cloud.AuthorityHost()
	}
	if !strings.HasPrefix(host, "https://") {
		return nil, fmt.Errorf("defender: authority host %q must be an https URL", truncate(host, 100))
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{cloud.Scope()}
	}
	cred, err := cfg.Credential.msal()
	if err != nil {
		return nil, err
	}
	ts := &MSALTokenSource{
		authority:  host + "/" + cfg.TenantID,
		clientID:   cfg.ClientID,
		cred:       cred,
		scopes:     append([]string(nil), scopes...),
		refreshing: make(chan struct{}, 1),
		// Instance discovery would call login.microsoftonline.com for any
		// other host; the authority is configured explicitly instead.
		opts: []confidential.Option{confidential.WithInstanceDiscovery(false)},
	}
	if cfg.HTTPClient != nil {
		ts.opts = append(ts.opts, confidential.WithHTTPClient(cfg.HTTPClient))
	}
	if ts.client, err = ts.newClient(); err != nil {
		return nil, err
	}
	return ts, nil
}

func (ts *MSALTokenSource) newClient() (confidential.Client, error) {
	c, err := confidential.New(ts.authority, ts.clientID, ts.cred, ts.opts...)
	if err != nil {
		return confidential.Client{}, fmt.Errorf("defender: configuring MSAL for %s: %w", ts.authority, err)
	}
	return c, nil
}

// Token returns a token, from MSAL's cache when it holds a fresh one.
func (ts *MSALTokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	c := ts.client
	ts.mu.Unlock()
	return ts.acquire(ctx, c)
}

// RefreshToken acquires a new token, bypassing the cache, and makes later
// Token calls serve it. Refreshes within 10 s of the last one share its
// token, so a burst of 401s costs one token request.
func (ts *MSALTokenSource) RefreshToken(ctx context.Context) (string, error) {
	// A channel rather than a mutex: a caller whose context ends while
	// another refresh is in flight gives up instead of waiting for it.
	select {
	case ts.refreshing <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("defender: waiting for the token refresh under way: %w", ctx.Err())
	}
	defer func() { <-ts.refreshing }()
	if !ts.refreshedAt.IsZero() && time.Since(ts.refreshedAt) < minRefreshInterval {
		return ts.Token(ctx)
	}
	c, err := ts.newClient()
	if err != nil {
		return "", err
	}
	tok, err := ts.acquire(ctx, c)
	if err != nil {
		return "", err
	}
	ts.mu.Lock()
	ts.client = c
	ts.mu.Unlock()
	ts.refreshedAt = time.Now()
	return tok, nil
}

func (ts *MSALTokenSource) acquire(ctx context.Context, c confidential.Client) (string, error) {
	res, err := c.AcquireTokenByCredential(ctx, ts.scopes)
	if err != nil {
		return "", fmt.Errorf("defender: acquiring a token for client %s from %s: %w", ts.clientID, ts.authority, err)
	}
	return res.AccessToken, nil
}
