package approvals_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/approvals/approvalstest"
)

func TestConcurrentApprovalsOnTheMemoryStoreExecuteOnce(t *testing.T) {
	ctx := context.Background()
	approvers := make([]string, 100)
	for i := range approvers {
		approvers[i] = fmt.Sprintf("UAPP%03d", i)
	}
	svc, err := approvals.New(approvals.Options{Policy: approvals.Policy{Approvers: approvers}, Store: &approvalstest.Store{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Open(ctx, draft(approvals.KindOffboard))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	var executable atomic.Int32
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if res, err := svc.Approve(ctx, r.ID, approvers[i%3], r.Fingerprint()); err == nil && res.Executable {
				executable.Add(1)
			}
		})
	}
	wg.Wait()
	if n := executable.Load(); n != 1 {
		t.Errorf("%d executable results, want 1", n)
	}
}
