package parse

import (
	"slices"
	"testing"
)

func TestAtomTitleTypes(t *testing.T) {
	doc := `<?xml version="1.0"?>
<!-- <entry><title type="html">in a comment</title></entry> -->
<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title type="html">&lt;b&gt;Feed&lt;/b&gt;</a:title>
<a:entry><a:title>default is text</a:title><a:source><a:title type="html">source title</a:title></a:source></a:entry>
<a:entry><a:title type='xhtml'><div xmlns="http://www.w3.org/1999/xhtml">x</div></a:title></a:entry>
<a:entry><a:content type="html"><![CDATA[<title type="html">in CDATA</title>]]></a:content><a:title type="text/plain" mode="escaped">Atom 0.3 text</a:title></a:entry>
<a:entry><a:title type="text/html" mode="escaped">Atom 0.3 HTML</a:title></a:entry>
<a:entry/>
</a:feed>`
	l := lifter{titles: &titleTypes{}}
	if _, err := l.lift([]byte(doc), false, -1); err != nil {
		t.Fatal(err)
	}
	if !l.titles.feedHTML {
		t.Errorf("feed title type=html read as text")
	}
	if want := []bool{false, true, false, true, false}; !slices.Equal(l.titles.entries, want) {
		t.Errorf("entries (HTML?) %v, want %v", l.titles.entries, want)
	}
}

// TestPlainTextTitles: JSON Feed titles and Atom text titles come out as
// HTML whose text is the title (issue 12, item 10).
func TestPlainTextTitles(t *testing.T) {
	atom := `<feed xmlns="http://www.w3.org/2005/Atom"><title>A &amp;amp; B</title>
<entry><id>1</id><title>x &lt;tag&gt; &amp;amp;</title></entry>
<entry><id>2</id><title type="html">&lt;b&gt;y&lt;/b&gt; &amp;amp;</title></entry></feed>`
	f, err := Parse([]byte(atom), "", "https://example.com/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "A &amp;amp; B" || f.Items[0].Title != "x &lt;tag&gt; &amp;amp;" || f.Items[1].Title != "<b>y</b> &amp;" {
		t.Errorf("Atom titles %q, %q, %q", f.Title, f.Items[0].Title, f.Items[1].Title)
	}
	json := `{"version":"https://jsonfeed.org/version/1.1","title":"J <&>","items":[{"id":"1","title":"a <b> &amp;"}]}`
	f, err = Parse([]byte(json), "", "https://example.com/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "J &lt;&amp;&gt;" || f.Items[0].Title != "a &lt;b&gt; &amp;amp;" {
		t.Errorf("JSON titles %q, %q", f.Title, f.Items[0].Title)
	}
}
