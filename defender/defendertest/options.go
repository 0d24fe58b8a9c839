package defendertest

import (
	"crypto/x509"
	"time"
)

// The credentials the fake Entra ID accepts unless told otherwise.
const (
	// TenantID is the directory (tenant) the fake serves. The authority is
	// AuthorityHost() + "/" + TenantID; TenantDomain is accepted too.
	TenantID = "6f1c2b7e-3d4a-4e5f-9a8b-0c1d2e3f4a5b"
	// TenantDomain is the tenant's initial domain, accepted in place of TenantID.
	TenantDomain = "contoso.onmicrosoft.com"
	// ClientID is the application (client) id of the app registration.
	ClientID = "0d3f9a41-6b2c-4f8e-a1d7-5c9e8b7a6f10"
	// ClientSecret is the client secret value registered on the app.
	ClientSecret = "fake~Secret.0123456789abcdefghijklmnopqrstu"
	// AppDisplayName is the app registration's display name; MDE reports
	// it as the requestor of the actions the app asks for.
	AppDisplayName = "mdebot"
	// Scope is the scope a client must request (MSAL adds openid,
	// offline_access and profile, which the fake ignores).
	Scope = "https://api.securitycenter.microsoft.com/.default"
	// Audience is the aud claim of the tokens the fake issues.
	Audience = "https://api.securitycenter.microsoft.com"
)

// The application roles (WindowsDefenderATP permissions) MDE checks.
const (
	RoleMachineIsolate           = "Machine.Isolate"
	RoleMachineRestrictExecution = "Machine.RestrictExecution"
	RoleMachineScan              = "Machine.Scan"
	RoleMachineCollectForensics  = "Machine.CollectForensics"
	RoleMachineStopAndQuarantine = "Machine.StopAndQuarantine"
	RoleMachineOffboard          = "Machine.Offboard"
	RoleMachineLiveResponse      = "Machine.LiveResponse"
	RoleMachineReadAll           = "Machine.Read.All"
	RoleMachineReadWriteAll      = "Machine.ReadWrite.All"
	RoleTiReadWrite              = "Ti.ReadWrite"
	RoleTiReadWriteAll           = "Ti.ReadWrite.All"
)

// DefaultRoles returns the application roles the fake puts in tokens unless
// WithRoles is given: every permission mdebot needs.
func DefaultRoles() []string {
	return []string{
		RoleMachineIsolate, RoleMachineRestrictExecution, RoleMachineScan,
		RoleMachineCollectForensics, RoleMachineStopAndQuarantine, RoleMachineOffboard,
		RoleMachineReadAll, RoleTiReadWriteAll,
	}
}

// DuplicateMode selects how the fake answers an action request while an
// action of the same type is still Pending or InProgress on that machine
// (or an isolate while the machine is isolated). Microsoft documents
// several answers and users report others, so each is available.
type DuplicateMode int

const (
	// RejectDuplicates answers 400 ActiveRequestAlreadyExists
	// "Action is already in progress" (the default).
	RejectDuplicates DuplicateMode = iota
	// ReturnPending answers 201 with the already pending action, as users
	// report for isolate (for an isolated machine: the isolate that
	// isolated it).
	ReturnPending
	// RejectInProgressMessage answers 400 with the message "Action is
	// already in progress" and a generic BadRequest code, as the pages of
	// scan, release, restrict and unrestrict document it.
	RejectInProgressMessage
	// RejectBare answers a bare 400 Bad Request with an empty body, as the
	// collect investigation package page documents it.
	RejectBare
)

// Option configures a Server.
type Option func(*config)

type config struct {
	machines      []Machine
	machinesSet   bool
	now           func() time.Time
	pending       time.Duration
	inProgress    time.Duration
	duplicates    DuplicateMode
	duplicatesBy  map[string]DuplicateMode // by action type
	tokenLifetime time.Duration
	roles         []string
	cert          *x509.Certificate
	perMinute     int
	perHour       int
	rateDisabled  bool
	inMemory      bool
	readLag       time.Duration
	maxFilter     int
	packageURI    func(actionID string) string
}

func defaultConfig() config {
	return config{
		now:           time.Now,
		pending:       2 * time.Second,
		inProgress:    5 * time.Second,
		tokenLifetime: 3599 * time.Second,
		roles:         DefaultRoles(),
		perMinute:     100,
		perHour:       1500,
	}
}

// WithPackageURI makes getPackageUri answer uri(actionID) for a collected
// package whose link SetPackageURI did not set, instead of a random link on
// Microsoft's download host; the playground uses it to point the link at
// its own page.
func WithPackageURI(uri func(actionID string) string) Option {
	return func(c *config) { c.packageURI = uri }
}

// WithMachines seeds the server with ms instead of DefaultMachines().
func WithMachines(ms ...Machine) Option {
	return func(c *config) {
		c.machines = append([]Machine(nil), ms...)
		c.machinesSet = true
	}
}

// WithClock sets the clock every timestamp, token expiry, rate-limit window
// and action progression is computed from (default time.Now). After moving
// a manual clock, call Server.Tick to wake WaitFor and subscribers.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithProgress sets how long a new action stays Pending and then
// InProgress before reaching its terminal status (default 2s and 5s).
// WithProgress(0, 0) disables automatic progression: actions stay Pending
// until SetStatus or a cancel.
func WithProgress(pending, inProgress time.Duration) Option {
	return func(c *config) {
		c.pending, c.inProgress = max(pending, 0), max(inProgress, 0)
	}
}

// WithDuplicateMode selects the answer to a duplicate action request of
// any type. ReturnPending does not apply to CollectInvestigationPackage
// and StopAndQuarantineFile, which MDE documents as refused with 400:
// those keep RejectDuplicates unless WithDuplicateModeFor says otherwise.
func WithDuplicateMode(m DuplicateMode) Option {
	return func(c *config) { c.duplicates = m }
}

// WithDuplicateModeFor selects the answer to a duplicate request of one
// action type (its MachineAction type, e.g. "Isolate",
// "CollectInvestigationPackage"), overriding WithDuplicateMode.
func WithDuplicateModeFor(actionType string, m DuplicateMode) Option {
	return func(c *config) {
		if c.duplicatesBy == nil {
			c.duplicatesBy = map[string]DuplicateMode{}
		}
		c.duplicatesBy[actionType] = m
	}
}

// duplicateMode is the answer to a duplicate request of typ.
func (c *config) duplicateMode(typ string) DuplicateMode {
	if m, ok := c.duplicatesBy[typ]; ok {
		return m
	}
	if c.duplicates == ReturnPending && (typ == "CollectInvestigationPackage" || typ == "StopAndQuarantineFile") {
		return RejectDuplicates
	}
	return c.duplicates
}

// WithTokenLifetime sets the lifetime (expires_in) of issued access tokens
// (default 3599s). MSAL treats a token within 5 minutes of expiry as
// expired, so a lifetime of 300s or less makes it fetch a token every call.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.tokenLifetime = d
		}
	}
}

// WithRoles sets the application roles put in issued tokens (default
// DefaultRoles()). WithRoles() with no roles issues tokens without any.
func WithRoles(roles ...string) Option {
	return func(c *config) { c.roles = append([]string{}, roles...) }
}

// WithCertificate registers cert on the app: the token endpoint then also
// accepts client_assertion JWTs (PS256 or RS256, with an x5t#S256 or x5t
// header) signed by the certificate's private key.
func WithCertificate(cert *x509.Certificate) Option {
	return func(c *config) { c.cert = cert }
}

// WithRateLimits sets the per-route limits of every MDE route (default 100
// per minute and 1500 per hour); getPackageUri keeps its own 2 per minute
// and 120 per hour. A zero value disables that window; WithRateLimits(0, 0)
// disables rate limiting entirely, getPackageUri included.
func WithRateLimits(perMinute, perHour int) Option {
	return func(c *config) {
		c.perMinute, c.perHour = max(perMinute, 0), max(perHour, 0)
		c.rateDisabled = perMinute <= 0 && perHour <= 0
	}
}

// WithActionReadLag makes GET /api/machineactions/{id} answer 404
// ResourceNotFound for an action younger than d, as the real service
// briefly does right after creation (default 0: no lag). Lists are not
// affected.
func WithActionReadLag(d time.Duration) Option {
	return func(c *config) { c.readLag = max(d, 0) }
}

// WithMaxFilterLength makes GET /api/machineactions answer 400 (an OData
// error) when its decoded $filter is longer than n characters. Nothing
// documents the real limit (default 0: none).
func WithMaxFilterLength(n int) Option {
	return func(c *config) { c.maxFilter = max(n, 0) }
}
