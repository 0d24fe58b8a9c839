package playground

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// emojiRow is a row of mrkdwn.js's EMOJI table: name: ["emoji", "fallback"].
var emojiRow = regexp.MustCompile(`(?m)^\s+"?([a-z0-9_+-]+)"?: \["([^"]+)", "([^"]+)"\],$`)

// shortcode is a Slack emoji shortcode in the bot's source.
var shortcode = regexp.MustCompile(`:[a-z][a-z_]*[a-z]:|:x:`)

func TestThePageMapsEveryEmojiTheBotUsesToATextSymbol(t *testing.T) {
	js, err := fs.ReadFile(webFiles, "web/mrkdwn.js")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]string{}
	for _, m := range emojiRow.FindAllStringSubmatch(string(js), -1) {
		table[m[1]] = m[3]
	}
	if len(table) < 10 {
		t.Fatalf("only %d rows read from mrkdwn.js's EMOJI table: its format changed", len(table))
	}
	for name, fallback := range table {
		r, size := utf8.DecodeRuneInString(fallback)
		// One character of the Basic Multilingual Plane without a variation
		// selector: text fonts have these; emoji-only planes need a colour font.
		if size != len(fallback) || r > 0xFFFF || unicode.Is(unicode.Variation_Selector, r) {
			t.Errorf("%s's fallback %q is not a single text symbol", name, fallback)
		}
	}
	used := map[string][]string{}
	err = filepath.WalkDir("../bot", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, code := range shortcode.FindAllString(string(src), -1) {
			used[strings.Trim(code, ":")] = append(used[strings.Trim(code, ":")], filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 5 {
		t.Fatalf("only %d shortcodes found in the bot: the pattern is stale", len(used))
	}
	for name, files := range used {
		if _, ok := table[name]; !ok {
			t.Errorf(":%s: (used in %s) is not in mrkdwn.js's EMOJI table", name, strings.Join(files, ", "))
		}
	}
}
