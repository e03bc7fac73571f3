package parse

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// When gofeed rejects an XML feed, the document is salvaged and parsed once
// more, as feedparser does with its loose parser: a bare '<' or '&' in a
// title, or a feed cut off mid-transfer, must not cost the complete items.
// Well-formed feeds never come here, so this costs them nothing.
//
// Two passes over the decoded text:
//
//  1. escapeStrays (lexical): a '<' that cannot start markup ("a < b",
//     "<3", a '<' inside a quoted attribute value) becomes "&lt;", "]]>"
//     in text becomes "]]&gt;", and character references to characters XML
//     forbids (&#1;) are dropped. Nothing is lost.
//  2. rebuild (structural): the document is tokenised as gofeed's decoder
//     does (encoding/xml, not strict) and written out again with an element
//     left open closed where its parent closes, a stray end tag dropped, an
//     item (or entry) in which the tokenizer fails dropped whole, and, when
//     the document ends early, the item it ends in dropped and the open
//     elements closed.
//
// No library does this for XML: encoding/xml stops at the first error, and
// HTML parsers (x/net/html) would lowercase names, drop CDATA and rearrange
// elements by HTML's rules, changing what gofeed reads from a feed that is
// nearly well-formed.

// salvageReport says what salvage changed; it becomes the summary's note.
type salvageReport struct {
	strays    int  // '<', "]]>" escaped; illegal character references dropped
	closed    int  // elements left open, closed where their parent closes
	ends      int  // stray end tags dropped
	items     int  // broken or incomplete items dropped
	other     int  // other broken elements dropped
	truncated bool // the document ended early
}

func (r salvageReport) changed() bool {
	return r.strays+r.closed+r.ends+r.items+r.other > 0 || r.truncated
}

func (r salvageReport) String() string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, one)
		case n > 1:
			parts = append(parts, fmt.Sprintf(many, n))
		}
	}
	if r.truncated {
		parts = append(parts, "the document ends early")
	}
	add(r.items, "1 broken or incomplete item dropped", "%d broken or incomplete items dropped")
	add(r.other, "1 broken element dropped", "%d broken elements dropped")
	add(r.strays, "1 stray '<' or bad character reference escaped", "%d stray '<' or bad character references escaped")
	add(r.closed, "1 unclosed element closed", "%d unclosed elements closed")
	add(r.ends, "1 stray end tag dropped", "%d stray end tags dropped")
	return strings.Join(parts, ", ")
}

// salvage returns a repaired copy of data and what was done; nil when it
// found nothing to repair or nothing to keep.
func salvage(data []byte) ([]byte, salvageReport) {
	var rep salvageReport
	data, rep.strays = escapeStrays(data)
	out := rebuild(data, &rep)
	if !rep.changed() || out == nil {
		return nil, rep
	}
	return out, rep
}

// escapeStrays is pass 1 (see above); n counts the changes.
func escapeStrays(data []byte) (out []byte, n int) {
	var b []byte // nil until the first change
	done := 0    // data[:done] is in b
	edit := func(from, to int, repl string) {
		if b == nil {
			b = make([]byte, 0, len(data)+64)
		}
		b = append(b, data[done:from]...)
		b = append(b, repl...)
		done = to
		n++
	}
	i := 0
	for i < len(data) {
		j := bytes.IndexAny(data[i:], "<&]")
		if j < 0 {
			break
		}
		at := i + j
		rest := data[at:]
		switch {
		case rest[0] == ']':
			i = at + 1
			if bytes.HasPrefix(rest, []byte("]]>")) {
				edit(at, at+3, "]]&gt;")
				i = at + 3
			}
		case rest[0] == '&':
			i = at + 1
			if to, ok := illegalCharRef(data, at); ok {
				edit(at, to, "")
				i = to
			}
		case bytes.HasPrefix(rest, commentOn):
			i = skipPast(data, at+len(commentOn), commentOff)
		case bytes.HasPrefix(rest, cdataOpen):
			i = skipPast(data, at+len(cdataOpen), cdataClose)
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(data, at+2, []byte("?>"))
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipDirective(data, at+2)
		case len(rest) > 1 && (isNameStart(rest[1]) || rest[1] == '/' && len(rest) > 2 && isNameStart(rest[2])):
			end, lts := scanTag(data, at+1)
			if end == -1 { // no '>' before the next '<': not a tag
				edit(at, at+1, "&lt;")
				i = at + 1
				continue
			}
			if end < 0 { // cut off at the end: rebuild sees a truncation
				i = len(data)
				continue
			}
			for _, k := range lts { // '<' inside quoted attribute values
				edit(k, k+1, "&lt;")
			}
			i = end + 1
		case len(rest) == 1 || rest[1] != '/':
			edit(at, at+1, "&lt;")
			i = at + 1
		default: // "</" and no name: leave it to the tokenizer
			i = at + 2
		}
	}
	if b == nil {
		return data, 0
	}
	return append(b, data[done:]...), n
}

// skipPast returns the offset after the first sep at or after from; the end
// of data when there is none.
func skipPast(data []byte, from int, sep []byte) int {
	if k := indexFrom(data, from, sep); k >= 0 {
		return k + len(sep)
	}
	return len(data)
}

// skipDirective skips a <!DOCTYPE ...> (with its internal subset in
// brackets) or another <!...> declaration.
func skipDirective(data []byte, from int) int {
	depth := 0
	for i := from; i < len(data); i++ {
		switch data[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				return i + 1
			}
		}
	}
	return len(data)
}

// scanTag finds the '>' ending the tag whose name starts at from, skipping
// quoted attribute values; end is -1 when a '<' outside quotes comes first,
// -2 when the data ends first. lts are the offsets of '<' inside quoted
// values.
func scanTag(data []byte, from int) (end int, lts []int) {
	var quote byte
	for i := from; i < len(data); i++ {
		c := data[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '<' {
				lts = append(lts, i)
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i, lts
		case c == '<':
			return -1, nil
		}
	}
	return -2, nil
}

// illegalCharRef reports whether data[at:] starts a character reference to
// a character XML 1.0 forbids (&#0;, &#x1F;, &#xFFFE;...), which
// encoding/xml rejects even when not strict; to is the offset after it.
func illegalCharRef(data []byte, at int) (to int, ok bool) {
	rest := data[at:]
	if len(rest) < 4 || rest[1] != '#' {
		return 0, false
	}
	base, i := 10, 2
	if rest[2] == 'x' {
		base, i = 16, 3
	}
	start := i
	for i < len(rest) && i-start < 12 && isDigitIn(rest[i], base) {
		i++
	}
	if i == start || i >= len(rest) || rest[i] != ';' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(rest[start:i]), base, 64)
	if err != nil || n > 0x10FFFF {
		return 0, false
	}
	r := rune(n)
	legal := r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF ||
		r >= 0xD800 && r <= 0xDFFF // decoded as U+FFFD, accepted
	return at + i + 1, !legal
}

func isDigitIn(c byte, base int) bool {
	return c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
}

// openElement is an element rebuild has written the start tag of.
type openElement struct {
	name xml.Name
	at   int // offset of its start tag in the output
}

func (e openElement) isItem() bool {
	return e.name.Local == "item" || e.name.Local == "entry"
}

// rawName is the element's name as written: prefix:local.
func (e openElement) rawName() string {
	if e.name.Space != "" {
		return e.name.Space + ":" + e.name.Local
	}
	return e.name.Local
}

// maxResumes bounds how many broken elements rebuild skips before it gives
// up on the rest of the document.
const maxResumes = 1000

// rebuild is pass 2 (see above). It returns nil when nothing is left.
func rebuild(data []byte, rep *salvageReport) []byte {
	out := make([]byte, 0, len(data)+64)
	var stack []openElement
	closeTag := func(e openElement) {
		out = append(out, "</"+e.rawName()+">"...)
	}
	// dropFrom removes stack[k:] and what the output holds of them.
	rooted := false // out holds a root element
	dropFrom := func(k int) {
		out = out[:stack[k].at]
		stack = stack[:k]
		rooted = rooted && k > 0
	}
	innermostItem := func() int {
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].isItem() {
				return k
			}
		}
		return -1
	}
	base := 0 // offset of the decoder's input in data
	d := newRawDecoder(data)
	for resumes := 0; ; {
		start := base + int(d.InputOffset())
		tok, err := d.RawToken()
		end := base + int(d.InputOffset())
		if err != nil {
			var se *xml.SyntaxError
			eof := err == io.EOF || errors.As(err, &se) && (se.Msg == "unexpected EOF" || end >= len(data))
			if !eof && errors.As(err, &se) && len(stack) > 0 && resumes < maxResumes {
				// A broken element: drop the innermost item, else the
				// innermost element, and resume after its end tag (or at
				// the next item).
				resumes++
				k := innermostItem()
				if k < 0 {
					k = len(stack) - 1
					rep.other++
				} else {
					rep.items++
				}
				e := stack[k]
				dropFrom(k)
				next := resumeAfter(data, max(start, end), e)
				if next >= 0 {
					base = next
					d = newRawDecoder(data[next:])
					continue
				}
				eof = true // no end in sight: as if truncated here
			} else if !eof {
				return nil
			}
			if len(stack) > 0 {
				rep.truncated = true
				if k := innermostItem(); k >= 0 {
					dropFrom(k)
					rep.items++
				}
				for k := len(stack) - 1; k >= 0; k-- {
					closeTag(stack[k])
				}
			}
			if !rooted {
				return nil // prolog, comments or text: no document
			}
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			rooted = rooted || len(stack) == 0
			stack = append(stack, openElement{name: t.Name, at: len(out)})
		case xml.EndElement:
			k := len(stack) - 1
			for k >= 0 && stack[k].name != t.Name {
				k--
			}
			if k < 0 { // closes nothing open
				rep.ends++
				continue
			}
			for j := len(stack) - 1; j > k; j-- {
				closeTag(stack[j])
				rep.closed++
			}
			stack = stack[:k]
		}
		out = append(out, data[start:end]...)
		if len(stack) == 0 {
			if _, ok := tok.(xml.EndElement); ok {
				return out // the root is closed: what follows is not the feed
			}
		}
	}
}

// resumeAfter returns where tokenising resumes after a broken element that
// the tokenizer failed in at offset at: after its end tag, or at the start
// of the next item when that comes first (the broken item never closed);
// -1 when neither follows.
func resumeAfter(data []byte, at int, e openElement) int {
	endTag := []byte("</" + e.rawName() + ">")
	limit := len(data) // the end tag is looked for up to the next item only
	if e.isItem() {
		if next := nextStartTag(data, at, e.rawName()); next >= 0 {
			limit = next
		}
	}
	if closeAt := indexFrom(data[:limit], at, endTag); closeAt >= 0 {
		return closeAt + len(endTag)
	}
	if limit < len(data) {
		return limit
	}
	return -1
}

// nextStartTag finds the next "<name" followed by white space, '>' or '/'.
func nextStartTag(data []byte, from int, name string) int {
	open := []byte("<" + name)
	for i := from; ; {
		k := indexFrom(data, i, open)
		if k < 0 {
			return -1
		}
		if after := k + len(open); after < len(data) && (isSpace(data[after]) || data[after] == '>' || data[after] == '/') {
			return k
		}
		i = k + 1
	}
}

// newRawDecoder tokenises like gofeed's decoder (not strict, no AutoClose).
// The text is UTF-8 already (toUTF8), so no CharsetReader is needed.
func newRawDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	return d
}
