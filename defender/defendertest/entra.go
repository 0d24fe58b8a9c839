package defendertest

import (
	"net/http"
	"strings"
)

// tenantKnown reports whether t names the fake's tenant (id or domain).
func tenantKnown(t string) bool {
	return strings.EqualFold(t, TenantID) || strings.EqualFold(t, TenantDomain)
}

// handleOpenID serves GET /{tenant}/v2.0/.well-known/openid-configuration.
// MSAL requires the issuer's scheme and host to equal the authority's.
func (s *Server) handleOpenID(rep *reply, req *request) {
	tenant := req.m.id
	if !tenantKnown(tenant) {
		s.writeAADError(rep, http.StatusBadRequest, "invalid_tenant", 90002, tenantNotFound(tenant))
		return
	}
	base := s.AuthorityHost() + "/" + tenant
	issuerBase := s.AuthorityHost() + "/" + TenantID
	doc := map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                issuerBase + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"kerberos_endpoint":                     base + "/kerberos",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	}
	rep.writeJSON(http.StatusOK, doc)
}

func tenantNotFound(t string) string {
	return "AADSTS90002: Tenant '" + t + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
}

// handleToken serves POST /{tenant}/oauth2/v2.0/token (and the v1
// /{tenant}/oauth2/token with resource=) for the client_credentials grant.
func (s *Server) handleToken(rep *reply, req *request) {
	tenant := req.m.id
	if !tenantKnown(tenant) {
		s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 90002, tenantNotFound(tenant))
		return
	}
	ct := req.r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	}
	form, err := parseForm(req.body)
	if err != nil {
		s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	}
	grant := form.Get("grant_type")
	switch grant {
	case "":
		s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	case "client_credentials":
	default:
		s.writeAADError(rep, http.StatusBadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type '"+grant+"'.")
		return
	}
	clientID := form.Get("client_id")
	secret := form.Get("client_secret")
	if u, p, ok := req.r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	if clientID == "" {
		s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
		return
	}
	if !strings.EqualFold(clientID, ClientID) {
		s.writeAADError(rep, http.StatusBadRequest, "unauthorized_client", 700016, "AADSTS700016: Application with identifier '"+clientID+"' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
		return
	}
	v1 := req.m.arg == "oauth2/token"
	audience := Audience
	if v1 {
		res := strings.TrimSuffix(form.Get("resource"), "/")
		if res == "" {
			s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'resource'.")
			return
		}
		audience = canonicalResource(res)
		if audience == "" {
			s.writeAADError(rep, http.StatusBadRequest, "invalid_resource", 500011, "AADSTS500011: The resource principal named "+res+" was not found in the tenant named Contoso. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.")
			return
		}
	} else {
		res, code, desc := checkScope(form.Get("scope"))
		if code != "" {
			s.writeAADError(rep, http.StatusBadRequest, code, aadCode(desc), desc)
			return
		}
		audience = res
	}

	assertion := form.Get("client_assertion")
	switch {
	case assertion != "":
		if at := form.Get("client_assertion_type"); at != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			s.writeAADError(rep, http.StatusBadRequest, "invalid_request", 700023, "AADSTS7000219: 'client_assertion_type' is missing or has an invalid value.")
			return
		}
		endpoint := s.AuthorityHost() + req.r.URL.Path
		if desc := s.verifyAssertion(assertion, endpoint); desc != "" {
			s.writeAADError(rep, http.StatusUnauthorized, "invalid_client", aadCode(desc), desc)
			return
		}
	case secret != "":
		if secret != ClientSecret {
			s.writeAADError(rep, http.StatusUnauthorized, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+ClientID+"'.")
			return
		}
	default:
		s.writeAADError(rep, http.StatusUnauthorized, "invalid_client", 7000216, "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	}

	token, lifetime := s.issueToken(audience)
	secs := int(lifetime.Seconds())
	body := map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   token,
	}
	if v1 {
		now := s.now()
		body["expires_on"] = itoa(now.Add(lifetime).Unix())
		body["not_before"] = itoa(now.Unix())
		body["resource"] = audience
		body["expires_in"] = itoa(int64(secs))
		body["ext_expires_in"] = itoa(int64(secs))
	}
	rep.header.Set("Cache-Control", "no-store, no-cache")
	rep.header.Set("Pragma", "no-cache")
	rep.writeJSON(http.StatusOK, body)
}

// AlternativeAudience is the other identifier of the WindowsDefenderATP
// resource that Microsoft's samples use; the fake accepts it too.
const AlternativeAudience = "https://securitycenter.onmicrosoft.com/windowsatpservice"

// canonicalResource returns the audience a resource identifier names, or
// "" when it is not the MDE resource.
func canonicalResource(res string) string {
	switch {
	case strings.EqualFold(res, Audience):
		return Audience
	case strings.EqualFold(res, AlternativeAudience):
		return AlternativeAudience
	}
	return ""
}

// checkScope validates a v2 scope parameter: it must name the MDE
// resource's .default scope; OIDC scopes (MSAL adds them) are ignored. It
// returns the audience of the token to issue, or an error code and
// description.
func checkScope(scope string) (audience, code, desc string) {
	if strings.TrimSpace(scope) == "" {
		return "", "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'."
	}
	for _, sc := range strings.Fields(scope) {
		switch strings.ToLower(sc) {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		res, ok := strings.CutSuffix(sc, "/.default")
		if !ok {
			return "", "invalid_scope", "AADSTS1002012: The provided value for scope " + sc + " is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
		}
		if audience = canonicalResource(res); audience == "" {
			return "", "invalid_resource", "AADSTS500011: The resource principal named " + res + " was not found in the tenant named Contoso. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
		}
	}
	if audience == "" {
		return "", "invalid_scope", "AADSTS1002012: The provided value for scope " + scope + " is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
	}
	return audience, "", ""
}

// aadCode extracts the number of an "AADSTSnnnn: …" description.
func aadCode(desc string) int {
	rest, ok := strings.CutPrefix(desc, "AADSTS")
	if !ok {
		return 0
	}
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// writeAADError answers in Entra ID's OAuth error shape.
func (s *Server) writeAADError(rep *reply, status int, code string, num int, desc string) {
	now := s.now().UTC()
	trace, corr := newGUID(), newGUID()
	full := desc + "\r\nTrace ID: " + trace + "\r\nCorrelation ID: " + corr + "\r\nTimestamp: " + now.Format("2006-01-02 15:04:05Z")
	rep.writeJSON(status, map[string]any{
		"error":             code,
		"error_description": full,
		"error_codes":       []int{num},
		"timestamp":         now.Format("2006-01-02 15:04:05Z"),
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         s.AuthorityHost() + "/error?code=" + itoa(int64(num)),
	})
}
