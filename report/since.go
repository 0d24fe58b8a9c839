package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxSince bounds ParseSince to about ten years.
const maxSince = 3650 * 24 * time.Hour

// ParseSince reads a look-back such as 30m, 12h, 30d or 2w (the --since of
// mdebot export, as /mde export reads it).
func ParseSince(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration such as 12h, 30d or 2w", s)
	if len(s) < 2 || len(s) > 8 {
		return 0, bad
	}
	units := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}
	unit, ok := units[strings.ToLower(s[len(s)-1:])]
	digits := s[:len(s)-1]
	if !ok || strings.Trim(digits, "0123456789") != "" {
		return 0, bad
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 {
		return 0, bad
	}
	if time.Duration(n) > maxSince/unit {
		return 0, fmt.Errorf("%q is more than ten years", s)
	}
	return time.Duration(n) * unit, nil
}
