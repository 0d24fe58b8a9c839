package approvals

import (
	"context"
	"errors"
	"time"
)

// Sweep expires every request awaiting approval whose window has passed
// (by the service's clock) and returns them as they are now, so the bot can
// rewrite their cards. A request decided concurrently is left alone.
func (s *Service) Sweep(ctx context.Context) ([]*Request, error) {
	live, err := s.store.Live(ctx)
	if err != nil {
		return nil, err
	}
	var expired []*Request
	for _, l := range live {
		if l.State != StateAwaiting || s.now().Before(l.Expires) {
			continue
		}
		res, err := s.update(ctx, "expire", "", l.ID, expire)
		if err != nil {
			return expired, err
		}
		if res.Changed {
			expired = append(expired, res.Request)
		}
	}
	return expired, nil
}

// RunSweeper calls Sweep every interval until ctx ends, handing each
// non-empty batch of expired requests to onExpired (which may be nil).
// Sweep errors are logged and the loop goes on. It returns ctx's error.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration, onExpired func(context.Context, []*Request)) error {
	if interval <= 0 {
		return errors.New("approvals: sweeper interval must be positive")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		expired, err := s.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "approvals: sweeping expired requests", "error", err)
		}
		if len(expired) > 0 && onExpired != nil {
			onExpired(ctx, expired)
		}
	}
}
