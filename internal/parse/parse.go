package parse

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	xpp "github.com/mmcdole/goxpp/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// Errors callers can classify with errors.Is. Every error Parse returns wraps
// exactly one of them.
var (
	// ErrEmpty: the body is empty or only white space.
	ErrEmpty = errors.New("empty response")
	// ErrNotFeed: the body is something else (an HTML page, plain JSON, an
	// XML document of another kind...).
	ErrNotFeed = errors.New("not a feed")
	// ErrMalformed: the body is a feed but cannot be read (syntax error,
	// a crash of the third-party parser). *SyntaxError unwraps to it.
	ErrMalformed = errors.New("malformed feed")
)

// errCrash marks a panic recovered from the third-party parser, so tests can
// tell it from an ordinary rejection.
var errCrash = errors.New("the feed parser crashed")

// SyntaxError is an XML or JSON syntax error with the 1-based line (and, for
// JSON, column) where the parser gave up, in the document as decoded to
// UTF-8 (line numbers do not change with the charset).
type SyntaxError struct {
	Format string // "XML" or "JSON"
	Line   int
	Column int // in characters; 0 when unknown (encoding/xml gives lines only)
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s syntax error at line %d, column %d: %s", e.Format, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s syntax error at line %d: %s", e.Format, e.Line, e.Msg)
}

// Unwrap lets errors.Is(err, ErrMalformed) match.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }

// detectPeek bounds how much of the body feed type detection reads: the
// root element of any real feed starts within a few KB, and
// gofeed.DetectFeedType copies whatever it is given.
const detectPeek = 4096

// Options is what Parse needs to know about the source.
type Options struct {
	// Location reads dates that carry no zone ("2021-08-17 14:56:06"): the
	// source's `timezone:`, else site.timezone. nil means UTC. A Chinese
	// zone also makes "CST" China Standard Time (as a Chinese feed
	// language does), not US Central.
	Location *time.Location
	// LocalBase is the file: URL of a feed the operator configured as a
	// local file; "" for any other. Only then do relative and file: image
	// URLs (media:thumbnail, enclosures, JSON Feed images) resolve against
	// it and stay as file: URLs (see content.Options.LocalBase); in a feed
	// fetched over HTTP they never name a local file.
	LocalBase string
}

// parser holds one Parse call's settings and the notes it collects.
type parser struct {
	opts Options
	// liftMin: CDATA sections of at least this many bytes are lifted out
	// before gofeed parses the document (see cdata.go); -1 lifts none.
	// Tests compare both.
	liftMin int
	// detect picks the charset of undeclared legacy bytes: detectCharset.
	detect detector
	// itemTags is the number of item (entry) start tags in the last XML
	// document parsed, as the scan in cdata.go counted them.
	itemTags int
	// atomTitles are the title types the last Atom scan saw (texttitle.go).
	atomTitles *titleTypes
	notes      []string
}

func (p *parser) note(s string) { p.notes = append(p.notes, s) }

// dates returns the date reader for a feed in the given language.
func (p *parser) dates(feedLanguage string) dates {
	return newDates(p.opts.Location, feedLanguage)
}

// Parse reads a feed in any supported format and charset. contentType is the
// HTTP Content-Type ("" for local files), feedURL the URL the feed came from,
// used to make relative links absolute. A feed without items is not an
// error; a damaged one is read as far as it can be (Feed.Notes says what was
// repaired), and fails only when no item is left. Parse never panics: a
// crash in the third-party parser comes back as an error wrapping
// ErrMalformed.
func Parse(data []byte, contentType, feedURL string, opts Options) (*Feed, error) {
	p := &parser{opts: opts, liftMin: defaultLiftMin, detect: detectCharset}
	return p.parse(data, contentType, feedURL)
}

func (p *parser) parse(data []byte, contentType, feedURL string) (feed *Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("%w: %w: %v", ErrMalformed, errCrash, r)
		}
	}()

	if len(bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))) == 0 {
		return nil, ErrEmpty
	}
	raw := data
	data, notes := toUTF8(data, contentType, p.detect)
	p.notes = append(p.notes, notes...)
	if len(bytes.TrimSpace(data)) == 0 { // e.g. only NULs, or a UTF-16 BOM
		return nil, ErrEmpty
	}

	switch detect(data) {
	case gofeed.FeedTypeRSS:
		feed, err = p.parseXML(data, func(doc []byte) (*Feed, error) {
			f, err := p.parseRSS(doc)
			if err != nil {
				return nil, err
			}
			return p.fromRSS(f, feedURL), nil
		})
	case gofeed.FeedTypeAtom:
		feed, err = p.parseXML(data, func(doc []byte) (*Feed, error) {
			f, err := p.parseAtom(doc)
			if err != nil {
				return nil, err
			}
			feed := p.fromAtom(f, feedURL)
			atomTitlesToHTML(feed, p.atomTitles)
			return feed, nil
		})
	case gofeed.FeedTypeJSON:
		feed, err = p.parseJSON(data, feedURL)
		if err == nil {
			jsonTitlesToHTML(feed)
		}
	default:
		return nil, unknownFormat(data, raw, contentType)
	}
	if err != nil {
		return nil, err
	}
	feed.Notes = p.notes
	return feed, nil
}

// parseXML runs parse (gofeed and the mapping) on an XML document, and again
// on the document as salvage repairs it when it fails on a syntax error, or
// when it returns fewer items than the document has item tags (gofeed's
// decoder, not strict, lets a stray end tag close the item and everything
// around it, silently dropping the rest of the feed). The repaired feed is
// kept when it has items (more than the first reading) and the repair is
// noted; otherwise the first result stands.
func (p *parser) parseXML(data []byte, parse func([]byte) (*Feed, error)) (*Feed, error) {
	feed, err := parse(data)
	if err == nil && p.itemTags <= len(feed.Items) {
		return feed, nil
	}
	var first error
	var se *SyntaxError
	if err != nil {
		first = xmlError(err, data)
		if errors.As(err, &se) && strings.HasPrefix(se.Msg, "elements nested more than") {
			return nil, first // a limit, not damage
		}
	}
	fixed, rep := salvage(data)
	if fixed == nil {
		return feed, first
	}
	better, err := parse(fixed)
	if err != nil || len(better.Items) == 0 || feed != nil && len(better.Items) <= len(feed.Items) {
		return feed, first
	}
	what := "malformed XML"
	if errors.As(first, &se) {
		what = fmt.Sprintf("malformed XML (line %d: %s)", se.Line, se.Msg)
	} else if first == nil {
		what = fmt.Sprintf("malformed XML (only %d of %d items readable)", len(feed.Items), p.itemTags)
	}
	kept := "1 item kept"
	if len(better.Items) != 1 {
		kept = fmt.Sprintf("%d items kept", len(better.Items))
	}
	p.note(fmt.Sprintf("%s recovered: %s; %s", what, rep, kept))
	return better, nil
}

func detect(data []byte) gofeed.FeedType {
	t := gofeed.DetectFeedType(bytes.NewReader(data[:min(len(data), detectPeek)]))
	if t == gofeed.FeedTypeUnknown && len(data) > detectPeek {
		// A long comment or DOCTYPE can push the root past the peek.
		t = gofeed.DetectFeedType(bytes.NewReader(data))
	}
	return t
}

// unknownFormat explains a body no feed parser accepted: an HTML page, a
// broken XML document, or something else.
func unknownFormat(data, raw []byte, contentType string) error {
	head := data[:min(len(data), detectPeek)]
	lower := bytes.ToLower(head)
	if bytes.Contains(lower, []byte("<!doctype html")) || bytes.Contains(lower, []byte("<html")) {
		if title := htmlTitle(raw, contentType); title != "" {
			return fmt.Errorf("%w: the response is an HTML page (<title>%s</title>)", ErrNotFeed, title)
		}
		return fmt.Errorf("%w: the response is an HTML page", ErrNotFeed)
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '<' {
		// Find out whether the XML is broken before its root element, and
		// where that root element is: it says more than a prolog or comment.
		d := xml.NewDecoder(bytes.NewReader(data))
		d.Strict = false
		for {
			off := d.InputOffset()
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				return xmlError(err, data)
			}
			if _, ok := tok.(xml.StartElement); ok {
				return unrecognised(data[off:])
			}
		}
	}
	return unrecognised(data)
}

func unrecognised(data []byte) error {
	return fmt.Errorf("%w: unrecognised format (starts with \"%s\")", ErrNotFeed, snippet(data, 40))
}

// snippet returns the first n characters of data, white space folded.
func snippet(data []byte, n int) string {
	s := strings.ToValidUTF8(string(data[:min(len(data), n*4)]), "")
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, n)
}

// truncate cuts s to at most n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// htmlTitle returns the <title> of an HTML page, decoded with the page's own
// charset (HTTP header, BOM or <meta>), white space folded, at most 80
// characters.
func htmlTitle(raw []byte, contentType string) string {
	r, err := charset.NewReader(bytes.NewReader(raw), contentType)
	if err != nil {
		r = bytes.NewReader(raw)
	}
	z := html.NewTokenizer(r)
	inTitle := false
	var title strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return cleanTitle(title.String())
		case html.StartTagToken:
			name, _ := z.TagName()
			inTitle = string(name) == "title"
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "title" {
				return cleanTitle(title.String())
			}
			if string(name) == "head" {
				return ""
			}
		case html.TextToken:
			if inTitle {
				title.Write(z.Text())
			}
		}
	}
}

func cleanTitle(s string) string {
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	return truncate(s, 80)
}

// xmlError turns an error from gofeed's XML parsers into a *SyntaxError with
// a line number: encoding/xml knows the line; goxpp's structural errors know
// only the byte offset; the rest happen at the end of the document.
func xmlError(err error, data []byte) error {
	var own *SyntaxError
	if errors.As(err, &own) {
		return own
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Format: "XML", Line: se.Line, Msg: se.Msg}
	}
	var ee *xpp.ExpectError
	if errors.As(err, &ee) {
		return &SyntaxError{Format: "XML", Line: lineAt(data, ee.Offset),
			Msg: fmt.Sprintf("expected %s but found %s", tagName(ee.WantEvent, ee.WantName), tagName(ee.GotEvent, ee.GotName))}
	}
	msg := strings.TrimPrefix(err.Error(), "xpp: ")
	if strings.Contains(msg, "end of the document") || strings.Contains(msg, "document ended") {
		msg = "unexpected end of document (" + msg + ")"
	}
	return &SyntaxError{Format: "XML", Line: lineAt(data, int64(len(data))), Msg: msg}
}

func tagName(ev xpp.EventType, name string) string {
	switch ev {
	case xpp.StartTag:
		return "<" + name + ">"
	case xpp.EndTag:
		return "</" + name + ">"
	case xpp.EndDocument:
		return "the end of the document"
	case xpp.Text:
		return "text"
	}
	return ev.String()
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	line, _ := lineCol(data, off)
	return line
}

// lineCol returns the 1-based line and column (in characters) of the
// character that ends at byte offset off, as encoding/json's offsets count
// ("after reading off bytes").
func lineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return line, max(col, 1)
}
