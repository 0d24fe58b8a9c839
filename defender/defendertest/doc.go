// Package defendertest is a stateful fake of Microsoft Defender for
// Endpoint's API and of the Entra ID token endpoint in front of it, in the
// spirit of net/http/httptest. It implements the wire protocol on its own
// (it does not import package defender) and enforces the real services'
// rules and error strings, so that code which works against it has a fair
// chance of working against the real thing.
//
// # Starting it
//
// NewServer starts a TLS server on 127.0.0.1 seeded with DefaultMachines:
//
//	srv := defendertest.NewServer(defendertest.WithClock(clock.Now))
//	defer srv.Close()
//
// Point MSAL's confidential client at it with the fake's credentials and
// its certificate-trusting HTTP client; instance discovery must be off,
// since it would call the real login.microsoftonline.com:
//
//	cred, _ := confidential.NewCredFromSecret(defendertest.ClientSecret)
//	app, _ := confidential.New(srv.Authority(), defendertest.ClientID, cred,
//		confidential.WithHTTPClient(srv.HTTPClient()),
//		confidential.WithInstanceDiscovery(false))
//	tok, _ := app.AcquireTokenByCredential(ctx, []string{defendertest.Scope})
//
// and send MDE requests to srv.URL() + "/api/…" with "Authorization: Bearer
// " + tok.AccessToken, using srv.HTTPClient(). A child process can trust the
// server through SSL_CERT_FILE pointing at a file holding CertificatePEM().
//
// # Entra ID
//
// GET /{tenant}/v2.0/.well-known/openid-configuration and POST
// /{tenant}/oauth2/v2.0/token (client_credentials) are served. A client
// authenticates with ClientSecret or, after WithCertificate, with a PS256 or
// RS256 client assertion signed by that certificate's key (checked: x5t#S256
// thumbprint, signature, iss = sub = ClientID, aud = the token endpoint,
// exp/nbf on the server clock with 5 minutes of skew). The scope must
// include Scope. Failures are Entra's OAuth error JSON with AADSTS codes
// (7000215 wrong secret, 700016 unknown client, 90002 unknown tenant, …).
// Access tokens are JWT-shaped, unique per issue, carry the WithRoles app
// roles and expire after WithTokenLifetime on the server clock.
//
// # MDE
//
// Every /api route (an optional /v1.0 segment, case-insensitive segments)
// checks the bearer token (401 "Invalid Authorization payload.") and the
// app role the route needs (403 "Missing application roles. API required
// roles: …, application roles: …."), then the route's rate limit (429
// TooManyRequests with Retry-After in seconds; sliding windows on the
// server clock). Wrong methods get 405 with Allow and no body; unknown
// paths 404 with no body. Errors are {"error":{"code","message","target"}}.
//
// Machine actions are created Pending and advance lazily on the server
// clock: Pending for the WithProgress pending duration, then InProgress,
// then Succeeded, or whatever the machine's Outcome says (the offline
// ws-0077.contoso.local times out). SetStatus forces a status;
// QuarantineFails makes StopAndQuarantineFile of a hash fail. A second
// action of the same type while one is active (or an isolate of an
// isolated machine) is answered each way MDE documents, chosen per action
// type with WithDuplicateModeFor: 400 ActiveRequestAlreadyExists (the
// default), 400 "Action is already in progress" under a generic code, a
// bare 400, or the live action (ReturnPending).
//
// Machines are refused actions their platform cannot run, as Microsoft's
// current pages list them (OsPlatformNotSupported,
// ClientVersionNotSupported, InvalidInput for an isolation type that does
// not fit the device's management). An Inactive machine keeps its actions
// Pending for 3 days, then times them out; an Offboarded one (seeded, or
// after a succeeded Offboard) accepts actions that never run.
//
// Indicators carry their creator: a token with Ti.ReadWrite sees and
// deletes only the app's own, Ti.ReadWrite.All all of them; AddIndicator
// seeds one made by someone else. WithMaxFilterLength makes
// machineactions refuse a long $filter with 400.
//
// Lists take OData $filter (eq ne gt ge lt le, and or not, parentheses,
// startswith, machineTags/any(t: t eq 'x'), quoted strings (a quote doubled inside),
// unquoted date-times) on the fields MDE documents as filterable, $top
// (at most 10000) and $skip; results come in creation order.
//
// # Routes
//
// Each request is recorded as a Call with a stable route name: "token",
// "openid", "machines.get", "machines.list", "machines.findbyip",
// "machines.findbytag", "actions.isolate", "actions.unisolate",
// "actions.restrictCodeExecution", "actions.unrestrictCodeExecution",
// "actions.runAntiVirusScan", "actions.collectInvestigationPackage",
// "actions.StopAndQuarantineFile", "actions.offboard", "machineactions.get",
// "machineactions.list", "machineactions.cancel",
// "machineactions.getPackageUri", "indicators.post", "indicators.delete",
// "indicators.list". FailNext injects replies (or dropped connections) on a
// route; WaitFor blocks until a condition on the server holds, re-checking
// it on every state change and when the next action transition is due,
// never by polling; Subscribe delivers change notifications.
//
// Machines and Indicators return snapshots of the other state, so a test
// can assert on what a client changed without going through the API.
//
// # Clocks
//
// With WithClock and a manual clock, move the clock and call Tick to wake
// WaitFor and subscribers; reads (Actions, GET, list) see the new statuses
// anyway. Keep a manual clock near the wall clock when using certificate
// credentials: MSAL stamps assertions with the real time.
//
// Inside a testing/synctest bubble create the server WithInMemory: it then
// has no listener (a goroutine blocked on a socket would stop the bubble's
// clock) and its HTTPClient serves requests in the caller's goroutine, so
// the default time.Now clock is the bubble's fake clock and WaitFor's
// timers advance it to the next action transition.
package defendertest
