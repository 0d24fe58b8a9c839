package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/mdebot/mdebot/bot/blocks"
	"github.com/mdebot/mdebot/bot/command"
	"github.com/mdebot/mdebot/defender"
)

// resolveParallel bounds the look-ups one command's targets run at once:
// enough that 30 names take a few round trips, few enough that one
// command does not take every connection and the whole burst of the
// machines budget at the same instant.
const resolveParallel = 4

// UnresolvedError lists every target of a command that does not name
// exactly the machines meant, all at once, so that the person fixes the
// command in one go; nothing runs until the set is exact. Targets are as
// the command prints them (command.Target.String).
type UnresolvedError struct {
	// Unknown are the machine names, IP addresses and ids no machine
	// matches, in the command's order.
	Unknown []string
	// Ambiguous maps a name or IP address that several machines match to
	// them.
	Ambiguous map[string][]defender.Machine
	// EmptyTags and EmptyGroups are the tag: and group: targets no
	// machine has, in the command's order.
	EmptyTags   []string
	EmptyGroups []string
	// AmbiguousGroups maps a group: name that several device groups bear
	// to their ids.
	AmbiguousGroups map[string][]int64
}

// Error lists the problems.
func (e *UnresolvedError) Error() string {
	var parts []string
	if len(e.Unknown) > 0 {
		parts = append(parts, "unknown "+strings.Join(e.Unknown, ", "))
	}
	for _, t := range slices.Sorted(maps.Keys(e.Ambiguous)) {
		parts = append(parts, fmt.Sprintf("%s matches %d machines", t, len(e.Ambiguous[t])))
	}
	if n := len(e.EmptyTags) + len(e.EmptyGroups); n > 0 {
		parts = append(parts, "no machines in "+strings.Join(append(append([]string{}, e.EmptyTags...), e.EmptyGroups...), ", "))
	}
	for _, t := range slices.Sorted(maps.Keys(e.AmbiguousGroups)) {
		parts = append(parts, fmt.Sprintf("%s names device groups %v", t, e.AmbiguousGroups[t]))
	}
	return "targets do not resolve: " + strings.Join(parts, "; ")
}

// view is the error's view model for blocks.RenderUnresolvedTargets.
func (e *UnresolvedError) view() blocks.UnresolvedView {
	v := blocks.UnresolvedView{Unknown: e.Unknown, EmptyTags: e.EmptyTags, EmptyGroups: e.EmptyGroups}
	for _, t := range slices.Sorted(maps.Keys(e.Ambiguous)) {
		a := blocks.AmbiguousTargetView{Target: t}
		for _, m := range e.Ambiguous[t] {
			a.Machines = append(a.Machines, machineView(m))
		}
		v.Ambiguous = append(v.Ambiguous, a)
	}
	for _, t := range slices.Sorted(maps.Keys(e.AmbiguousGroups)) {
		v.Ambiguous = append(v.Ambiguous, blocks.AmbiguousTargetView{Target: t, GroupIDs: e.AmbiguousGroups[t]})
	}
	return v
}

// resolveTargets resolves every target of a command to its machines —
// names, IP addresses and ids by resolve, tags by MDE's findbytag, device
// groups by the machine list — and returns them de-duplicated by machine
// id, in the order the targets and MDE gave them.
//
// Each target costs one look-up (an IP address or a group of digits may
// take a second call when the first finds nothing), at most
// resolveParallel at a time, on the look-up client (b.lookups), which
// gives up at once when Defender's budget is busy. When any target is
// unknown, ambiguous (a name or IP several machines match) or an empty tag
// or group, the error is an *UnresolvedError listing every such target.
// A failed look-up (Defender unreachable, budget busy) or the end of ctx
// returns that error instead, and starts no further look-ups.
func (b *Bot) resolveTargets(ctx context.Context, targets []command.Target) ([]defender.Machine, error) {
	found := make([][]defender.Machine, len(targets))
	errs := make([]error, len(targets))
	lookCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, resolveParallel)
	var wg sync.WaitGroup
launch:
	for i, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-lookCtx.Done():
			break launch
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			found[i], errs[i] = b.resolve(lookCtx, t)
			if errs[i] != nil && !isAmbiguousGroup(errs[i]) {
				cancel() // the command fails: spare the budget
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		// The first failure, not the cancellations it caused.
		if err != nil && !isAmbiguousGroup(err) && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := lookCtx.Err(); err != nil {
		// A failure cancelled the rest and was itself a cancellation.
		return nil, err
	}

	var unresolved UnresolvedError
	var out []defender.Machine
	seen := map[defender.MachineID]bool{}
	for i, t := range targets {
		ms := found[i]
		var amb *defender.AmbiguousGroupError
		switch {
		case errors.As(errs[i], &amb):
			if unresolved.AmbiguousGroups == nil {
				unresolved.AmbiguousGroups = map[string][]int64{}
			}
			unresolved.AmbiguousGroups[t.String()] = amb.IDs
		case len(ms) == 0 && t.Kind == command.TargetTag:
			unresolved.EmptyTags = append(unresolved.EmptyTags, t.String())
		case len(ms) == 0 && t.Kind == command.TargetGroup:
			unresolved.EmptyGroups = append(unresolved.EmptyGroups, t.String())
		case len(ms) == 0:
			unresolved.Unknown = append(unresolved.Unknown, t.String())
		case len(ms) > 1 && !t.IsSet():
			if unresolved.Ambiguous == nil {
				unresolved.Ambiguous = map[string][]defender.Machine{}
			}
			unresolved.Ambiguous[t.String()] = ms
		default:
			for _, m := range ms {
				if !seen[m.ID] {
					seen[m.ID] = true
					out = append(out, m)
				}
			}
		}
	}
	if len(unresolved.Unknown)+len(unresolved.Ambiguous)+len(unresolved.EmptyTags)+len(unresolved.EmptyGroups)+len(unresolved.AmbiguousGroups) > 0 {
		return nil, &unresolved
	}
	return out, nil
}

// isAmbiguousGroup reports whether err is a group name several device
// groups bear: a problem of the command, not of the look-up.
func isAmbiguousGroup(err error) bool {
	var amb *defender.AmbiguousGroupError
	return errors.As(err, &amb)
}
