package defendertest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/mdebot/mdebot/defender/defendertest"
)

// clock is a manual clock for the example.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Isolate a machine through the fake with an MSAL token, then drive the
// action to completion with a manual clock.
func Example() {
	ctx := context.Background()
	clk := &clock{now: time.Now()}
	srv := defendertest.NewServer(defendertest.WithClock(clk.Now))
	defer srv.Close()

	cred, err := confidential.NewCredFromSecret(defendertest.ClientSecret)
	if err != nil {
		log.Fatal(err)
	}
	app, err := confidential.New(srv.Authority(), defendertest.ClientID, cred,
		confidential.WithHTTPClient(srv.HTTPClient()),
		confidential.WithInstanceDiscovery(false)) // never call the real login.microsoftonline.com
	if err != nil {
		log.Fatal(err)
	}
	tok, err := app.AcquireTokenByCredential(ctx, []string{defendertest.Scope})
	if err != nil {
		log.Fatal(err)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		srv.URL()+"/api/machines/1e5bc9d7e413ddd7902c2932e418702b84d0cc07/isolate",
		strings.NewReader(`{"Comment":"Isolate due to alert 1234","IsolationType":"Full"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.HTTPClient().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println(res.Status, srv.Actions()[0].Status)

	clk.Advance(10 * time.Second) // default progress: 2s Pending, 5s InProgress
	srv.Tick()
	err = srv.WaitFor(ctx, func(s *defendertest.Server) bool {
		return s.Actions()[0].Status == "Succeeded"
	})
	fmt.Println(err, srv.Actions()[0].Type, srv.Actions()[0].Status, srv.CallCount("actions.isolate"))
	// Output:
	// 201 Created Pending
	// <nil> Isolate Succeeded 1
}
