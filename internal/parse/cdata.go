package parse

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// Large CDATA sections are lifted out of the document before gofeed sees it
// and put back into the parsed strings afterwards; RSS <pubDate> elements
// are renamed so that gofeed keeps their text without parsing it.
//
// Why: encoding/xml reads text one byte at a time through bufio, and gofeed
// reads every element with `xml:",innerxml"`, which copies each byte once
// more. On RSSHub-style feeds (20 items of 8 KB HTML in CDATA) that was 70%
// of Parse's time. A CDATA section is opaque to XML, so replacing its
// content with a short placeholder changes nothing gofeed decides, and
// finding the sections takes a few bytes.Index calls. Once that was gone,
// gofeed's date parser took a third of the time: it tries some sixty layouts
// before the one RSSHub's "Tue, 17 Aug 2021 06:56:06 GMT" matches, building
// an error for each. Renamed, the element lands in rss.Item.Custom and
// parseDate, which tries the standard layouts first, reads it. No library
// offers either; this is the only hand-written speed-up in the package.
//
// Only CDATA sections of at least defaultLiftMin bytes are lifted, so short CDATA
// (dates, titles, links) reach gofeed untouched; a <pubDate> is renamed only
// when it holds plain text. Nothing inside comments is touched, and the
// trick is skipped when the document already contains a placeholder mark or
// uses xml:base (gofeed resolves URLs and HTML against it, and must see the
// real text). The same scan bounds element nesting (see maxDepth).

const (
	markOpen  = "\uE000" // private-use characters: never in real feeds
	markClose = "\uE001"
	// gofeed passes Atom URI elements (id, icon...) through url.URL.String,
	// which percent-encodes the marks.
	escOpen  = "%EE%80%80"
	escClose = "%EE%80%81"
)

// defaultLiftMin is the size from which CDATA sections are lifted
// (parser.liftMin; tests lift every section, or none, and compare).
const defaultLiftMin = 512

var (
	cdataOpen  = []byte("<![CDATA[")
	cdataClose = []byte("]]>")
	commentOn  = []byte("<!--")
	commentOff = []byte("-->")
	dateOpen   = []byte("<pubDate>")
	dateClose  = []byte("</pubDate>")
)

// liftedDate is the name <pubDate> elements are given; their text ends up
// in rss.Item.Custom under it.
const liftedDate = "feedpost-pubdate"

// lifter holds the texts taken out of a document.
type lifter struct {
	parts []string
	// items counts the item and entry start tags the scan saw, so that an
	// item gofeed's non-strict decoder silently lost (a stray end tag
	// closes the item, the channel and the rest of the feed with it) can be
	// noticed; see parser.parseXML.
	items int
}

// maxDepth bounds element nesting. gofeed reads extension elements
// recursively, keeping a namespace map per level: a 20 MB feed of nested
// <x:a> took 2.7 GB of memory. Real feeds nest a dozen levels.
const maxDepth = 1000

// lift returns data with large CDATA contents replaced by placeholders and,
// when dates is true, <pubDate> renamed to <feedpost-pubdate>; nil when
// nothing changed (or lifting is unsafe), in which case data must be parsed
// as it is. The same scan enforces maxDepth, returning a *SyntaxError.
func (l *lifter) lift(data []byte, dates bool, liftMin int) ([]byte, error) {
	enabled := liftMin >= 0 && !bytes.Contains(data, []byte(markOpen)) && !bytes.Contains(data, []byte(escOpen)) &&
		!bytes.Contains(data, []byte("xml:base"))
	var out []byte
	done := 0 // data[:done] is already in out
	depth := 0
	i := 0
scan:
	for i < len(data) {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			break
		}
		start := i + j
		rest := data[start:]
		switch {
		case bytes.HasPrefix(rest, commentOn):
			// What looks like markup in a comment is comment text.
			end := indexFrom(data, start+len(commentOn), commentOff)
			if end < 0 {
				break scan // unterminated comment: the rest is comment
			}
			i = end + len(commentOff)
		case bytes.HasPrefix(rest, cdataOpen):
			body := start + len(cdataOpen)
			end := indexFrom(data, body, cdataClose)
			if end < 0 {
				break scan // unterminated: the rest is CDATA
			}
			if enabled && end-body >= liftMin {
				out = append(out, data[done:body]...)
				out = append(out, markOpen...)
				out = strconv.AppendInt(out, int64(len(l.parts)), 10)
				out = append(out, markClose...)
				l.parts = append(l.parts, string(data[body:end]))
				done = end
			}
			i = end + len(cdataClose)
		case len(rest) > 1 && rest[1] == '/':
			depth = max(0, depth-1)
			i = start + 2
		case len(rest) > 1 && isNameStart(rest[1]):
			if enabled && dates && bytes.HasPrefix(rest, dateOpen) {
				body := start + len(dateOpen)
				end := indexFrom(data, body, dateClose)
				if end >= 0 && !bytes.ContainsAny(data[body:end], "<&") {
					out = append(out, data[done:start]...)
					out = append(out, "<"+liftedDate+">"...)
					out = append(out, data[body:end]...)
					out = append(out, "</"+liftedDate+">"...)
					i = end + len(dateClose)
					done = i
					continue
				}
			}
			end := tagEnd(data, start+1)
			if end < 0 {
				break scan // unterminated tag: the XML parser will say so
			}
			if data[end-1] != '/' {
				if depth++; depth > maxDepth {
					return nil, &SyntaxError{Format: "XML", Line: lineAt(data, int64(start)),
						Msg: fmt.Sprintf("elements nested more than %d levels deep", maxDepth)}
				}
			}
			if isItemTag(data[start+1 : end]) {
				l.items++
			}
			i = end + 1
		default: // <!DOCTYPE, <?pi, or a stray '<'
			i = start + 1
		}
	}
	if done == 0 {
		return nil, nil
	}
	return append(out, data[done:]...), nil
}

// isItemTag reports whether a start tag's text (name and attributes) is an
// RSS item or an Atom entry, with or without a prefix.
func isItemTag(tag []byte) bool {
	name := tag
	if k := bytes.IndexAny(tag, " \t\r\n/"); k >= 0 {
		name = tag[:k]
	}
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return string(name) == "item" || string(name) == "entry"
}

// tagEnd returns the offset of the '>' closing the tag that data[from:] is
// in, skipping quoted attribute values; -1 when there is none.
func tagEnd(data []byte, from int) int {
	var quote byte
	for i := from; i < len(data); i++ {
		switch c := data[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

// indexFrom is bytes.Index from offset from, as an absolute offset.
func indexFrom(data []byte, from int, sep []byte) int {
	if from > len(data) {
		return -1
	}
	if i := bytes.Index(data[from:], sep); i >= 0 {
		return from + i
	}
	return -1
}

// restore puts lifted CDATA contents back into s.
func (l *lifter) restore(s string) string {
	if len(l.parts) == 0 {
		return s
	}
	if strings.Contains(s, escOpen) {
		s = strings.NewReplacer(escOpen, markOpen, escClose, markClose).Replace(s)
	}
	if !strings.Contains(s, markOpen) {
		return s
	}
	// The common case, a field that is one lifted section and nothing
	// else (a description in CDATA), is that section as is: no copy.
	if inner, ok := strings.CutPrefix(s, markOpen); ok {
		if num, ok := strings.CutSuffix(inner, markClose); ok {
			if n, err := strconv.Atoi(num); err == nil && n >= 0 && n < len(l.parts) {
				return l.parts[n]
			}
		}
	}
	var b strings.Builder
	for {
		i := strings.Index(s, markOpen)
		if i < 0 {
			break
		}
		rest := s[i+len(markOpen):]
		j := strings.Index(rest, markClose)
		n, err := strconv.Atoi(rest[:max(j, 0)])
		if j < 0 || err != nil || n < 0 || n >= len(l.parts) {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(l.parts[n])
		s = rest[j+len(markClose):]
	}
	b.WriteString(s)
	return b.String()
}

func (l *lifter) restoreAll(ss []string) {
	for i := range ss {
		ss[i] = l.restore(ss[i])
	}
}

// parseRSS runs gofeed's RSS parser on data with large CDATA lifted out.
func (p *parser) parseRSS(data []byte) (*rss.Feed, error) {
	var l lifter
	lifted, err := l.lift(data, true, p.liftMin)
	p.itemTags = l.items
	if err != nil {
		return nil, err
	}
	if lifted != nil {
		if f, err := (&rss.Parser{}).Parse(bytes.NewReader(lifted)); err == nil {
			l.restoreRSS(f)
			return f, nil
		}
		// Errors are reported on the document as written (line numbers).
	}
	return (&rss.Parser{}).Parse(bytes.NewReader(data))
}

// parseAtom is parseRSS for Atom.
func (p *parser) parseAtom(data []byte) (*atom.Feed, error) {
	var l lifter
	lifted, err := l.lift(data, false, p.liftMin)
	p.itemTags = l.items
	if err != nil {
		return nil, err
	}
	if lifted != nil {
		if f, err := (&atom.Parser{}).Parse(bytes.NewReader(lifted)); err == nil {
			l.restoreAtom(f)
			return f, nil
		}
	}
	return (&atom.Parser{}).Parse(bytes.NewReader(data))
}

// restoreRSS puts lifted text back into every field the mapping reads.
func (l *lifter) restoreRSS(f *rss.Feed) {
	f.Title, f.Link = l.restore(f.Title), l.restore(f.Link)
	l.restoreDC(f.DublinCoreExt)
	for _, it := range f.Items {
		for _, s := range []*string{&it.Title, &it.Link, &it.Description, &it.Content, &it.Author, &it.PubDate} {
			*s = l.restore(*s)
		}
		if it.GUID != nil {
			it.GUID.Value = l.restore(it.GUID.Value)
		}
		for _, c := range it.Categories {
			c.Value = l.restore(c.Value)
		}
		if it.ITunesExt != nil {
			it.ITunesExt.Author = l.restore(it.ITunesExt.Author)
		}
		l.restoreDC(it.DublinCoreExt)
		l.restoreExt(it.Extensions)
	}
}

// restoreExt puts lifted text back into extension elements (a long
// media:description in CDATA), children included.
func (l *lifter) restoreExt(exts ext.Extensions) {
	for _, byName := range exts {
		for _, list := range byName {
			l.restoreExtList(list)
		}
	}
}

func (l *lifter) restoreExtList(list []ext.Extension) {
	for i := range list {
		list[i].Value = l.restore(list[i].Value)
		for _, children := range list[i].Children {
			l.restoreExtList(children)
		}
	}
}

func (l *lifter) restoreDC(dc *ext.DublinCoreExtension) {
	if dc == nil {
		return
	}
	for _, ss := range [][]string{dc.Title, dc.Creator, dc.Description, dc.Subject, dc.Date} {
		l.restoreAll(ss)
	}
}

func (l *lifter) restoreAtom(f *atom.Feed) {
	f.Title = l.restore(f.Title)
	for _, p := range f.Authors {
		p.Name = l.restore(p.Name)
	}
	for _, e := range f.Entries {
		for _, s := range []*string{&e.Title, &e.ID, &e.Summary, &e.Published, &e.Updated} {
			*s = l.restore(*s)
		}
		if e.Content != nil {
			e.Content.Value = l.restore(e.Content.Value)
		}
		for _, p := range e.Authors {
			p.Name = l.restore(p.Name)
		}
		l.restoreExt(e.Extensions)
	}
}
