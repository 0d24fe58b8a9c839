package defendertest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var b64 = base64.RawURLEncoding

// tokenClaims are the claims of the access tokens the fake issues (the
// shape of a v1 application token for the WindowsDefenderATP resource).
type tokenClaims struct {
	Aud      string   `json:"aud"`
	Iss      string   `json:"iss"`
	Iat      int64    `json:"iat"`
	Nbf      int64    `json:"nbf"`
	Exp      int64    `json:"exp"`
	AppID    string   `json:"appid"`
	AppIDAcr string   `json:"appidacr"`
	Idp      string   `json:"idp"`
	Oid      string   `json:"oid"`
	Roles    []string `json:"roles,omitempty"`
	Sub      string   `json:"sub"`
	Tid      string   `json:"tid"`
	Uti      string   `json:"uti"`
	Ver      string   `json:"ver"`
}

const appObjectID = "8a5b9c3d-2e1f-4a6b-9c8d-7e6f5a4b3c2d"

// issueToken mints a signed, JWT-shaped access token, unique per call.
func (s *Server) issueToken(audience string) (string, time.Duration) {
	s.mu.Lock()
	s.tokenSeq++
	roles := append([]string(nil), s.cfg.roles...)
	s.mu.Unlock()
	now := s.now()
	lifetime := s.cfg.tokenLifetime
	c := tokenClaims{
		Aud: audience, Iss: "https://sts.windows.net/" + TenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(lifetime).Unix(),
		AppID: ClientID, AppIDAcr: "1", Idp: "https://sts.windows.net/" + TenantID + "/",
		Oid: appObjectID, Roles: roles, Sub: appObjectID, Tid: TenantID,
		Uti: b64.EncodeToString([]byte(newGUID()))[:22], Ver: "1.0",
	}
	header := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`))
	payload, _ := json.Marshal(c)
	signing := header + "." + b64.EncodeToString(payload)
	return signing + "." + b64.EncodeToString(s.mac(signing)), lifetime
}

func (s *Server) mac(signing string) []byte {
	h := hmac.New(sha256.New, s.tokenKey)
	h.Write([]byte(signing))
	return h.Sum(nil)
}

// verifyToken checks a bearer token's signature, audience, tenant and
// expiry on the server clock.
func (s *Server) verifyToken(tok string) (*tokenClaims, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || subtle.ConstantTimeCompare(sig, s.mac(parts[0]+"."+parts[1])) != 1 {
		return nil, false
	}
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var c tokenClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false
	}
	now := s.now().Unix()
	if canonicalResource(c.Aud) == "" || c.Tid != TenantID || now >= c.Exp || now+300 < c.Nbf {
		return nil, false
	}
	return &c, true
}

// verifyAssertion checks a client_assertion JWT the way Entra ID does for a
// certificate credential; it returns an AADSTS description or "".
func (s *Server) verifyAssertion(assertion, audience string) string {
	const malformed = "AADSTS50027: JWT token is invalid or malformed."
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return malformed
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud any    `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp *int64 `json:"exp"`
		Nbf *int64 `json:"nbf"`
		Jti string `json:"jti"`
	}
	rawHdr, err1 := b64.DecodeString(parts[0])
	rawClaims, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil ||
		json.Unmarshal(rawHdr, &hdr) != nil || json.Unmarshal(rawClaims, &claims) != nil {
		return malformed
	}
	cert := s.cfg.cert
	thumb := hdr.X5tS256
	if thumb == "" {
		thumb = hdr.X5t
	}
	notRegistered := "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '" + thumb + "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '" + ClientID + "'.]"
	if cert == nil {
		return notRegistered
	}
	s256 := sha256.Sum256(cert.Raw)
	s1 := sha1.Sum(cert.Raw)
	switch {
	case hdr.X5tS256 != "" && thumbprintIs(hdr.X5tS256, s256[:]):
	case hdr.X5tS256 == "" && hdr.X5t != "" && thumbprintIs(hdr.X5t, s1[:]):
	default:
		return notRegistered
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return notRegistered
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	var verr error
	switch hdr.Alg {
	case "PS256":
		verr = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256})
	case "RS256":
		verr = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		return "AADSTS5002738: Invalid JWT token. '" + hdr.Alg + "' is not a supported signature algorithm. Supported signing algorithms are: 'RS256,RS384,RS512,PS256,PS384,PS512'"
	}
	if verr != nil {
		return "AADSTS7000274: Key was found, but use of the key to verify the signature failed."
	}
	if claims.Iss != ClientID || claims.Sub != ClientID {
		return "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
	}
	if !audienceMatches(claims.Aud, audience) {
		return "AADSTS700212: The audience claim of the client assertion does not match the token endpoint '" + audience + "'."
	}
	if claims.Exp == nil {
		return malformed
	}
	const skew = 5 * 60
	now := s.now().Unix()
	nbf := int64(0)
	if claims.Nbf != nil {
		nbf = *claims.Nbf
	}
	if now > *claims.Exp+skew || now+skew < nbf {
		return "AADSTS700024: Client assertion is not within its valid time range. Current time: " +
			time.Unix(now, 0).UTC().Format(time.RFC3339) + ", assertion valid from " +
			time.Unix(nbf, 0).UTC().Format(time.RFC3339) + ", expiry time of assertion " +
			time.Unix(*claims.Exp, 0).UTC().Format(time.RFC3339) + ". Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
	}
	return ""
}

func audienceMatches(aud any, want string) bool {
	switch v := aud.(type) {
	case string:
		return strings.EqualFold(v, want)
	case []any:
		for _, a := range v {
			if s, ok := a.(string); ok && strings.EqualFold(s, want) {
				return true
			}
		}
	}
	return false
}

func parseForm(body []byte) (url.Values, error) { return url.ParseQuery(string(body)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// thumbprintIs compares a certificate thumbprint header with want; MSAL
// sends standard base64 with padding, RFC 7515 says base64url: accept both.
func thumbprintIs(header string, want []byte) bool {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if got, err := enc.DecodeString(header); err == nil {
			return subtle.ConstantTimeCompare(got, want) == 1
		}
	}
	return false
}
