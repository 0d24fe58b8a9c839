package blocks

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestEscapeText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain text is unchanged", "isolate laptop-42", "isolate laptop-42"},
		{"a channel mention cannot be injected", "<!channel> look", "&lt;!channel&gt; look"},
		{"a user mention cannot be injected", "<@U012ABC>", "&lt;@U012ABC&gt;"},
		{"a link cannot be injected", "<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"an ampersand is escaped first so entities are not doubled wrongly", "a & b", "a &amp; b"},
		{"an existing entity is escaped again", "&lt;", "&amp;lt;"},
		{"multibyte text is unchanged", "résumé ✓", "résumé ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, EscapeText(tt.in)); diff != "" {
				t.Errorf("EscapeText(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTruncateText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"text within the limit is unchanged", "abc", 3, "abc"},
		{"text over the limit ends with an ellipsis", "abcdef", 4, "abc…"},
		{"a limit of one leaves only the ellipsis", "abcdef", 1, "…"},
		{"a limit below one gives empty text", "abc", 0, ""},
		{"multibyte runes are counted as one and never split", "ééééé", 3, "éé…"},
		{"an emoji outside the BMP counts two and is never split", "😀😀😀", 4, "😀…"},
		{"an emoji that fits exactly is kept", "😀😀", 4, "😀😀"},
		{"an entity cut in the middle is dropped whole", "ab&amp;cd", 5, "ab…"},
		{"an entity that fits is kept", "ab&amp;cdefgh", 9, "ab&amp;c…"},
		{"a cut just before an entity keeps the text before it", "ab&lt;cd", 3, "ab…"},
		{"a bare ampersand that is not an entity is kept", "ab& cdefg", 5, "ab& …"},
		{"a greater-than entity cut in the middle is dropped", "x&gt;yyyy", 4, "x…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TruncateText(tt.in, tt.max)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TruncateText(%q, %d) mismatch (-want +got):\n%s", tt.in, tt.max, diff)
			}
			if tt.max > 0 && textLen(got) > tt.max {
				t.Errorf("TruncateText(%q, %d) = %q is %d long", tt.in, tt.max, got, textLen(got))
			}
		})
	}
}

func TestEscapeTruncateNeverLeavesAPartialEntityOrRune(t *testing.T) {
	in := strings.Repeat("<é&😀>", 50)
	for max := 1; max <= 120; max++ {
		got := EscapeTruncate(in, max)
		if n := textLen(got); n > max {
			t.Fatalf("max %d: got length %d", max, n)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("max %d: invalid UTF-8 %q", max, got)
		}
		body := strings.TrimSuffix(got, ellipsis)
		for i := strings.IndexByte(body, '&'); i >= 0; {
			if !isEntityPrefix(body[i:]) {
				t.Fatalf("max %d: partial entity at %d in %q", max, i, got)
			}
			next := strings.IndexByte(body[i+1:], '&')
			if next < 0 {
				break
			}
			i += 1 + next
		}
		if strings.ContainsAny(body, "<>") {
			t.Fatalf("max %d: unescaped bracket in %q", max, got)
		}
	}
}

func Example_escapeText() {
	fmt.Println(EscapeText("<!channel> isolate <@U0ADMIN> & go"))
	// Output: &lt;!channel&gt; isolate &lt;@U0ADMIN&gt; &amp; go
}

func Example_truncateText() {
	fmt.Println(TruncateText("Suspicious “invoice.pdf.exe”", 12))
	fmt.Println(EscapeTruncate("a<b", 4))
	// Output:
	// Suspicious …
	// a…
}
