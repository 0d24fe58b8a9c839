package defender

import (
	"context"
	"errors"
)

// List returns machines without a filter, paged by opts: GET
// /api/machines?$top=…. ListOptions{PageSize: 1, Limit: 1} makes it the
// cheapest read of the API, which mdebot check uses to prove the token and
// the Machine.Read.All permission. A tenant without recently seen machines
// (MDE answers 404) gives an empty list.
func (s *MachinesService) List(ctx context.Context, opts ListOptions) ([]Machine, error) {
	ms, err := listAll[Machine](ctx, s.c, FamilyMachines, "/api/machines", "", opts)
	if errors.Is(err, ErrNotFound) && len(ms) == 0 {
		return nil, nil
	}
	return ms, err
}
