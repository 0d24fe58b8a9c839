package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// userDirectoryTTL is how long the workspace's user list is kept before
// a lookup reads it again.
const userDirectoryTTL = 5 * time.Minute

// userDirectory finds Slack users by the name a person typed after an @
// (without picking them from Slack's autocomplete): their handle, display
// name or real name, case-insensitively. It reads users.list, a page at a
// time, and keeps the list for userDirectoryTTL; concurrent lookups share
// one read.
type userDirectory struct {
	slack *slack.Client

	mu      sync.Mutex
	people  []person
	fetched time.Time
	loading chan struct{} // non-nil while a read runs; closed when it ends
}

// person is what the directory keeps of a user.
type person struct {
	id, handle, display, real string
}

// names are the display and real names p answers to, lower-cased, with
// the forms a name without spaces takes ("Alex Approver" is also
// "alexapprover", "alex.approver" and "alex_approver").
func (p person) names() []string {
	var out []string
	for _, n := range []string{p.display, p.real} {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			out = append(out, n, strings.ReplaceAll(n, " ", ""), strings.ReplaceAll(n, " ", "."), strings.ReplaceAll(n, " ", "_"))
		}
	}
	return out
}

// find returns the people named name (without its @), at most max of
// them: the one whose handle it is (handles are unique), else those whose
// display or real name it is.
func (d *userDirectory) find(ctx context.Context, name string, now time.Time, max int) ([]person, error) {
	people, err := d.list(ctx, now)
	if err != nil {
		return nil, err
	}
	want := strings.ToLower(strings.TrimPrefix(name, "@"))
	for _, p := range people {
		if strings.ToLower(p.handle) == want {
			return []person{p}, nil
		}
	}
	var out []person
	for _, p := range people {
		for _, n := range p.names() {
			if n == want {
				out = append(out, p)
				break
			}
		}
		if len(out) == max {
			break
		}
	}
	return out, nil
}

// list returns the cached users, reading them again when they are older
// than userDirectoryTTL.
func (d *userDirectory) list(ctx context.Context, now time.Time) ([]person, error) {
	for {
		d.mu.Lock()
		if d.loading == nil && d.people != nil && now.Sub(d.fetched) < userDirectoryTTL {
			people := d.people
			d.mu.Unlock()
			return people, nil
		}
		if wait := d.loading; wait != nil {
			d.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wait := make(chan struct{})
		d.loading = wait
		d.mu.Unlock()

		people, err := d.read(ctx)
		d.mu.Lock()
		if err == nil {
			d.people, d.fetched = people, now
		}
		d.loading = nil
		d.mu.Unlock()
		close(wait)
		if err != nil {
			return nil, err
		}
		return people, nil
	}
}

// read pages through users.list, keeping the people who can ask: not
// deleted, not bots.
func (d *userDirectory) read(ctx context.Context) ([]person, error) {
	var people []person
	p := d.slack.GetUsersPaginated(slack.GetUsersOptionLimit(200))
	for {
		var err error
		p, err = p.Next(ctx)
		if p.Done(err) {
			return people, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing Slack users: %w", err)
		}
		for _, u := range p.Users {
			if u.Deleted || u.IsBot {
				continue
			}
			people = append(people, person{id: u.ID, handle: u.Name, display: u.Profile.DisplayName, real: u.RealName})
		}
	}
}

// namer returns a function naming each user id by their real name (else
// display name, else handle), "" for an id the directory does not know.
func (d *userDirectory) namer(ctx context.Context, now time.Time) (func(id string) string, error) {
	people, err := d.list(ctx, now)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]string, len(people))
	for _, p := range people {
		for _, n := range []string{p.real, p.display, p.handle} {
			if strings.TrimSpace(n) != "" {
				byID[p.id] = n
				break
			}
		}
	}
	return func(id string) string { return byID[id] }, nil
}
