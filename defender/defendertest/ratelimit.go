package defendertest

import (
	"net/http"
	"strconv"
	"time"
)

// routeLimiter is a sliding-window limiter (per minute and per hour) over
// the timestamps of accepted calls, on the server clock.
type routeLimiter struct {
	perMinute, perHour int
	times              []time.Time // accepted calls within the last hour, oldest first
}

// allow records a call at now if both windows have room; otherwise it
// returns how long until the oldest call in the full window leaves it.
func (l *routeLimiter) allow(now time.Time) (bool, time.Duration) {
	cut := 0
	for cut < len(l.times) && !l.times[cut].After(now.Add(-time.Hour)) {
		cut++
	}
	l.times = l.times[cut:]
	var wait time.Duration
	check := func(limit int, window time.Duration) {
		if limit <= 0 {
			return
		}
		var in []time.Time
		for i, t := range l.times {
			if t.After(now.Add(-window)) {
				in = l.times[i:]
				break
			}
		}
		if len(in) >= limit {
			wait = max(wait, in[len(in)-limit].Add(window).Sub(now))
		}
	}
	check(l.perMinute, time.Minute)
	check(l.perHour, time.Hour)
	if wait > 0 {
		return false, wait
	}
	l.times = append(l.times, now)
	return true, 0
}

// allowRate applies the route's limits; on refusal it answers 429 with
// Retry-After in whole seconds.
func (s *Server) allowRate(rep *reply, route string) bool {
	if s.cfg.rateDisabled {
		return true
	}
	s.mu.Lock()
	l := s.limits[route]
	if l == nil {
		l = &routeLimiter{perMinute: s.cfg.perMinute, perHour: s.cfg.perHour}
		if route == "machineactions.getPackageUri" {
			l.perMinute, l.perHour = 2, 120
		}
		s.limits[route] = l
	}
	ok, wait := l.allow(s.now())
	s.mu.Unlock()
	if ok {
		return true
	}
	secs := int((wait + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	rep.writeErrorf(http.StatusTooManyRequests, "TooManyRequests", "Rate limit is exceeded. Try again in %d seconds.", secs)
	rep.header.Set("Retry-After", strconv.Itoa(secs))
	return false
}
