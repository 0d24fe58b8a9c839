package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/bot"
	"github.com/mdebot/mdebot/config"
	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/metrics"
	"github.com/mdebot/mdebot/storage"
	"github.com/mdebot/mdebot/storage/etcdstore"
)

// Timeouts of serve's own calls.
const (
	// shutdownGrace bounds how long serve waits for the bot to stop once
	// ctx ends; after it, serve gives up (exit status 1).
	shutdownGrace = 30 * time.Second
	// startupCheckTimeout bounds the startup checks of the Slack bot token
	// and of the Entra ID credential.
	startupCheckTimeout = 20 * time.Second
	// maxSweepInterval is how often the expiry sweeper runs at most; with a
	// short approval_ttl it runs ten times per TTL.
	maxSweepInterval = 15 * time.Second
	minSweepInterval = 100 * time.Millisecond
)

// serveConfig opens the database, wires Slack, the approval service and
// the MDE client into a bot, and runs it until ctx ends (nil) or a fatal
// error.
func serveConfig(ctx context.Context, cfg *config.Config, log *slog.Logger, opts serveOptions) (err error) {
	db, err := openDatabase(ctx, cfg.Storage, opts.auditKey)
	if err != nil {
		return err // storage's errors name the file, etcdstore's the endpoints
	}
	closeDB := true
	defer func() {
		if !closeDB {
			return
		}
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", db.Path(), cerr)
		}
	}()
	if err := checkAuditKey(ctx, db, opts.auditKey != nil, log); err != nil {
		return err
	}
	headCtx, stopHead := context.WithCancel(ctx)
	headDone := make(chan struct{})
	go func() {
		defer close(headDone)
		logAuditHead(headCtx, db, auditHeadInterval, log.With("component", "audit"))
	}()
	defer func() { stopHead(); <-headDone }() // before the database closes

	mets := metrics.New()
	mets.SetAuditHead(func() (metrics.AuditHead, error) {
		h, err := db.AuditHead(context.Background())
		return metrics.AuditHead{Seq: h.Seq, Hash: h.Hash, Keyed: h.Keyed}, err
	})
	ready := newReadiness(db)
	if cfg.Admin.Listen != "" {
		routes := adminRoutes{metrics: mets.Handler(), ready: ready}
		if cfg.Admin.BackupTokenFile != "" {
			token, err := readSecretFile(cfg.Admin.BackupTokenFile)
			if err != nil {
				return fmt.Errorf("admin.backup_token_file: %w", err)
			}
			bolt, ok := db.(*storage.DB)
			if !ok {
				return fmt.Errorf("admin.backup_token_file: POST /backup copies a bbolt file; with storage.backend etcd, back up etcd itself (etcdctl snapshot save, see README)")
			}
			routes.backup, routes.backupToken = bolt.Backup, token
		} else {
			log.Info("online backup is off: set admin.backup_token_file to serve POST /backup")
		}
		admin, err := startAdmin(cfg.Admin.Listen, log.With("component", "admin"), routes)
		if err != nil {
			return err
		}
		defer admin.stop()
	}

	api, socket := newSlack(cfg.Slack)
	team, err := checkBotToken(ctx, api, cfg.Slack.APIURL, log)
	if err != nil {
		return err
	}
	observer := ready.observer(botLogObserver{next: mets, log: log.With("component", "slack")})
	var inbox bot.Inbox
	var stillLeads func(context.Context) error
	if es, ok := db.(*etcdstore.Store); ok {
		// Every replica holds its own Socket Mode connection and relays
		// what Slack gives it into the store, standing by or leading; the
		// leader's bot handles it.
		inbox, stillLeads = es, es.StillLeads
		var stopRelay context.CancelCauseFunc
		ctx, stopRelay = context.WithCancelCause(ctx)
		relayed := make(chan error, 1)
		go func() {
			rerr := bot.Relay(ctx, bot.RelayOptions{Socket: socket, Inbox: es, Logger: log.With("component", "slack"), Observer: observer})
			if rerr != nil {
				stopRelay(rerr)
			}
			relayed <- rerr
		}()
		defer func() {
			stopRelay(nil)
			if rerr := <-relayed; rerr != nil && err == nil {
				err = runError(rerr)
			}
		}()
		var leading atomic.Bool
		mets.SetHA(leading.Load, es.Conflicts)
		go observeLeaders(ctx, es, mets, log.With("component", "ha"))
		var deposed func() error
		ctx, deposed, err = lead(ctx, es, cfg.HA, &leading, log.With("component", "ha"))
		if err != nil || ctx == nil {
			return err // nil: stopped while standing by (or the relay failed: see above)
		}
		defer func() {
			if derr := deposed(); derr != nil && err == nil {
				err = derr
			}
		}()
	}

	groups := bot.NewGroups(api, bot.DefaultGroupTTL, log.With("component", "groups"))
	svc, err := approvals.New(approvals.Options{
		Policy:  policyFrom(cfg),
		Store:   mets.Store(db),
		Groups:  groups,
		Logger:  log.With("component", "approvals"),
		History: db,
	})
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	mde, tokens, err := newDefender(cfg, opts.defenderHTTP, defender.WithObserver(mdeLogObserver{next: mets, log: log.With("component", "defender")}))
	if err != nil {
		return err
	}
	if err := checkDefenderToken(ctx, tokens, log); err != nil {
		return err
	}

	b, err := bot.New(bot.Options{
		Slack:         api,
		Socket:        socket,
		Inbox:         inbox,
		StillLeads:    stillLeads,
		Approvals:     svc,
		History:       db,
		Defender:      mde,
		PollInterval:  cfg.Defender.PollInterval,
		SweepInterval: sweepInterval(cfg.Policy.ApprovalTTL),
		Marks:         db,
		Outbox:        db,
		SlackObserver: mets,
		Logger:        log,
		Observer:      observer,
		DryRun:        opts.dryRun,
		AlertChannel:  cfg.Slack.AlertChannel,
		Escalation:    cfg.Slack.Escalation,

		LookupsPerMinute: lookupsPerMinute(cfg.Slack.LookupsPerMinute),
		Team:             team,
	})
	if err != nil {
		return err
	}
	mets.SetInFlight(b.InFlight)
	log.Info("mdebot serving",
		"storage", db.Path(),
		"slack_api", cfg.Slack.APIURL,
		"mde_cloud", string(cfg.Defender.Cloud),
		"mde_api", cfg.Defender.APIURL,
		"authority", cfg.Azure.AuthorityHost,
		"tenant", cfg.Azure.TenantID,
		"client", cfg.Azure.ClientID,
		"credential", credentialKind(cfg.Azure),
		"approval_ttl", cfg.Policy.ApprovalTTL,
		"poll_interval", cfg.Defender.PollInterval,
		"lookups_per_minute", cfg.Slack.LookupsPerMinute,
		"dry_run", opts.dryRun)

	stopped, err := runBot(ctx, b)
	if !stopped {
		closeDB = false // the bot may still hold a transaction; exiting releases the lock
	}
	if err == nil {
		log.Info("mdebot stopped")
	}
	return err
}

// runBot runs b until it returns. Once ctx ends it waits shutdownGrace at
// most; stopped is false if b had not returned by then.
func runBot(ctx context.Context, b *bot.Bot) (stopped bool, err error) {
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	select {
	case err := <-done:
		return true, runError(err)
	case <-ctx.Done():
	}
	grace := time.NewTimer(shutdownGrace)
	defer grace.Stop()
	select {
	case err := <-done:
		return true, runError(err)
	case <-grace.C:
		return false, fmt.Errorf("the bot did not stop within %s of the signal; exiting anyway", shutdownGrace)
	}
}

// runError turns bot.Run's error into the operator's one line.
func runError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bot.ErrInvalidAuth):
		code, refused := bot.AuthErrorCode(err)
		if !refused {
			code = "invalid_auth"
		}
		return fmt.Errorf("Slack refused SLACK_APP_TOKEN (%s): set it to the app-level token (xapp-…) with the connections:write scope", code)
	}
	return err
}

// newSlack returns the Web API client (bot token) and the Socket Mode
// client (app-level token), both calling cfg.APIURL.
func newSlack(cfg config.Slack) (*slack.Client, *socketmode.Client) {
	hc := newHTTPClient(slackTimeout)
	api := slack.New(cfg.BotToken.Reveal(),
		slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(hc))
	socketAPI := slack.New(cfg.BotToken.Reveal(),
		slack.OptionAppLevelToken(cfg.AppToken.Reveal()),
		slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(hc))
	return api, socketmode.New(socketAPI)
}

// checkBotToken calls auth.test with the bot token and returns the bot's
// workspace: a refused token, or an SLACK_API_URL that is not a Web API
// (404), is fatal; Slack being unreachable is only logged (Socket Mode
// retries, and the bot asks auth.test for its workspace again before it
// serves anyone).
func checkBotToken(ctx context.Context, api *slack.Client, apiURL string, log *slog.Logger) (bot.Team, error) {
	ctx, cancel := context.WithTimeout(ctx, startupCheckTimeout)
	defer cancel()
	resp, err := api.AuthTestContext(ctx)
	code, refused := bot.AuthErrorCode(err)
	var status slack.StatusCodeError
	switch {
	case err == nil:
		log.Info("Slack bot token accepted", "team", resp.Team, "team_id", resp.TeamID,
			"enterprise_id", resp.EnterpriseID, "bot_user", resp.UserID)
		return bot.Team{ID: resp.TeamID, EnterpriseID: resp.EnterpriseID}, nil
	case refused:
		return bot.Team{}, fmt.Errorf("Slack refused SLACK_BOT_TOKEN (%s): set it to the app's bot token (xoxb-…)", code)
	case errors.As(err, &status) && status.Code == http.StatusNotFound:
		return bot.Team{}, fmt.Errorf("SLACK_API_URL %s answered 404 Not Found to auth.test: set it to the Web API base URL (default %s)", apiURL, config.DefaultSlackAPIURL)
	}
	log.Warn("cannot check the Slack bot token now; going on", "error", err)
	return bot.Team{}, nil
}

// policyFrom is the approval policy the configuration describes.
func policyFrom(cfg *config.Config) approvals.Policy {
	counts := make(map[approvals.Kind]int, len(cfg.Policy.Approvals))
	for name, n := range cfg.Policy.Approvals {
		counts[approvals.Kind(name)] = n
	}
	return approvals.Policy{
		Approvals:  counts,
		Requesters: cfg.Slack.Requesters,
		Approvers:  cfg.Slack.Approvers,
		Auditors:   cfg.Slack.Auditors,
		Channels:   cfg.Slack.Channels,
		TTL:        cfg.Policy.ApprovalTTL,
		Rules:      rulesFrom(cfg.Policy.Rules),

		BreakGlass:             cfg.Slack.BreakGlass,
		BreakGlassKinds:        kindsFrom(cfg.Policy.BreakGlassKinds),
		BreakGlassPerDay:       cfg.Policy.BreakGlassPerDay,
		BreakGlassReviewWithin: cfg.Policy.BreakGlassReviewWithin,
		EscalateAfter:          cfg.Policy.EscalateAfter,
		MaxMachines:            cfg.Policy.MaxMachines,
		BulkExtraApprovalOver:  cfg.Policy.BulkExtraApprovalOver,
	}
}

// kindsFrom is the action kinds names lists.
func kindsFrom(names []string) []approvals.Kind {
	kinds := make([]approvals.Kind, len(names))
	for i, n := range names {
		kinds[i] = approvals.Kind(n)
	}
	return kinds
}

// rulesFrom is the policy rules the configuration lists.
func rulesFrom(rules []config.Rule) []approvals.DeviceRule {
	var out []approvals.DeviceRule
	for _, r := range rules {
		counts := make(map[approvals.Kind]int, len(r.Approvals))
		for name, n := range r.Approvals {
			counts[approvals.Kind(name)] = n
		}
		out = append(out, approvals.DeviceRule{Name: r.Name, Groups: r.Groups, Tags: r.Tags, OS: r.OS,
			Exposure: r.Exposure, Risk: r.Risk, Approvals: counts, Approvers: r.Approvers})
	}
	return out
}

// sweepInterval is how often requests past their approval window are
// expired: a tenth of the TTL, between 100ms and 15s.
func sweepInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/10, minSweepInterval), maxSweepInterval)
}

// newDefender returns the MDE client, authenticated with MSAL against the
// configured Entra ID app, and its token source; hc (newHTTPClient's when
// nil) carries both.
func newDefender(cfg *config.Config, hc *http.Client, opts ...defender.Option) (*defender.Client, *defender.MSALTokenSource, error) {
	cred, err := credential(cfg.Azure)
	if err != nil {
		return nil, nil, err
	}
	if hc == nil {
		hc = newHTTPClient(defenderTimeout)
	}
	tokens, err := defender.NewMSALTokenSource(defender.MSALConfig{
		TenantID:      cfg.Azure.TenantID,
		ClientID:      cfg.Azure.ClientID,
		Credential:    cred,
		AuthorityHost: cfg.Azure.AuthorityHost,
		Scopes:        []string{cfg.Defender.Scope},
		HTTPClient:    hc,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("Entra ID: %w", err)
	}
	client, err := defender.NewClient(append([]defender.Option{
		defender.WithBaseURL(cfg.Defender.APIURL),
		defender.WithHTTPClient(hc),
		defender.WithTokenSource(tokens),
		defender.WithUserAgent("mdebot"),
	}, opts...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("MDE client: %w", err)
	}
	return client, tokens, nil
}

// credential reads the client secret or the certificate file.
func credential(az config.Azure) (defender.Credential, error) {
	if !az.ClientSecret.IsZero() {
		return defender.SecretCredential(az.ClientSecret.Reveal()), nil
	}
	pem, err := os.ReadFile(az.CertificatePath)
	if err != nil {
		return defender.Credential{}, fmt.Errorf("AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
	}
	cred, err := defender.CertificateCredential(pem, "")
	if err != nil {
		return defender.Credential{}, fmt.Errorf("AZURE_CLIENT_CERTIFICATE_PATH %s: %w", az.CertificatePath, err)
	}
	return cred, nil
}

// credentialKind names the kind of credential for the startup log line.
func credentialKind(az config.Azure) string {
	if !az.ClientSecret.IsZero() {
		return "client secret"
	}
	return "certificate " + az.CertificatePath
}

// checkDefenderToken gets a first token, so that a wrong credential shows
// at startup rather than at the first approved action. Entra ID refusing the
// credential, app or tenant is fatal; Entra ID being unreachable is only
// logged, since every action asks for a token again.
func checkDefenderToken(ctx context.Context, tokens *defender.MSALTokenSource, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, startupCheckTimeout)
	defer cancel()
	_, err := tokens.Token(ctx)
	if err == nil {
		log.Info("Entra ID token acquired for Defender")
		return nil
	}
	if code, desc, ok := entraRefusal(err); ok {
		return fmt.Errorf("Entra ID refused the Defender credential (%s): %s; check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH", code, desc)
	}
	log.Error("cannot get a Defender token from Entra ID now; actions will fail until it answers", "error", err)
	return nil
}

// lookupsPerMinute is bot.Options.LookupsPerMinute for
// slack.lookups_per_minute, whose 0 turns the limit off.
func lookupsPerMinute(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
