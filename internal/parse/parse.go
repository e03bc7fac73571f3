package parse

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	jsonfeed "github.com/mmcdole/gofeed/json"
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

// SyntaxError is an XML or JSON syntax error with the 1-based line where the
// parser gave up, in the document as decoded to UTF-8 (line numbers do not
// change with the charset).
type SyntaxError struct {
	Format string // "XML" or "JSON"
	Line   int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s syntax error at line %d: %s", e.Format, e.Line, e.Msg)
}

// Unwrap lets errors.Is(err, ErrMalformed) match.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }

// detectPeek bounds how much of the body feed type detection reads: the
// root element of any real feed starts within a few KB, and
// gofeed.DetectFeedType copies whatever it is given.
const detectPeek = 4096

// Parse reads a feed in any supported format and charset. contentType is the
// HTTP Content-Type ("" for local files), feedURL the URL the feed came from,
// used to make relative links absolute. A feed without items is not an
// error. Parse never panics: a crash in the third-party parser comes back as
// an error wrapping ErrMalformed.
func Parse(data []byte, contentType, feedURL string) (feed *Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("%w: %w: %v", ErrMalformed, errCrash, r)
		}
	}()

	if len(bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))) == 0 {
		return nil, ErrEmpty
	}
	raw := data
	data, repaired := toUTF8(data, contentType)
	if len(bytes.TrimSpace(data)) == 0 { // e.g. only NULs, or a UTF-16 BOM
		return nil, ErrEmpty
	}

	switch detect(data) {
	case gofeed.FeedTypeRSS:
		f, err := parseRSS(data)
		if err != nil {
			return nil, xmlError(err, data)
		}
		feed = fromRSS(f, feedURL)
	case gofeed.FeedTypeAtom:
		f, err := parseAtom(data)
		if err != nil {
			return nil, xmlError(err, data)
		}
		feed = fromAtom(f, feedURL)
		atomTitlesToHTML(feed, data)
	case gofeed.FeedTypeJSON:
		f, err := (&jsonfeed.Parser{}).Parse(bytes.NewReader(data))
		if err != nil {
			return nil, jsonError(err, data)
		}
		if !isJSONFeed(f) {
			return nil, unrecognised(data)
		}
		feed = fromJSON(f, feedURL)
		jsonTitlesToHTML(feed)
	default:
		return nil, unknownFormat(data, raw, contentType)
	}
	feed.Repaired = repaired
	return feed, nil
}

func detect(data []byte) gofeed.FeedType {
	t := gofeed.DetectFeedType(bytes.NewReader(data[:min(len(data), detectPeek)]))
	if t == gofeed.FeedTypeUnknown && len(data) > detectPeek {
		// A long comment or DOCTYPE can push the root past the peek.
		t = gofeed.DetectFeedType(bytes.NewReader(data))
	}
	return t
}

// isJSONFeed tells a JSON Feed from any other JSON (an API error, a
// different format): it must name its version, or at least have items.
func isJSONFeed(f *jsonfeed.Feed) bool {
	return strings.Contains(f.Version, "jsonfeed.org/version/") || (f.Version == "" && f.Items != nil)
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

// jsonError gives a JSON decoding error its line.
func jsonError(err error, data []byte) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Format: "JSON", Line: lineAt(data, se.Offset), Msg: se.Error()}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &SyntaxError{Format: "JSON", Line: lineAt(data, te.Offset),
			Msg: fmt.Sprintf("%s is a JSON %s, which a JSON Feed does not allow there", orTop(te.Field), te.Value)}
	}
	return &SyntaxError{Format: "JSON", Line: lineAt(data, int64(len(data))), Msg: err.Error()}
}

// orTop names a field from json.UnmarshalTypeError, dropping the "alias."
// prefix gofeed's custom unmarshalers add.
func orTop(field string) string {
	field = strings.TrimPrefix(strings.ReplaceAll(field, "alias.", ""), ".")
	if field == "" {
		return "the document"
	}
	return "field " + field
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
