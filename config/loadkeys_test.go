package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKeysChecksOnlyTheKeysACommandUses(t *testing.T) {
	for name, tc := range map[string]struct {
		file string
		keys []string
		want string // "" for no problem; else a substring of the error
	}{
		"only storage.path is enough": {
			file: "storage:\n  path: /data/mdebot.db\n", keys: []string{"storage.path"},
		},
		"other keys' problems are not this command's": {
			file: "storage:\n  path: /data/mdebot.db\nslack:\n  approvers: [nope]\nlog: {levle: debug}\n",
			keys: []string{"storage.path"},
		},
		"a missing storage.path is": {
			file: "slack:\n  approvers: [U0LEAD0001]\n", keys: []string{"storage.path"},
			want: "storage.path is required",
		},
		"a typo within the section is": {
			file: "storage:\n  pth: /data/mdebot.db\n", keys: []string{"storage.path"},
			want: `unknown key "storage.pth" (did you mean "storage.path"?)`,
		},
		"a section that is not a mapping is": {
			file: "storage: /data/mdebot.db\n", keys: []string{"storage.path"},
			want: "storage must be a mapping",
		},
		"bad YAML is": {
			file: "storage:\n  path: [\n", keys: []string{"storage.path"},
			want: "invalid YAML",
		},
		"a second key used is checked too": {
			file: "storage:\n  path: /data/mdebot.db\nadmin:\n  listen: nowhere\n", keys: []string{"storage.path", "admin.listen"},
			want: "admin.listen",
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mdebot.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadKeys(path, tc.keys...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("LoadKeys: %v", err)
			case tc.want == "" && cfg.Storage.Path != "/data/mdebot.db":
				t.Fatalf("storage.path = %q", cfg.Storage.Path)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("LoadKeys error = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
