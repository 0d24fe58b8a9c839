package bot

import (
	"sync"
	"time"
)

// expiringMap is a map whose entries are forgotten ttl after they were
// last stored, holding at most max: past it, the entry stored longest ago
// goes first. It bounds what the bot remembers of people and machines
// (App Home viewers, looked-up machines). The zero value is ready to use
// and safe for concurrent use; ttl and max come from its owner's calls.
type expiringMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]expiring[V]
}

// expiring is one value and when it was stored.
type expiring[V any] struct {
	v      V
	stored time.Time
}

// store sets k to v at now, first forgetting what expired and, when k is
// new and the map full, the entry stored longest ago.
func (e *expiringMap[K, V]) store(k K, v V, now time.Time, ttl time.Duration, max int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[K]expiring[V]{}
	}
	if _, ok := e.m[k]; !ok && len(e.m) >= max {
		e.expireLocked(now, ttl)
		if len(e.m) >= max {
			var oldest K
			first := true
			for key, x := range e.m {
				if first || x.stored.Before(e.m[oldest].stored) {
					oldest, first = key, false
				}
			}
			delete(e.m, oldest)
		}
	}
	e.m[k] = expiring[V]{v: v, stored: now}
}

// load returns k's value unless it expired (then it is forgotten).
func (e *expiringMap[K, V]) load(k K, now time.Time, ttl time.Duration) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[k]
	if ok && now.Sub(x.stored) > ttl {
		delete(e.m, k)
		var zero V
		return zero, false
	}
	return x.v, ok
}

// live returns the keys that have not expired, forgetting the others.
func (e *expiringMap[K, V]) live(now time.Time, ttl time.Duration) []K {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked(now, ttl)
	keys := make([]K, 0, len(e.m))
	for k := range e.m {
		keys = append(keys, k)
	}
	return keys
}

// expireLocked forgets the entries older than ttl; e.mu is held.
func (e *expiringMap[K, V]) expireLocked(now time.Time, ttl time.Duration) {
	for k, x := range e.m {
		if now.Sub(x.stored) > ttl {
			delete(e.m, k)
		}
	}
}
