package parse

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// rssItems is an RSS 2.0 feed of n items, one per line from line 3.
func rssItems(n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Site</title><link>https://s.example/</link>\n")
	for i := range n {
		b.WriteString(item(i) + "\n")
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

func plainItem(i int) string {
	return fmt.Sprintf("<item><title>Post %d</title><link>https://s.example/%d</link><description><![CDATA[<p>Body %d</p>]]></description></item>", i, i, i)
}

// TestRecover: damage of issue 12 costs only what it touches; the feed is
// read with a note, and fails only when no item is left.
func TestRecover(t *testing.T) {
	tests := []struct {
		name, data string
		titles     []string // wanted item titles, in order
		note       string   // wanted note (the one note)
	}{
		{"bare < in a title",
			rssItems(3, func(i int) string {
				if i == 1 {
					return "<item><title>1 < 2 and a <= b</title><link>https://s.example/1</link></item>"
				}
				return plainItem(i)
			}),
			[]string{"Post 0", "1 < 2 and a <= b", "Post 2"},
			"malformed XML (line 4: expected element name after <) recovered: 2 stray '<' or bad character references escaped; 3 items kept"},
		{"bare < before a letter, never closed",
			rssItems(2, func(i int) string {
				if i == 0 {
					return "<item><title>if a<b then</title></item>"
				}
				return plainItem(i)
			}),
			[]string{"if a<b then", "Post 1"},
			"malformed XML (line 3: expected attribute name in element) recovered: 1 stray '<' or bad character reference escaped; 2 items kept"},
		{"bare & in a title is no damage",
			rssItems(2, func(i int) string {
				if i == 0 {
					return "<item><title>AT&T & Co &nosuch; a&b=c</title></item>"
				}
				return plainItem(i)
			}),
			[]string{"AT&T & Co &nosuch; a&b=c", "Post 1"}, ""},
		{"< inside an attribute value",
			rssItems(2, func(i int) string {
				if i == 0 {
					return `<item><title>t</title><enclosure url="https://s.example/a.jpg?x=<1>" type="image/jpeg"/></item>`
				}
				return plainItem(i)
			}),
			[]string{"t", "Post 1"},
			"malformed XML (line 3: unescaped < inside quoted string) recovered: 1 stray '<' or bad character reference escaped; 2 items kept"},
		{"illegal character reference",
			rssItems(2, func(i int) string {
				if i == 1 {
					return "<item><title>bell&#7; here</title></item>"
				}
				return plainItem(i)
			}),
			[]string{"Post 0", "bell here"},
			"malformed XML (line 4: illegal character code U+0007) recovered: 1 stray '<' or bad character reference escaped; 2 items kept"},
		{"truncated inside an item",
			strings.Repeat("x", 0) + rssItems(4, plainItem)[:strings.Index(rssItems(4, plainItem), "<item><title>Post 3")+30],
			[]string{"Post 0", "Post 1", "Post 2"},
			"malformed XML (line 6: unexpected EOF) recovered: the document ends early, 1 broken or incomplete item dropped; 3 items kept"},
		{"truncated inside a tag",
			rssItems(3, plainItem)[:strings.Index(rssItems(3, plainItem), "<item><title>Post 2")+3],
			[]string{"Post 0", "Post 1"},
			"malformed XML (line 5: unexpected EOF) recovered: the document ends early; 2 items kept"},
		{"truncated inside CDATA",
			rssItems(3, plainItem)[:strings.Index(rssItems(3, plainItem), "<p>Body 2")],
			[]string{"Post 0", "Post 1"},
			"malformed XML (line 5: unexpected EOF in CDATA section) recovered: the document ends early, 1 broken or incomplete item dropped; 2 items kept"},
		{"truncated between items",
			rssItems(2, plainItem)[:strings.Index(rssItems(2, plainItem), "</channel>")],
			[]string{"Post 0", "Post 1"},
			"malformed XML (line 5: unexpected EOF) recovered: the document ends early; 2 items kept"},
		{"a broken item in the middle",
			rssItems(3, func(i int) string {
				if i == 1 {
					return `<item><title>broken</title><guid 1="x">g</guid></item>`
				}
				return plainItem(i)
			}),
			[]string{"Post 0", "Post 2"},
			"malformed XML (line 4: invalid XML name: 1) recovered: 1 broken or incomplete item dropped; 2 items kept"},
		{"an item that never closes",
			rssItems(3, func(i int) string {
				if i == 1 {
					return `<item><title>open</title><guid 1="x">g</guid>`
				}
				return plainItem(i)
			}),
			[]string{"Post 0", "Post 2"},
			"malformed XML (line 4: invalid XML name: 1) recovered: 1 broken or incomplete item dropped; 2 items kept"},
		{"HTML left open in a description: the decoder closes it itself",
			rssItems(2, func(i int) string {
				if i == 0 {
					return "<item><title>t</title><description>a <b>bold <br> <img src=x></description></item>"
				}
				return plainItem(i)
			}),
			[]string{"t", "Post 1"}, ""},
		{"HTML left open in a description, then a stray end tag",
			rssItems(3, func(i int) string {
				if i == 0 {
					return "<item><title>t</title><description>a <b>bold</p></description></item>"
				}
				return plainItem(i)
			}),
			[]string{"t", "Post 1", "Post 2"},
			"malformed XML (only 1 of 3 items readable) recovered: 1 unclosed element closed, 1 stray end tag dropped; 3 items kept"},
		{"a stray end tag",
			rssItems(2, func(i int) string {
				if i == 0 {
					return "<item><title>t</title></p></item>"
				}
				return plainItem(i)
			}),
			[]string{"t", "Post 1"},
			"malformed XML (only 1 of 2 items readable) recovered: 1 stray end tag dropped; 2 items kept"},
		{"Atom truncated",
			"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title>\n<entry><title>one</title><id>1</id></entry>\n<entry><title>two</title><id>2</id></entry>\n<entry><title>thr",
			[]string{"one", "two"},
			"malformed XML (line 4: unexpected EOF) recovered: the document ends early, 1 broken or incomplete item dropped; 2 items kept"},
		{"Atom: bare < in a title",
			"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title>\n<entry><title>x < y</title><id>1</id></entry>\n</feed>",
			[]string{"x < y"},
			"malformed XML (line 2: expected element name after <) recovered: 1 stray '<' or bad character reference escaped; 1 item kept"},
		{"RSS 1.0 truncated",
			"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\n<channel rdf:about=\"x\"><title>R</title></channel>\n<item rdf:about=\"a\"><title>a</title></item>\n<item rdf:about=\"b\"><ti",
			[]string{"a"},
			"malformed XML (line 4: unexpected EOF) recovered: the document ends early, 1 broken or incomplete item dropped; 1 item kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.data), "", "https://s.example/feed", Options{})
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, it := range f.Items {
				titles = append(titles, it.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("titles %q, want %q", titles, tt.titles)
			}
			var want []string
			if tt.note != "" {
				want = []string{tt.note}
			}
			if strings.Join(f.Notes, "\n") != strings.Join(want, "\n") {
				t.Errorf("notes %q\n want %q", f.Notes, want)
			}
		})
	}
}

// TestRecoverNothingLeft: with no complete item left, the first error stands.
func TestRecoverNothingLeft(t *testing.T) {
	for _, data := range []string{
		"<rss version=\"2.0\"><channel><title>a < b</title></channel></rss>", // nothing to lose, nothing kept
		"<rss version=\"2.0\"><channel><title>t</title>\n<item><title>cut",
		"<rss version=\"2.0\"><channel><title>t</title>\n<item><guid 1=\"x\">g</guid></item></channel></rss>",
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>x</title>",
	} {
		_, err := Parse([]byte(data), "", "", Options{})
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: error %v, want a *SyntaxError", data, err)
		}
	}
}

// TestSalvageWellFormed: whatever salvage returns tokenises to the end
// without error, as gofeed's decoder reads it.
func TestSalvageWellFormed(t *testing.T) {
	for _, data := range []string{
		"<a><b>x</a>",
		"<a>1 < 2 <3 </a>",
		"<a><b c=\"<\">x</b></a",
		"<a></b><c/></a>trailing",
		"<a><item><x 1=\"y\"/></item><item>ok</item></a>",
		"<a><item><x 1=\"y\"/><item>ok</item></a>",
		"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x; ]]> &#0; <!-- < --></a>",
	} {
		if out, _ := salvage([]byte(data)); out != nil {
			if err := readsToEnd(out); err != nil {
				t.Errorf("%q → %q: %v", data, out, err)
			}
		}
	}
}

// readsToEnd tokenises doc as gofeed's decoder does, elements matched; nil
// when it reaches the end without error.
func readsToEnd(doc []byte) error {
	d := newRawDecoder(doc)
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
