package defender

import (
	"fmt"
	"strings"
)

// Cloud names an MDE deployment: the API host to call, the Entra ID
// authority host that issues its tokens, and the token scope: pass
// [Cloud.BaseURL] to [WithBaseURL] and the cloud to [MSALConfig.Cloud].
// mdebot's MDE_CLOUD environment variable holds its name (see
// [ParseCloud]).
type Cloud string

// The MDE deployments mdebot knows. The geo clouds are the commercial
// service's regional hosts ("use a server closer to you").
const (
	CloudCommercial Cloud = "commercial" // https://api.security.microsoft.com
	CloudUS         Cloud = "us"         // https://us.api.security.microsoft.com
	CloudEU         Cloud = "eu"         // https://eu.api.security.microsoft.com
	CloudUK         Cloud = "uk"         // https://uk.api.security.microsoft.com
	CloudAU         Cloud = "au"         // https://au.api.security.microsoft.com
	CloudSWA        Cloud = "swa"        // https://swa.api.security.microsoft.com
	CloudINA        Cloud = "ina"        // https://ina.api.security.microsoft.com
	CloudAEA        Cloud = "aea"        // https://aea.api.security.microsoft.com
	CloudGCC        Cloud = "gcc"        // https://api-gcc.securitycenter.microsoft.us, login.microsoftonline.com
	CloudGCCHigh    Cloud = "gcc-high"   // https://api-gov.securitycenter.microsoft.us, login.microsoftonline.us
	CloudDoD        Cloud = "dod"        // https://api-gov.securitycenter.microsoft.us, login.microsoftonline.us
)

// Well-known hosts and scopes.
const (
	DefaultBaseURL      = "https://api.security.microsoft.com"
	AuthorityCommercial = "https://login.microsoftonline.com"
	AuthorityGovernment = "https://login.microsoftonline.us"
	DefaultScope        = "https://api.securitycenter.microsoft.com/.default"
	scopeGCC            = "https://api-gcc.securitycenter.microsoft.us/.default"
	scopeGov            = "https://api-gov.securitycenter.microsoft.us/.default"
	baseURLGCC          = "https://api-gcc.securitycenter.microsoft.us"
	baseURLGov          = "https://api-gov.securitycenter.microsoft.us"
	geoBaseURLFormat    = "https://%s.api.security.microsoft.com"
)

// Clouds lists every known Cloud, for help texts and validation.
func Clouds() []Cloud {
	return []Cloud{CloudCommercial, CloudUS, CloudEU, CloudUK, CloudAU, CloudSWA, CloudINA, CloudAEA, CloudGCC, CloudGCCHigh, CloudDoD}
}

// ParseCloud returns the Cloud named s (case-insensitive; "" is commercial).
func ParseCloud(s string) (Cloud, error) {
	c := Cloud(strings.ToLower(strings.TrimSpace(s)))
	if c == "" {
		return CloudCommercial, nil
	}
	for _, k := range Clouds() {
		if c == k {
			return c, nil
		}
	}
	return "", fmt.Errorf("defender: unknown cloud %q (want one of %v)", truncate(s, 32), Clouds())
}

// BaseURL returns the MDE API base URL of c (no trailing slash).
func (c Cloud) BaseURL() string {
	switch c {
	case CloudUS, CloudEU, CloudUK, CloudAU, CloudSWA, CloudINA, CloudAEA:
		return fmt.Sprintf(geoBaseURLFormat, string(c))
	case CloudGCC:
		return baseURLGCC
	case CloudGCCHigh, CloudDoD:
		return baseURLGov
	}
	return DefaultBaseURL
}

// AuthorityHost returns the Entra ID host that issues tokens for c.
func (c Cloud) AuthorityHost() string {
	if c == CloudGCCHigh || c == CloudDoD {
		return AuthorityGovernment
	}
	return AuthorityCommercial
}

// Scope returns the token scope used for c. Microsoft does not document the
// government scopes; these are the resources seen in practice, so the scope
// stays configurable ([MSALConfig.Scopes]).
func (c Cloud) Scope() string {
	switch c {
	case CloudGCC:
		return scopeGCC
	case CloudGCCHigh, CloudDoD:
		return scopeGov
	}
	return DefaultScope
}
