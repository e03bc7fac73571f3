package parse

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// toUTF8 returns data as UTF-8 together with the notes the run summary
// should carry: a charset chosen against the declaration, undecodable bytes
// replaced by U+FFFD, characters illegal in XML 1.0 dropped. The XML
// prolog's encoding declaration is removed, so the XML parser (which would
// otherwise call its CharsetReader) does not decode the text a second time.
//
// We pick the charset ourselves rather than let encoding/xml do it because the
// HTTP header must win over the prolog (RFC 3023), because the decoder must
// never fail a feed (legacy decoders from x/text substitute U+FFFD for bytes
// they cannot map), and because real feeds lie about their charset. What
// browsers and feedparser do, in order: a byte order mark wins; then the
// UTF-16/UTF-32 byte pattern of "<?" (XML 1.0 appendix F); then the
// declared charset (HTTP, else prolog) — unless the bytes prove it wrong
// (see chooseCharset); undeclared bytes that are not UTF-8 are detected.
func toUTF8(data []byte, contentType string, detect detector) (out []byte, notes []string) {
	enc, bomLen, found := sniffUnicode(data)
	if found {
		data = data[bomLen:]
	} else {
		var note string
		enc, note = chooseCharset(data, contentType, detect)
		if note != "" {
			notes = append(notes, note)
		}
	}

	repaired := false
	if enc != nil {
		decoded, err := enc.NewDecoder().Bytes(data)
		if err == nil {
			// Decoders substitute U+FFFD for bytes they cannot map; the
			// legacy charsets we meet have no U+FFFD of their own, so its
			// presence means something was lost.
			repaired = bytes.Contains(decoded, []byte("\uFFFD"))
			data = decoded
		}
	}
	if !utf8.Valid(data) {
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
		repaired = true
	}
	data, dropped := stripIllegalXMLChars(data)
	if repaired || dropped {
		notes = append(notes, noteRepaired)
	}
	return dropPrologEncoding(data), notes
}

// noteRepaired is the summary's note for text that had to be changed to be
// read at all.
const noteRepaired = "invalid UTF-8 or control characters repaired"

// chooseCharset picks the decoder for a body without a byte order mark (nil
// means UTF-8) and says why when it overrides the declaration. The
// declaration is the HTTP charset, else the prolog's encoding=; a label
// x/net/html/charset does not know counts as none. Then:
//
//   - declared UTF-8 (or nothing), bytes valid UTF-8: UTF-8.
//   - a server-wide "charset=utf-8" on a GBK/Big5 file, the most common
//     misconfiguration of Chinese sites: when the body is not UTF-8 and the
//     prolog names another charset, the prolog is believed.
//   - declared UTF-8 (or nothing), bytes not UTF-8: a few stray bytes in
//     UTF-8 text are repaired as such (U+FFFD); text that is not UTF-8 at
//     all is detected (detect, normally detectCharset: windows-1252,
//     GB18030 when the bytes look Chinese, or what a statistical detector
//     is sure of).
//   - declared another charset, bytes valid UTF-8 that are not ASCII: the
//     label is wrong (ISO-8859-1 on UTF-8 gives "BrÃ¸ndby") and UTF-8 is
//     used. For the multi-byte CJK charsets, whose byte pairs are valid
//     UTF-8 by chance more often, the label loses only when decoding with
//     it fails or the text has several UTF-8 sequences.
func chooseCharset(data []byte, contentType string, detect detector) (encoding.Encoding, string) {
	header, prolog := headerCharset(contentType), prologEncoding(data)
	label := header
	if !known(label) {
		label = prolog
	}
	if !known(label) {
		label = ""
	}
	if isUTF8Label(label) && label == header && known(prolog) && !isUTF8Label(prolog) && lookup(prolog) != nil && !utf8.Valid(data) {
		_, name := charset.Lookup(prolog)
		return lookup(prolog), fmt.Sprintf("the HTTP header says UTF-8 but the bytes are not: read as %s, as the XML declaration says", name)
	}

	enc := lookup(label)
	if enc == nil { // UTF-8, declared or not
		multi, bad := utf8Stats(data)
		if bad == 0 || multi > 0 && multi >= bad {
			return nil, "" // UTF-8, stray bytes repaired by the caller
		}
		enc, name := detect(data)
		if label == "" {
			return enc, fmt.Sprintf("no charset declared and the bytes are not UTF-8: read as %s", name)
		}
		return enc, fmt.Sprintf("declared UTF-8 but the bytes are not: read as %s", name)
	}

	multi, bad := utf8Stats(data)
	if bad > 0 || multi == 0 {
		return enc, ""
	}
	if _, name := charset.Lookup(label); multiByteCharsets[name] && multi < 4 {
		decoded, err := enc.NewDecoder().Bytes(data)
		if err == nil && !bytes.Contains(decoded, []byte("\uFFFD")) {
			return enc, ""
		}
	}
	return nil, fmt.Sprintf("declared %s but the bytes are UTF-8: read as UTF-8", label)
}

// multiByteCharsets are the legacy charsets (WHATWG names) whose characters
// are byte pairs that are often valid UTF-8 by chance.
var multiByteCharsets = map[string]bool{
	"gbk": true, "gb18030": true, "big5": true, "euc-jp": true, "iso-2022-jp": true,
	"shift_jis": true, "euc-kr": true,
}

// utf8Stats counts the multi-byte UTF-8 sequences in data and the bytes that
// are not part of a valid sequence.
func utf8Stats(data []byte) (multi, bad int) {
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			multi++
		}
		i += n
	}
	return multi, bad
}

// sniffUnicode recognises a byte order mark, or the UTF-16/UTF-32 byte
// pattern of a document starting with '<' and no BOM. found is true when the
// bytes settle the question; enc is then the decoder (nil for UTF-8, whose
// BOM is only stripped) and bomLen the number of BOM bytes to drop.
func sniffUnicode(data []byte) (enc encoding.Encoding, bomLen int, found bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 4, true
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 4, true
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 2, true
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 2, true
	case bytes.HasPrefix(data, []byte{0x00, 0x00, 0x00, '<'}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 0, true
	case bytes.HasPrefix(data, []byte{'<', 0x00, 0x00, 0x00}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 0, true
	case bytes.HasPrefix(data, []byte{0x00, '<'}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 0, true
	case bytes.HasPrefix(data, []byte{'<', 0x00}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 0, true
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		// UTF-8: nothing to decode, but the BOM itself must go.
		return nil, 3, true
	}
	return nil, 0, false
}

// lookup maps a charset label to a decoder; nil means "treat as UTF-8"
// (no label, a UTF-8 label, an unknown label, or a UTF-16/32 label on a body
// whose bytes are ASCII-compatible and so cannot be UTF-16/32).
func lookup(label string) encoding.Encoding {
	if label == "" || isUTF8Label(label) {
		return nil
	}
	enc, name := charset.Lookup(label)
	// "replacement" is WHATWG's stand-in for dangerous encodings
	// (ISO-2022-KR, HZ-GB-2312...): it turns the whole text into one U+FFFD.
	if enc == nil || strings.HasPrefix(name, "utf-16") || name == "utf-8" || name == "replacement" {
		return nil
	}
	return enc
}

// known reports whether label names a charset we can decode.
func known(label string) bool {
	enc, name := charset.Lookup(label)
	return enc != nil && name != "replacement"
}

func isUTF8Label(label string) bool {
	return strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "utf8")
}

// headerCharset returns the charset parameter of an HTTP Content-Type. It
// is read by hand because mime.ParseMediaType rejects the whole header on
// any flaw elsewhere ("text/xml;", a bad parameter), and servers do send
// charset='gb2312' with quotes.
func headerCharset(contentType string) string {
	// Not strings.ToLower: it changes the length of invalid UTF-8, and the
	// offsets must hold in the original.
	i := 0
	for ; i+len("charset") <= len(contentType); i++ {
		if strings.EqualFold(contentType[i:i+len("charset")], "charset") {
			break
		}
	}
	if i+len("charset") > len(contentType) {
		return ""
	}
	rest := strings.TrimLeft(contentType[i+len("charset"):], " \t")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	if j := strings.IndexAny(rest, "; \t"); j >= 0 {
		rest = rest[:j]
	}
	return strings.Trim(rest, `"'`)
}

// prologBounds returns the byte range of the XML declaration "<?xml ...?>"
// when data starts with one (after optional white space); end is 0 otherwise.
func prologBounds(data []byte) (start, end int) {
	for start < len(data) && isSpace(data[start]) {
		start++
	}
	if !bytes.HasPrefix(data[start:], []byte("<?xml")) || len(data) < start+6 || !isSpace(data[start+5]) {
		return 0, 0
	}
	limit := min(len(data), start+512)
	i := bytes.Index(data[start:limit], []byte("?>"))
	if i < 0 {
		return 0, 0
	}
	return start, start + i + 2
}

// encodingAttr finds encoding="..." in an XML declaration and returns the
// value and the byte range of the whole pseudo-attribute (with its leading
// white space); ok is false when there is none.
func encodingAttr(decl []byte) (value string, from, to int, ok bool) {
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return "", 0, 0, false
	}
	from = i
	for from > 0 && isSpace(decl[from-1]) {
		from--
	}
	j := i + len("encoding")
	for j < len(decl) && isSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || decl[j] != '=' {
		return "", 0, 0, false
	}
	j++
	for j < len(decl) && isSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || (decl[j] != '"' && decl[j] != '\'') {
		return "", 0, 0, false
	}
	quote := decl[j]
	k := bytes.IndexByte(decl[j+1:], quote)
	if k < 0 {
		return "", 0, 0, false
	}
	return strings.TrimSpace(string(decl[j+1 : j+1+k])), from, j + 2 + k, true
}

// prologEncoding returns the encoding declared in the XML prolog, or "".
func prologEncoding(data []byte) string {
	start, end := prologBounds(data)
	if end == 0 {
		return ""
	}
	v, _, _, _ := encodingAttr(data[start:end])
	return v
}

// dropPrologEncoding removes encoding="..." from the XML declaration unless
// it already says UTF-8: the text is UTF-8 now, and encoding/xml would
// otherwise hand it to a charset decoder again.
func dropPrologEncoding(data []byte) []byte {
	start, end := prologBounds(data)
	if end == 0 {
		return data
	}
	v, from, to, ok := encodingAttr(data[start:end])
	if !ok || isUTF8Label(v) {
		return data
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:start+from]...)
	return append(out, data[start+to:]...)
}

// stripIllegalXMLChars drops the characters XML 1.0 forbids that can occur in
// valid UTF-8: C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF.
// encoding/xml rejects the whole document on any of them, and they carry no
// meaning in a feed. The common case (none present) costs one scan and no
// allocation.
func stripIllegalXMLChars(data []byte) ([]byte, bool) {
	first := -1
	for i, b := range data {
		if (b < 0x20 || b == 0xEF) && isIllegalAt(data, i) {
			first = i
			break
		}
	}
	if first < 0 {
		return data, false
	}
	out := make([]byte, first, len(data))
	copy(out, data[:first])
	for i := first; i < len(data); i++ {
		if isIllegalAt(data, i) {
			if data[i] == 0xEF {
				i += 2 // U+FFFE / U+FFFF are three bytes
			}
			continue
		}
		out = append(out, data[i])
	}
	return out, true
}

// isIllegalAt reports whether data[i] starts a character illegal in XML 1.0.
// data is valid UTF-8, so 0xEF 0xBF 0xBE/0xBF can only be U+FFFE/U+FFFF.
func isIllegalAt(data []byte, i int) bool {
	b := data[i]
	if b < 0x20 {
		return b != '\t' && b != '\n' && b != '\r'
	}
	return b == 0xEF && i+2 < len(data) && data[i+1] == 0xBF && (data[i+2] == 0xBE || data[i+2] == 0xBF)
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r'
}
