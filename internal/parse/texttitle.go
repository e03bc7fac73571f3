package parse

import (
	"bytes"
	"strings"
)

// Titles reach feedpost as HTML (Item.Title, Feed.Title), but JSON Feed
// titles and Atom titles of type "text" (Atom's default) are plain text: read
// as HTML, a literal `<tag>` in them vanished and `&amp;` was decoded twice.
// gofeed returns both kinds as one string and drops Atom's type attribute,
// so the scan that lifts CDATA (cdata.go) notes each title's type, and the
// plain ones are escaped here (& < >: all a text node needs), which makes
// every title HTML whose text is exactly what the feed meant.

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// jsonTitlesToHTML escapes the titles of a JSON Feed (plain text by the
// spec).
func jsonTitlesToHTML(f *Feed) {
	f.Title = textEscaper.Replace(f.Title)
	for i := range f.Items {
		f.Items[i].Title = textEscaper.Replace(f.Items[i].Title)
	}
}

// titleTypes records, during the scan of an Atom document, whether the
// feed's <title> and that of each <entry> (in document order) is HTML. Only
// a title that is a direct child of the root <feed>, or of an <entry> that is
// a direct child of it, counts: an entry's <source> has a title of its own.
type titleTypes struct {
	stack    []uint8 // open elements: feedEl, entryEl or otherEl
	feedHTML bool
	entries  []bool // true: HTML
}

const (
	otherEl uint8 = iota
	feedEl
	entryEl
)

// open notes a start tag: its local name and its text (name and
// attributes, a trailing '/' when self-closing).
func (tt *titleTypes) open(name, tag []byte) {
	parent := otherEl
	if len(tt.stack) > 0 {
		parent = tt.stack[len(tt.stack)-1]
	}
	el := otherEl
	switch string(name) {
	case "feed":
		if len(tt.stack) == 0 {
			el = feedEl
		}
	case "entry":
		if parent == feedEl {
			el = entryEl
			tt.entries = append(tt.entries, false)
		}
	case "title":
		switch parent {
		case feedEl:
			tt.feedHTML = isHTMLType(tag)
		case entryEl:
			tt.entries[len(tt.entries)-1] = isHTMLType(tag)
		}
	}
	if tag[len(tag)-1] != '/' {
		tt.stack = append(tt.stack, el)
	}
}

// close notes an end tag.
func (tt *titleTypes) close() {
	if len(tt.stack) > 0 {
		tt.stack = tt.stack[:len(tt.stack)-1]
	}
}

// atomTitlesToHTML escapes the feed title and the entry titles that tt says
// are plain text. When tt's entries cannot be matched to f's items one to
// one, the entry titles are left as they are (read as HTML, as before).
func atomTitlesToHTML(f *Feed, tt *titleTypes) {
	if tt == nil {
		return
	}
	if !tt.feedHTML {
		f.Title = textEscaper.Replace(f.Title)
	}
	if len(tt.entries) != len(f.Items) {
		return
	}
	for i, html := range tt.entries {
		if !html {
			f.Items[i].Title = textEscaper.Replace(f.Items[i].Title)
		}
	}
}

// isHTMLType reads the type attribute of a title's start tag: HTML when it
// names HTML or XHTML, text otherwise (RFC 4287 §3.1.1: "text" is the
// default; Atom 0.3's is text/plain, its HTML is type="text/html").
func isHTMLType(tag []byte) bool {
	return strings.Contains(strings.ToLower(attrValue(tag, "type")), "html")
}

// attrValue returns the value of attribute name in the raw start tag tag
// (without its angle brackets); "" when absent.
func attrValue(tag []byte, name string) string {
	for i := 0; i < len(tag); {
		k := bytes.Index(tag[i:], []byte(name))
		if k < 0 {
			return ""
		}
		p := i + k
		q := p + len(name)
		i = q
		if p == 0 || !isXMLSpace(tag[p-1]) {
			continue
		}
		for q < len(tag) && isXMLSpace(tag[q]) {
			q++
		}
		if q >= len(tag) || tag[q] != '=' {
			continue
		}
		q++
		for q < len(tag) && isXMLSpace(tag[q]) {
			q++
		}
		if q >= len(tag) || (tag[q] != '"' && tag[q] != '\'') {
			return ""
		}
		end := bytes.IndexByte(tag[q+1:], tag[q])
		if end < 0 {
			return ""
		}
		return string(tag[q+1 : q+1+end])
	}
	return ""
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
