// Package playground runs mdebot's stand-ins for a try-out in a browser: a fake
// Slack workspace (package slacktest) with seeded people and an #incident
// channel, a simulated Defender tenant (package defendertest, over TLS with a
// throwaway certificate) with believable action timings, and a web page that
// looks and behaves like a Slack channel on top of the fake workspace.
//
// Start brings the three up; the caller then runs the unmodified bot against
// them with the environment from Env (or, in-process, with HTTPClient for the
// tenant) and the configuration from ConfigYAML:
//
//	p, err := playground.Start(ctx, playground.Options{Listen: "127.0.0.1:8080", DataDir: "./mdebot-playground"})
//	…
//	defer p.Close()
//	fmt.Println("open", p.URL())
//
// The page talks to the package's JSON API: GET /api/state (the channel as
// one person sees it: the channel, their DM with the bot and their App
// Home), POST /api/command, /api/click, /api/submit, /api/close, /api/home,
// /api/viewclick and /api/select (what that person does), GET /api/file (a
// file attached to a message they can see) and /package/{id}.zip (a
// collected investigation package of the simulated tenant), and GET
// /events, a server-sent event stream that says when to fetch the state
// again. The page builds its DOM with textContent only: message text never
// becomes HTML.
//
// The workspace and the tenant live in memory and are saved to DataDir
// (SlackStateFileName, TenantStateFileName) half a second after each change
// and on Close, and restored by the next Start, so the messages and actions
// the bot's database (DBFileName) points at are still there. The seeded
// people, the channel and the machines keep their IDs across starts; the
// tenant's certificate is new at every start.
package playground
