package approvals

// State is where a request is in its lifecycle.
type State string

// The request states. Live states are awaiting approval, approved and
// submitted; every other state is final.
const (
	StateAwaiting  State = "awaiting_approval" // waiting for approvals
	StateApproved  State = "approved"          // executable, not yet sent to MDE
	StateSubmitted State = "submitted"         // sent to MDE, not yet final
	StateSucceeded State = "succeeded"         // MDE reported Succeeded
	StateFailed    State = "failed"            // MDE refused it or reported Failed
	StateTimedOut  State = "timed_out"         // MDE reported TimeOut
	StateCancelled State = "cancelled"         // cancelled, in mdebot or in MDE
	StateDenied    State = "denied"            // an approver denied it
	StateExpired   State = "expired"           // not approved in time
	StateWithdrawn State = "withdrawn"         // withdrawn before a decision
)

// States returns every state, in lifecycle order.
func States() []State {
	return []State{StateAwaiting, StateApproved, StateSubmitted, StateSucceeded, StateFailed,
		StateTimedOut, StateCancelled, StateDenied, StateExpired, StateWithdrawn}
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, x := range States() {
		if s == x {
			return true
		}
	}
	return false
}

// Live reports whether s is awaiting approval, approved or submitted: a
// live request blocks another request for the same target and family.
func (s State) Live() bool {
	return s == StateAwaiting || s == StateApproved || s == StateSubmitted
}

// Final reports whether s is a final state that no transition leaves.
func (s State) Final() bool { return s.Valid() && !s.Live() }
