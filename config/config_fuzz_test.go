package config

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics and returns either a Config or
// Problems, whatever the file holds.
func FuzzParse(f *testing.F) {
	f.Add(Example)
	f.Add(minimal)
	f.Add("a: &x [*x]\n")
	f.Add("slack: {approvers: &a [U0A], auditors: *a}\npolicy: {approvals: {isolate: 9, offbord: 1}}\n")
	f.Add("- 1\n- [2]\n")
	f.Add("storage: {path: [x]}\nlog: {level: {a: b}}\n? [complex]\n: key\n")
	f.Fuzz(func(t *testing.T, data string) {
		cfg, err := Parse("fuzz.yaml", []byte(data), testEnv(nil))
		if err == nil {
			if cfg == nil || cfg.Storage.Path == "" || len(cfg.Policy.Approvals) != len(Actions()) {
				t.Fatalf("Parse(%q) = %+v without an error", data, cfg)
			}
			return
		}
		var ps Problems
		if cfg != nil || !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("Parse(%q) = %+v, %v; want nil and Problems", data, cfg, err)
		}
	})
}
