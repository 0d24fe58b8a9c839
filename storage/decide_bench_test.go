package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mdebot/mdebot/approvals"
)

// BenchmarkDecision measures one approval that makes a request executable
// (read, transition, write with its audit records), on each backend:
// go test -run x -bench Decision ./storage
func BenchmarkDecision(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			db := be.newStore(b)()
			svc := newService(b, db, (&clock{t: t0}).Now)
			reqs := make([]*approvals.Request, b.N)
			for i := range reqs {
				reqs[i] = mustOpen(b, svc, draft(approvals.KindIsolate, machineID(i)))
			}
			b.ResetTimer()
			for i := range b.N {
				res, err := svc.Approve(ctx, reqs[i].ID, "UAPP001", reqs[i].Fingerprint())
				if err != nil || !res.Executable {
					b.Fatal(fmt.Sprint(res.Executable, err))
				}
			}
		})
	}
}
