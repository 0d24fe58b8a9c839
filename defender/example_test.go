package defender_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/mdebot/mdebot/defender"
)

// This example isolates a machine found by name and waits for the action
// to finish. It needs a real tenant, so it has no Output comment.
func Example() {
	ctx := context.Background()
	tokens, err := defender.NewMSALTokenSource(defender.MSALConfig{
		TenantID:   "00000000-0000-0000-0000-000000000000",
		ClientID:   "11111111-1111-1111-1111-111111111111",
		Credential: defender.SecretCredential("from-a-secret-store"),
		Cloud:      defender.CloudCommercial,
	})
	if err != nil {
		log.Fatal(err)
	}
	client, err := defender.NewClient(defender.WithBaseURL(defender.CloudCommercial.BaseURL()), defender.WithTokenSource(tokens))
	if err != nil {
		log.Fatal(err)
	}
	machines, err := client.Machines.FindByName(ctx, "ws-0042.contoso.local")
	if err != nil || len(machines) != 1 {
		log.Fatalf("want exactly one machine: %v %v", machines, err)
	}
	sub, err := client.Actions.Isolate(ctx, machines[0].ID, defender.IsolationFull, "Isolate for INC-1234 [req 7f3a]")
	switch {
	case errors.Is(err, defender.ErrOutcomeUnknown):
		log.Fatal("MDE may or may not have isolated the machine; check the portal: ", err)
	case err != nil:
		log.Fatal(err)
	case sub.Existing:
		fmt.Println("an isolation was already pending:", sub.Action.ID)
	}
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for !sub.Action.Status.Terminal() {
		select {
		case <-ctx.Done():
			log.Fatal(ctx.Err())
		case <-tick.C:
		}
		statuses, err := client.Actions.Statuses(ctx, []string{sub.Action.ID})
		if err != nil {
			log.Fatal(err)
		}
		sub.Action = statuses[sub.Action.ID]
	}
	fmt.Println("isolation", sub.Action.Status)
}

// An ActionFilter builds the $filter of a machine-action listing; every
// value is validated and escaped.
func ExampleActionFilter_Expression() {
	f := defender.ActionFilter{
		MachineID: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
		Types:     []defender.ActionType{defender.ActionIsolate},
		Statuses:  []defender.ActionStatus{defender.StatusPending, defender.StatusInProgress},
		Requestor: "o'brien@contoso.com",
	}
	expr, err := f.Expression()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(expr)
	// Output:
	// machineId eq '1e5bc9d7e413ddd7902c2932e418702b84d0cc07' and type eq 'Isolate' and (status eq 'Pending' or status eq 'InProgress') and requestor eq 'o''brien@contoso.com'
}

// errors.Is tells the kinds of failure apart.
func ExampleError() {
	err := error(&defender.Error{Method: "POST", Path: "/api/machines/x/isolate", StatusCode: 400,
		Code: "ActiveRequestAlreadyExists", Message: "Action is already in progress"})
	fmt.Println(errors.Is(err, defender.ErrActionInProgress), errors.Is(err, defender.ErrBadRequest), errors.Is(err, defender.ErrNotFound))
	// Output: true true false
}
