// Package defendertest is a stateful fake of Microsoft Defender for
// Endpoint's API and of the Entra ID token endpoint in front of it, in the
// spirit of net/http/httptest. It speaks the wire protocol itself (it does
// not import package defender) and enforces the real services' rules and
// error strings: tokens, app roles, rate limits, OData filters, duplicate
// actions (Server.handle's comment lists them).
//
// # Using it in a test
//
// NewServer starts a TLS server on 127.0.0.1 seeded with DefaultMachines
// (WithMachines replaces them). Point package defender at it with the fake's
// credentials and its certificate-trusting client:
//
//	srv := defendertest.NewServer(defendertest.WithProgress(0, 0))
//	defer srv.Close()
//	tokens, _ := defender.NewMSALTokenSource(defender.MSALConfig{
//		TenantID: defendertest.TenantID, ClientID: defendertest.ClientID,
//		Credential:    defender.SecretCredential(defendertest.ClientSecret),
//		AuthorityHost: srv.AuthorityHost(), HTTPClient: srv.HTTPClient(),
//	})
//	client, _ := defender.NewClient(defender.WithBaseURL(srv.URL()),
//		defender.WithHTTPClient(srv.HTTPClient()), defender.WithTokenSource(tokens))
//
// A child process trusts it through SSL_CERT_FILE naming a file that holds
// CertificatePEM(). Raw MSAL works too (Example), with instance discovery
// off so that it never calls the real login.microsoftonline.com.
//
// Steer it with WithProgress (how long actions stay Pending and
// InProgress), SetStatus, QuarantineFails, SetPackageURI, WithRoles,
// WithRateLimits, WithDuplicateModeFor (each way MDE answers a duplicate
// action), WithMaxFilterLength, AddIndicator (one made by someone else) and
// FailNext (canned replies or dropped connections on a route). Observe it with Calls and CallCount (by route name: "token",
// "machines.list", "actions.isolate", "machineactions.get", …; see Call),
// the Machines, Actions and Indicators snapshots, and WaitFor, which blocks
// until a condition holds without polling.
//
// # Clocks
//
// With WithClock and a manual clock, move the clock and call Tick to wake
// WaitFor and subscribers. Keep a manual clock near the wall clock with
// certificate credentials: MSAL stamps assertions with the real time.
// Inside a testing/synctest bubble, create the server WithInMemory: it has no
// listener, its HTTPClient serves requests in the caller's goroutine, and
// the bubble's fake clock drives it.
package defendertest
