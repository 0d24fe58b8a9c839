package defender_test

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/defender/defendertest"
)

// setup starts a fake MDE (actions stay Pending unless the test moves them)
// and returns a client that authenticates through the real MSAL client with
// the fake's client secret. The client's own budgets are off: the fake's
// limits are what the tests exercise.
func setup(t testing.TB, opts ...defendertest.Option) (*defendertest.Server, *defender.Client) {
	t.Helper()
	srv := defendertest.NewServer(append([]defendertest.Option{defendertest.WithProgress(0, 0)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, newClient(t, srv, defender.SecretCredential(defendertest.ClientSecret))
}

func newClient(t testing.TB, srv *defendertest.Server, cred defender.Credential, opts ...defender.Option) *defender.Client {
	t.Helper()
	ts, err := defender.NewMSALTokenSource(defender.MSALConfig{
		TenantID:      defendertest.TenantID,
		ClientID:      defendertest.ClientID,
		Credential:    cred,
		AuthorityHost: srv.AuthorityHost(),
		HTTPClient:    srv.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := defender.NewClient(append([]defender.Option{
		defender.WithBaseURL(srv.URL()),
		defender.WithHTTPClient(srv.HTTPClient()),
		defender.WithTokenSource(ts),
		defender.WithoutRateLimits(),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// machineID is the id the fake gives a seeded machine without one.
func machineID(name string) defender.MachineID {
	sum := sha1.Sum([]byte("mdebot-fake/" + name))
	return defender.MachineID(hex.EncodeToString(sum[:]))
}

const (
	ws42     = defender.MachineID("1e5bc9d7e413ddd7902c2932e418702b84d0cc07")
	sha1Hash = "3395856ce81f2b7382dee72602f798b642f14140"
	sha256H  = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
)

// routeCalls returns the recorded calls to route.
func routeCalls(srv *defendertest.Server, route string) []defendertest.Call {
	var out []defendertest.Call
	for _, c := range srv.Calls() {
		if c.Route == route {
			out = append(out, c)
		}
	}
	return out
}
