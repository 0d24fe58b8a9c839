package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestAValueNeverPrintsWhatItHolds(t *testing.T) {
	// A Slack token, and an investigation package's download URL (a bearer
	// credential in its query string).
	for _, held := range []string{
		"xoxb-1-sup3rs3cret-token",
		"https://userrequests-us.securitycenter.windows.com/safedownload/WDATP_Investigation_Package.zip?token=sup3rs3cret",
	} {
		t.Run(held[:4], func(t *testing.T) { neverPrints(t, held) })
	}
}

func neverPrints(t *testing.T, held string) {
	s := New(held)
	exported := struct{ Token Value }{s}
	unexported := struct{ token Value }{s}
	pointer := &exported

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%o", "%b", "%e", "%t", "%10.3v", "%-20s", "%p", "%U"} {
		outputs["Sprintf "+verb] = fmt.Sprintf(verb, s)
		outputs["Sprintf "+verb+" of a struct field"] = fmt.Sprintf(verb, exported)
		outputs["Sprintf "+verb+" of a pointer to a struct"] = fmt.Sprintf(verb, pointer)
		outputs["Sprintf "+verb+" of an unexported field"] = fmt.Sprintf(verb, unexported)
	}
	outputs["Sprint"] = fmt.Sprint(s)
	outputs["Sprintln"] = fmt.Sprintln(s, exported)
	outputs["String"] = s.String()
	outputs["GoString"] = s.GoString()
	outputs["error"] = fmt.Errorf("failed with %v", s).Error()
	outputs["wrapped error"] = fmt.Errorf("failed: %w", errors.New(fmt.Sprint(s))).Error()

	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("secrets", "value", s, "struct", exported, "pointer", pointer,
			"unexported", unexported, "any", any(s), slog.Any("attr", s), slog.Group("g", "value", s))
		outputs["slog "+name+" handler"] = b.String()
	}

	for name, v := range map[string]any{"value": s, "struct": exported, "pointer": pointer,
		"slice": []Value{s}, "map": map[string]Value{"k": s}, "map key": map[Value]int{s: 1}} {
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%s): %v", name, err)
		}
		outputs["json "+name] = string(js)
	}
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	outputs["MarshalText"] = string(text)

	for how, out := range outputs {
		if strings.Contains(out, "sup3rs3cret") || strings.Contains(out, "xoxb") || strings.Contains(out, "userrequests") {
			t.Errorf("%s printed the secret: %s", how, out)
		}
	}
	// Where fmt can call the methods, it shows where the value was cut out.
	for _, how := range []string{"Sprintf %v", "Sprintf %+v of a struct field", "Sprintf %#v of a struct field",
		"Sprintf %d", "Sprintf %x", "slog text handler", "slog json handler", "json struct", "MarshalText"} {
		if !strings.Contains(outputs[how], Redacted) {
			t.Errorf("%s = %q, want %s in it", how, outputs[how], Redacted)
		}
	}
	if s.Reveal() != held {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), held)
	}
}

func TestTheZeroValueIsEmpty(t *testing.T) {
	for name, s := range map[string]Value{"zero": {}, "New(\"\")": New("")} {
		if !s.IsZero() || s.Reveal() != "" {
			t.Errorf("%s: IsZero() = %v, Reveal() = %q; want true, \"\"", name, s.IsZero(), s.Reveal())
		}
		if got := fmt.Sprint(s); got != Redacted {
			t.Errorf("%s prints as %q, want %q", name, got, Redacted)
		}
	}
	if New("x").IsZero() {
		t.Error("New(\"x\").IsZero() = true")
	}
}
