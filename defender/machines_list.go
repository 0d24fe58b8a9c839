package defender

import "context"

// List returns machines without a filter, paged by opts: GET
// /api/machines?$top=…. ListOptions{PageSize: 1, Limit: 1} makes it the
// cheapest read of the API, which mdebot check uses to prove the token and
// the Machine.Read.All permission.
func (s *MachinesService) List(ctx context.Context, opts ListOptions) ([]Machine, error) {
	return listAll[Machine](ctx, s.c, FamilyMachines, "/api/machines", "", opts)
}
