package content

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// markup are the characters no label, alt or title may hold (issue 12).
const markup = `<>"'`

func TestLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"趣头条", "趣头条"},
		{"<img src=x onerror=alert(document.domain)>", ""},
		{"<img src=x onerror=alert(1)>Daily News", "Daily News"},
		{"&lt;img src=x onerror=alert(1)&gt;", "＜img src=x onerror=alert(1)＞"},
		{"&amp;lt;script&amp;gt;", "＆lt;script＆gt;"},
		{`Tom's "best" & worst`, "Tom’s “best” & worst"},
		{"'single' (\"in brackets\")", "‘single’ (“in brackets”)"},
		{"AT&amp;T &amp;copy &amp;#60; &amp;#x3c; &amp;amp", "AT&T ＆copy ＆#60; ＆#x3c; ＆amp"},
		{"a & b &c &", "a & b &c &"},
		{"\ufeff标题\u0085第二\u2028第三\u0080", "标题 第二 第三"},
		{"  多余\u3000空格  ", "多余 空格"},
	}
	for _, tt := range tests {
		got := Label(tt.in)
		if got != tt.want {
			t.Errorf("Label(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if Label(got) != got {
			t.Errorf("Label is not idempotent on %q: %q", got, Label(got))
		}
	}
}

func TestCategory(t *testing.T) {
	long := strings.Repeat("很长的频道标题", 60) // 420 characters, 1260 bytes
	tests := []struct{ in, want string }{
		{"新媒体", "新媒体"},
		{"a: b", "a: b"},
		{"..", "．．"},
		{".", "．"},
		{".hidden", "．hidden"},
		{"index.html", "index．html"},
		{"INDEX.xml", "INDEX．xml"},
		{"index", "index"},
		{"a/b\\c", "a／b＼c"},
		{"../../etc", "．.／..／etc"},
		{"!!!", "！！！"},
		{"?", "？"},
		{"C++", "C++"},
		{"<script>alert(1)</script>", ""},
		{"<b>新闻</b> & \"评论\"", "新闻 & “评论”"},
		{long, long[:MaxCategory-len("…")] + "…"},
		{strings.Repeat("a", 200), strings.Repeat("a", MaxCategory-len("…")) + "…"},
	}
	for _, tt := range tests {
		got := Category(tt.in)
		if got != tt.want {
			t.Errorf("Category(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > MaxCategory || !utf8.ValidString(got) {
			t.Errorf("Category(%q) = %q: %d bytes or invalid UTF-8", tt.in, got, len(got))
		}
		if Category(got) != got {
			t.Errorf("Category is not idempotent on %q: %q", got, Category(got))
		}
	}
	if got := CategoryPath([]string{"新媒体", "<img src=x>", "..", ""}); strings.Join(got, "|") != "新媒体|．．" {
		t.Errorf("CategoryPath = %q", got)
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://a.example/x.jpg?w=1&h=2", "https://a.example/x.jpg?w=1&h=2"},
		{"https://a.example/新闻/1", "https://a.example/新闻/1"},
		{`https://a.example/x.jpg?"onerror="alert(1)`, "https://a.example/x.jpg?%22onerror=%22alert(1)"},
		{"https://a.example/<svg onload=alert(1)>", "https://a.example/%3Csvg%20onload=alert(1)%3E"},
		{"https://a.example/a\u0085b\u2028c\ufeffd'`", "https://a.example/a%C2%85b%E2%80%A8c%EF%BB%BFd%27%60"},
	}
	for _, tt := range tests {
		if got := SafeURL(tt.in); got != tt.want {
			t.Errorf("SafeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLabel checks what every label promises: no markup character, no
// control character, valid UTF-8, idempotent; and, for categories, bounded
// and never a path of its own.
func FuzzLabel(f *testing.F) {
	for _, s := range []string{"趣头条", "<img src=x onerror=alert(1)>", `"'&amp;&lt;`, "..", "index.html",
		"a/b", "\u0085\u2028\ufeff", "&amp", "&#x3c;", strings.Repeat("长", 100), "!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !strings.ContainsAny(in, "<&") && Text(in) != tokensText(in) {
			t.Fatalf("Text's fast path gives %q for %q, the tokenizer %q", Text(in), in, tokensText(in))
		}
		l := Label(in)
		c := Category(in)
		for _, s := range []string{l, c} {
			if strings.ContainsAny(s, markup) {
				t.Fatalf("label %q of %q holds a markup character", s, in)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("label %q of %q is not valid UTF-8", s, in)
			}
			for _, r := range s {
				if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\ufeff' || r == '\u2028' || r == '\u2029' {
					t.Fatalf("label %q of %q holds %U", s, in, r)
				}
			}
			// What a theme that escapes shows equals what one that does not
			// shows: no character reference survives in the text.
			if html.UnescapeString(s) != s {
				t.Fatalf("label %q of %q holds a character reference", s, in)
			}
		}
		if Label(l) != l || Category(c) != c {
			t.Fatalf("not idempotent: %q → %q, %q", in, l, c)
		}
		if len(c) > MaxCategory || c == "." || c == ".." || strings.ContainsAny(c, `/\`) ||
			strings.HasPrefix(c, ".") || strings.HasPrefix(strings.ToLower(c), "index.") {
			t.Fatalf("category %q of %q is not path-safe", c, in)
		}
	})
}
