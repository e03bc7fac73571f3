package parse

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLift(t *testing.T) {
	big := strings.Repeat("<p>x</p>", 100) // 800 bytes
	tests := []struct {
		name, in, want string // want "" = nothing lifted
		parts          int
	}{
		{"large CDATA", "<a><![CDATA[" + big + "]]></a>", "<a><![CDATA[\uE0000\uE001]]></a>", 1},
		{"small CDATA stays", "<a><![CDATA[short]]></a>", "", 0},
		{"two sections", "<a><![CDATA[" + big + "]]><![CDATA[" + big + "x]]></a>",
			"<a><![CDATA[\uE0000\uE001]]><![CDATA[\uE0001\uE001]]></a>", 2},
		{"inside a comment", "<a><!-- <![CDATA[" + big + "]]> --></a>", "", 0},
		{"comment inside CDATA", "<a><![CDATA[<!-- " + big + "]]></a><![CDATA[" + big + "]]>",
			"<a><![CDATA[\uE0000\uE001]]></a><![CDATA[\uE0001\uE001]]>", 2},
		{"unterminated CDATA", "<a><![CDATA[" + big, "", 0},
		{"unterminated comment", "<a><!-- <![CDATA[" + big + "]]>", "", 0},
		{"pubDate renamed", "<item><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item>",
			"<item><feedpost-pubdate>Tue, 17 Aug 2021 06:56:06 GMT</feedpost-pubdate></item>", 0},
		{"pubDate with markup stays", "<item><pubDate><![CDATA[Tue]]></pubDate></item>", "", 0},
		{"mark already present", "<a>\uE000</a><![CDATA[" + big + "]]>", "", 0},
		{"xml:base present", `<a xml:base="/x"><![CDATA[` + big + "]]></a>", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l lifter
			got, err := l.lift([]byte(tt.in), true, defaultLiftMin)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("lift = %q\n want %q", got, tt.want)
			}
			if len(l.parts) != tt.parts {
				t.Fatalf("%d parts, want %d", len(l.parts), tt.parts)
			}
			if got != nil && tt.parts > 0 {
				// Restoring undoes lifting (pubDate renames aside).
				if back := l.restore(string(got)); back != tt.in {
					t.Errorf("restore = %q\n   want %q", back, tt.in)
				}
			}
		})
	}
}

func TestNestingLimit(t *testing.T) {
	nest := func(n int, open, close string) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	rss := func(inner string) string {
		return `<rss xmlns:x="http://x/"><channel><title>t</title><item>` + inner + `</item></channel></rss>`
	}
	tests := []struct {
		name, doc string
		ok        bool
	}{
		// rss, channel and item are three levels.
		{"at the limit", rss(nest(maxDepth-3, "<x:a>", "</x:a>")), true},
		{"over the limit", rss(nest(maxDepth-2, "<x:a>", "</x:a>")), false},
		{"siblings do not add up", rss(strings.Repeat("<x:a><x:b/></x:a>", 2*maxDepth)), true},
		{"self-closing tags", rss(strings.Repeat(`<x:a k="v" />`, 2*maxDepth)), true},
		{"quoted > and />", rss(strings.Repeat(`<x:a t="a>b" u='/>'></x:a>`, 2*maxDepth)), true},
		{"inside CDATA", rss("<description><![CDATA[" + nest(2*maxDepth, "<div>", "</div>") + "]]></description>"), true},
		{"inside a comment", rss("<!--" + nest(2*maxDepth, "<x:a>", "</x:a>") + "-->"), true},
		{"Atom over the limit", `<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml">` +
			nest(maxDepth, "<div>", "</div>") + `</content></entry></feed>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "", "", Options{})
			if tt.ok && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tt.ok {
				want := fmt.Sprintf("XML syntax error at line 1: elements nested more than %d levels deep", maxDepth)
				if err == nil || err.Error() != want || !errors.Is(err, ErrMalformed) {
					t.Errorf("error = %v, want %q", err, want)
				}
			}
		})
	}
}

func TestRestoreKeepsBrokenMarks(t *testing.T) {
	l := lifter{parts: []string{"A"}}
	for in, want := range map[string]string{
		"x\uE0000\uE001y":       "xAy",
		"x\uE0009\uE001y":       "x\uE0009\uE001y", // no such part
		"x\uE000zz":             "x\uE000zz",       // no closing mark
		"plain":                 "plain",
		"x%EE%80%800%EE%80%81y": "xAy", // percent-encoded by url.URL.String
	} {
		if got := l.restore(in); got != want {
			t.Errorf("restore(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLiftChangesNothing parses every test feed and every corpus file twice,
// lifting every CDATA section and lifting none, and wants the same result:
// lifting is a speed-up only.
func TestLiftChangesNothing(t *testing.T) {
	docs := map[string][]byte{}
	for i, s := range []string{rss20, rdf10, rss091, atom10, atom03, json10, json11,
		`<rss><channel><item><title><![CDATA[a]]> &amp; <![CDATA[b]]></title><pubDate><![CDATA[Tue, 17 Aug 2021 06:56:06 GMT]]></pubDate>
<description>  <![CDATA[ spaced ]]>  </description><guid><![CDATA[g]]></guid><link><![CDATA[http://x/]]></link></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html"><![CDATA[<b>t</b>]]></title><updated><![CDATA[2024-03-03T00:00:00Z]]></updated>
<id><![CDATA[urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a]]></id><content type="html"><![CDATA[<p>c</p>]]></content><author><name><![CDATA[n]]></name></author></entry></feed>`,
	} {
		docs[string(rune('a'+i))] = []byte(s)
	}
	if _, err := os.Stat(corpusDir); err == nil {
		_ = filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".xml") {
				if data, err := os.ReadFile(path); err == nil {
					docs[path] = data
				}
			}
			return nil
		})
	}
	compared := 0
	for name, data := range docs {
		lifted, errLifted := (&parser{liftMin: 0, detect: detectCharset}).parse(data, "", "http://example.com/")
		plain, errPlain := (&parser{liftMin: -1, detect: detectCharset}).parse(data, "", "http://example.com/")
		if (errLifted == nil) != (errPlain == nil) || (errPlain != nil && errLifted.Error() != errPlain.Error()) {
			t.Errorf("%s: error %v with lifting, %v without", name, errLifted, errPlain)
			continue
		}
		if !reflect.DeepEqual(lifted, plain) {
			t.Errorf("%s: lifting changed the result:\n%+v\n%+v", name, lifted, plain)
		}
		compared++
	}
	t.Logf("%d documents compared", compared)
}
