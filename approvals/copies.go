package approvals

import (
	"context"
	"slices"
	"time"
)

// AddCopy stores where a copy of request id's card was posted (an
// approver's DM, the escalation channel), so that every later change
// edits it too, as it edits Request.Card. Adding a copy twice changes
// nothing.
func (s *Service) AddCopy(ctx context.Context, id string, c Card) (Result, error) {
	return s.update(ctx, opCopy, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		if c.Channel == "" || c.TS == "" || slices.Contains(r.Copies, c) {
			return nil, ErrUnchanged
		}
		r.Copies = append(r.Copies, c)
		return []AuditEvent{r.event(EventCardCopied, SystemActor, now, c.Channel+" "+c.TS)}, nil
	})
}

// Eligible returns the user ids whose approval of r would count under the
// policy as it stands (user groups expanded), r's requester left out: the
// people its approval DMs go to. With rules naming approvers it is the
// members of every such rule's list; otherwise Policy.Approvers.
func (s *Service) Eligible(ctx context.Context, r *Request) ([]string, error) {
	req := s.policy.Evaluate(r.Kind, r.Facts)
	var sets [][]string
	for _, ar := range req.Rules {
		if len(ar.Approvers) > 0 {
			sets = append(sets, ar.Approvers)
		}
	}
	if len(sets) == 0 {
		sets = [][]string{s.policy.Approvers}
	}
	users, err := s.expand(ctx, sets[0])
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if u == r.Requester {
			continue
		}
		ok, err := s.eligible(ctx, req, u)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// MayDecide reports whether user's approval or denial of r would count
// under the policy as it stands: the approvers r's policy rules name, or
// Policy.Approvers (r's requester never). The App Home lists r for them.
func (s *Service) MayDecide(ctx context.Context, r *Request, user string) (bool, error) {
	if user == r.Requester {
		return false, nil
	}
	return s.eligible(ctx, s.policy.Evaluate(r.Kind, r.Facts), user)
}

// Users returns the user ids of principals (users and user groups), each
// once: the members of an escalation group, say.
func (s *Service) Users(ctx context.Context, principals ...string) ([]string, error) {
	return s.expand(ctx, principals)
}

// expand returns the user ids of principals, user groups expanded, each
// once.
func (s *Service) expand(ctx context.Context, principals []string) ([]string, error) {
	var users []string
	for _, p := range principals {
		ids := []string{p}
		if IsGroupID(p) {
			if s.groups == nil {
				continue
			}
			m, err := s.groups.Members(ctx, p)
			if err != nil {
				return users, &Error{Code: CodeGroupLookup, Msg: "members of " + p, Err: err}
			}
			ids = m
		}
		for _, id := range ids {
			if !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
	}
	return users, nil
}

// DueEscalations returns the requests still awaiting approval, not
// escalated yet, that have waited Policy.EscalateAfter or longer (none
// when it is zero), oldest first.
func (s *Service) DueEscalations(ctx context.Context) ([]*Request, error) {
	if s.policy.EscalateAfter <= 0 {
		return nil, nil
	}
	live, err := s.store.Live(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var due []*Request
	for _, r := range live {
		if r.State == StateAwaiting && r.Escalated.IsZero() && now.Before(r.Expires) && !now.Before(r.Created.Add(s.policy.EscalateAfter)) {
			due = append(due, r)
		}
	}
	return due, nil
}

// MarkEscalated records that request id, undecided after
// Policy.EscalateAfter, was escalated to target. Only the first call per
// request changes it (Result.Changed), so a request is escalated once;
// a request no longer awaiting approval is not escalated (ErrUnchanged).
func (s *Service) MarkEscalated(ctx context.Context, id, target string) (Result, error) {
	return s.update(ctx, opEscalate, "", id, func(r *Request, now time.Time) ([]AuditEvent, error) {
		if r.State != StateAwaiting || !r.Escalated.IsZero() {
			return nil, ErrUnchanged
		}
		r.Escalated = now
		return []AuditEvent{r.event(EventEscalated, SystemActor, now, "nobody decided within "+s.policy.EscalateAfter.String()+"; asked "+target)}, nil
	})
}
