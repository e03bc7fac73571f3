package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Every value must read back as exactly itself (docs/post-format.md).
func TestQuoteAndScalarRoundTrip(t *testing.T) {
	values := []string{
		"普通标题", "it's", "a: b", "# not a comment", "@user", "[link]", "*star", "!tag", "%pct",
		"|pipe", ">gt", "`tick", "'quoted'", `"dq"`, "line\nbreak", "tab\there", "yes", "No", "null", "~",
		"123", "1.5", "2021-08-17", "0x1F", "-dash", "- item", "?q", "{brace}", "{{ x }}", "&amp;", "新媒体",
		"趣头条", "a#b", "end:", " lead", "trail ", "\u2028sep", "emoji 🎉", "C++", "v1.2", "ON", "= eq",
	}
	for _, v := range values {
		for name, enc := range map[string]func(string) string{"Quote": Quote, "Scalar": Scalar} {
			doc := "k: " + enc(v) + "\nl:\n - " + enc(v) + "\n"
			var got struct {
				K any   `yaml:"k"`
				L []any `yaml:"l"`
			}
			if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
				t.Errorf("%s(%q): %v\n%s", name, v, err, doc)
				continue
			}
			if got.K != v || len(got.L) != 1 || got.L[0] != v {
				t.Errorf("%s(%q) reads back as %#v / %#v", name, v, got.K, got.L)
			}
		}
	}
	if Scalar("趣头条") != "趣头条" || Scalar("新媒体") != "新媒体" {
		t.Errorf("plain CJK should stay unquoted as in the sample")
	}
}

func TestHTMLBlock(t *testing.T) {
	cases := []struct {
		name, in, want string
		escape         bool
	}{
		{"wrap", "<p>a</p>", "<div>\n<p>a</p>\n</div>\n", false},
		{"blank lines removed", "<p>a</p>\n\n\n<p>b</p>", "<div>\n<p>a</p>\n<p>b</p>\n</div>\n", false},
		{"indent removed", "<p>a</p>\n    <p>b</p>", "<div>\n<p>a</p>\n<p>b</p>\n</div>\n", false},
		{"pre keeps breaks", "<pre>x\n\n  y</pre>", "<div>\n<pre>x&#10;&#10;  y</pre>\n</div>\n", false},
		{"braces", "<p>{{ a }} {% b %} {#c#}</p>", "<div>\n<p>&#123;&#123; a &#125;&#125; &#123;% b %&#125; &#123;#c#&#125;</p>\n</div>\n", true},
		{"braces kept", "<p>{x}</p>", "<div>\n<p>{x}</p>\n</div>\n", false},
		{"fences broken", "<p>a\n```js\nx\n```\n~~~</p>", "<div>\n<p>a\n&#96;``js\nx\n&#96;``\n&#126;~~</p>\n</div>\n", false},
		{"short runs kept", "<p>`a` ~b~ ``c``</p>", "<div>\n<p>`a` ~b~ ``c``</p>\n</div>\n", false},
		{"preface not pre", "<prefix>\n\n</prefix>", "<div>\n<prefix>\n</prefix>\n</div>\n", false},
	}
	for _, c := range cases {
		if got := HTMLBlock(c.in, c.escape); got != c.want {
			t.Errorf("%s: HTMLBlock(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "a.md")
	if ok, err := WriteFile(p, []byte("one")); !ok || err != nil {
		t.Fatalf("first write: %v %v", ok, err)
	}
	st1, _ := os.Stat(p)
	time.Sleep(10 * time.Millisecond)
	if ok, err := WriteFile(p, []byte("one")); ok || err != nil {
		t.Fatalf("identical write must be skipped: %v %v", ok, err)
	}
	st2, _ := os.Stat(p)
	if !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("mtime changed on identical write")
	}
	if ok, err := WriteFile(p, []byte("two")); !ok || err != nil {
		t.Fatalf("changed write: %v %v", ok, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("content %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}
