package suggest

import "testing"

func TestDistanceCountsRuneEdits(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"isolate", "isolate", 0},
		{"isloate", "isolate", 2},
		{"scan", "", 4},
		{"", "full", 4},
		{"kitten", "sitting", 3},
		{"café", "cafe", 1},
		{"übersicht", "ubersicht", 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosestPicksTheNearestWithinTheLimit(t *testing.T) {
	words := []string{"isolate", "release", "restrict", "scan"}
	tests := []struct {
		s       string
		maxDist int
		want    string
	}{
		{"isloate", 2, "isolate"},
		{"scna", 2, "scan"},
		{"relase", 2, "release"},
		{"offboard", 2, ""},
		{"isloate", 1, ""},
		{"", 4, "scan"},
	}
	for _, tt := range tests {
		if got := Closest(tt.s, words, tt.maxDist); got != tt.want {
			t.Errorf("Closest(%q, %d) = %q, want %q", tt.s, tt.maxDist, got, tt.want)
		}
	}
}

func TestClosestPrefersTheEarlierCandidateOnATie(t *testing.T) {
	if got := Closest("ab", []string{"aa", "bb"}, 2); got != "aa" {
		t.Errorf("Closest = %q, want the first of two at distance 1", got)
	}
}
