package parse

import (
	"bytes"
	"strings"
)

// Titles reach feedpost as HTML (Item.Title, Feed.Title), but JSON Feed
// titles and Atom titles of type "text" (Atom's default) are plain text: read
// as HTML, a literal `<tag>` in them vanished and `&amp;` was decoded twice.
// gofeed returns both kinds as one string and drops Atom's type attribute,
// so the plain ones are escaped here (& < >: all a text node needs), which
// makes every title HTML whose text is exactly what the feed meant.

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// jsonTitlesToHTML escapes the titles of a JSON Feed (plain text by the
// spec).
func jsonTitlesToHTML(f *Feed) {
	f.Title = textEscaper.Replace(f.Title)
	for i := range f.Items {
		f.Items[i].Title = textEscaper.Replace(f.Items[i].Title)
	}
}

// atomTitlesToHTML escapes the feed title and the entry titles of an Atom
// document that are plain text, as data (the document gofeed parsed) says.
// When data's entries cannot be matched to f's one to one, the titles are
// left as they are (read as HTML, as before).
func atomTitlesToHTML(f *Feed, data []byte) {
	feedText, entries := atomTitleTypes(data)
	if feedText {
		f.Title = textEscaper.Replace(f.Title)
	}
	if len(entries) != len(f.Items) {
		return
	}
	for i, text := range entries {
		if text {
			f.Items[i].Title = textEscaper.Replace(f.Items[i].Title)
		}
	}
}

// atomTitleTypes reports whether the <title> of the feed, and that of each
// <entry> in document order, is plain text. It is a scan of the tags (no
// second XML parse): CDATA and comments are skipped, and only a title that is
// a direct child of <feed> or of an <entry> that is a direct child of <feed>
// counts (an entry's <source> has a title of its own).
func atomTitleTypes(data []byte) (feedText bool, entries []bool) {
	const (
		other = iota
		feedEl
		entryEl
	)
	feedText = true
	var stack []uint8 // open elements: feedEl, entryEl or other
	top := func() uint8 {
		if len(stack) == 0 {
			return other
		}
		return stack[len(stack)-1]
	}
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			break
		}
		start := i + j
		rest := data[start:]
		switch {
		case bytes.HasPrefix(rest, commentOn):
			end := indexFrom(data, start+len(commentOn), commentOff)
			if end < 0 {
				return feedText, entries
			}
			i = end + len(commentOff)
		case bytes.HasPrefix(rest, cdataOpen):
			end := indexFrom(data, start+len(cdataOpen), cdataClose)
			if end < 0 {
				return feedText, entries
			}
			i = end + len(cdataClose)
		case len(rest) > 1 && rest[1] == '/':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i = start + 2
		case len(rest) > 1 && isNameStart(rest[1]):
			end := tagEnd(data, start+1)
			if end < 0 {
				return feedText, entries
			}
			tag := data[start+1 : end]
			name := tag
			if k := bytes.IndexAny(tag, " \t\r\n/"); k >= 0 {
				name = tag[:k]
			}
			if k := bytes.LastIndexByte(name, ':'); k >= 0 {
				name = name[k+1:]
			}
			el := uint8(other)
			switch string(name) {
			case "feed":
				if len(stack) == 0 {
					el = feedEl
				}
			case "entry":
				if top() == feedEl && len(stack) == 1 {
					el = entryEl
					entries = append(entries, true)
				}
			case "title":
				switch top() {
				case feedEl:
					feedText = isTextType(tag)
				case entryEl:
					entries[len(entries)-1] = isTextType(tag)
				}
			}
			if tag[len(tag)-1] != '/' {
				stack = append(stack, el)
			}
			i = end + 1
		default: // <?pi, <!DOCTYPE or a stray '<'
			i = start + 1
		}
	}
	return feedText, entries
}

// isTextType reads the type (and Atom 0.3 mode) attribute of a title's start
// tag: text unless it names HTML or XHTML (RFC 4287 §3.1.1; Atom 0.3's
// default is text/plain).
func isTextType(tag []byte) bool {
	t := strings.ToLower(strings.TrimSpace(attrValue(tag, "type")))
	return !strings.Contains(t, "html")
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
