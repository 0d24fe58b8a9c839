package browsertest

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestAMissingBrowserSkipsUnlessItIsRequired(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "chromium")
	for _, tc := range []struct {
		name     string
		required bool
		skip     bool
		mention  string
	}{
		{"not required", false, true, "skipped"},
		{"required", true, false, RequireEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, skip := missing(absent, tc.required)
			if skip != tc.skip || !strings.Contains(reason, tc.mention) {
				t.Errorf("missing(absent, %v) = %q, %v; want skip=%v and a reason naming %q", tc.required, reason, skip, tc.skip, tc.mention)
			}
		})
	}
}

func TestAPresentBrowserIsNeitherSkippedNorFailed(t *testing.T) {
	present := filepath.Join(t.TempDir())
	if reason, _ := missing(present, true); reason != "" {
		t.Errorf("missing(present) = %q, want none", reason)
	}
}
