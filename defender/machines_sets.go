package defender

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// AmbiguousGroupError is FindByGroup's answer to a device group name
// that several groups bear (differing only by case): the caller should
// name the group by one of IDs.
type AmbiguousGroupError struct {
	Name string
	IDs  []int64 // the groups' rbacGroupId, ascending
}

// Error names the groups.
func (e *AmbiguousGroupError) Error() string {
	return fmt.Sprintf("defender: device group name %q matches groups %v; name one by its id", truncate(e.Name, 64), e.IDs)
}

// FindByTag returns the machines that carry the device tag tag: the exact
// tag, not a prefix. MDE's comparison of tags is not documented; the
// machines are kept only when one of their tags equals tag, ignoring case.
//
// MDE: GET /api/machines/findbytag?tag=…&useStartsWithFilter=false, paged
// with $top and $skip.
func (s *MachinesService) FindByTag(ctx context.Context, tag string) ([]Machine, error) {
	if err := checkLiteral(tag); err != nil {
		return nil, fmt.Errorf("defender: machine tag: %w", err)
	}
	params := url.Values{"tag": {tag}, "useStartsWithFilter": {"false"}}
	ms, err := listAllWith[Machine](ctx, s.c, FamilyMachines, "/api/machines/findbytag", params, ListOptions{PageSize: machinePageSize})
	if errors.Is(err, ErrNotFound) && len(ms) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := ms[:0]
	for _, m := range ms {
		if slices.ContainsFunc(m.MachineTags, func(t string) bool { return strings.EqualFold(t, tag) }) {
			out = append(out, m)
		}
	}
	return out, nil
}

// FindByGroup returns the machines of the device group group, named by
// its id (rbacGroupId) or its name (rbacGroupName).
//
// MDE's machine list can be filtered by rbacGroupId but not by
// rbacGroupName, and its API has no list of device groups, so:
//   - a group of digits is first taken as the id: GET
//     /api/machines?$filter=rbacGroupId eq N (paged). When no machine has
//     that id, it is tried as a name.
//   - a name is looked up in the machine list itself (GET /api/machines,
//     paged, unfiltered): the machines whose rbacGroupName equals it
//     (exactly, or else ignoring case) are the group, and their
//     rbacGroupId is its id. A name that several ids bear is refused with
//     an *AmbiguousGroupError.
//
// A group without machines, or unknown, gives an empty list.
func (s *MachinesService) FindByGroup(ctx context.Context, group string) ([]Machine, error) {
	group = strings.TrimSpace(group)
	if err := checkLiteral(group); err != nil {
		return nil, fmt.Errorf("defender: device group: %w", err)
	}
	if id, err := strconv.ParseInt(group, 10, 64); err == nil && id >= 0 {
		ms, err := s.list(ctx, "rbacGroupId eq "+strconv.FormatInt(id, 10))
		if err != nil || len(ms) > 0 {
			return ms, err
		}
	}
	all, err := s.list(ctx, "")
	if err != nil {
		return nil, err
	}
	return groupMembers(all, group)
}

// groupMembers picks from all the machines of the group named name.
func groupMembers(all []Machine, name string) ([]Machine, error) {
	for _, same := range []func(string) bool{
		func(g string) bool { return g == name },
		func(g string) bool { return strings.EqualFold(g, name) },
	} {
		var ids []int64
		var out []Machine
		for _, m := range all {
			if m.RBACGroupName == "" || !same(m.RBACGroupName) {
				continue
			}
			if !slices.Contains(ids, m.RBACGroupID) {
				ids = append(ids, m.RBACGroupID)
			}
			out = append(out, m)
		}
		if len(ids) > 1 {
			slices.Sort(ids)
			return nil, &AmbiguousGroupError{Name: name, IDs: ids}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}
