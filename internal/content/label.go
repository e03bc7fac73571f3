package content

import (
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// Label returns the text of an HTML fragment — a title, a feed's title, an
// author, a tag, a category name from the config, an OPML folder or an RSSHub
// instance — as plain text that is inert wherever a theme prints it: Text
// (tags stripped, entities decoded once, white space folded, controls
// dropped), then Inert.
//
// Why not just escape: the front matter is read by themes, and Hexo themes
// print names raw (landscape's list_categories), build HTML from them in
// JavaScript, or put them into attributes; an escaped `&lt;` is shown as is
// by the themes that do escape. A label without markup characters reads the
// same in both kinds and runs nowhere. Label is idempotent.
func Label(raw string) string {
	return Inert(Text(raw))
}

// Inert replaces the characters that mean markup in HTML with look-alikes, so
// that plain text s stays text in any HTML context a theme puts it in (text,
// a quoted attribute, a string its script concatenates into innerHTML): `<`
// and `>` become the full-width ＜ ＞, `"` and `'` typographic quotes (“ ”,
// ‘ ’: opening after a space or bracket, else closing), and an `&` that would
// start a character reference (`&lt;`, `&#60`, `&amp`) the full-width ＆; an
// `&` followed by anything else (`Tom & Jerry`, `AT&T`) stays. Used for
// labels and for the alt and title attributes of a body.
func Inert(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == '<' || r == '>' || r == '"' || r == '\'' || r == '&' })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch c {
		case '<':
			b.WriteString("＜")
		case '>':
			b.WriteString("＞")
		case '"':
			if opening(s[:i]) {
				b.WriteString("“")
			} else {
				b.WriteString("”")
			}
		case '\'':
			if opening(s[:i]) {
				b.WriteString("‘")
			} else {
				b.WriteString("’")
			}
		case '&':
			if startsReference(s[i:]) {
				b.WriteString("＆")
			} else {
				b.WriteByte('&')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// opening reports whether a quote after before opens a quotation: at the
// start, after white space or after an opening bracket or dash.
func opening(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	if r == utf8.RuneError {
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Ps, r) || unicode.Is(unicode.Pi, r) || r == '-' || r == '—' || r == '/'
}

// startsReference reports whether s, which starts with '&', starts a
// character reference an HTML parser would decode: `&#` with a digit or x,
// or the name of an entity (with or without its semicolon, as legacy
// entities such as `&amp` and `&copy` are decoded without one).
func startsReference(s string) bool {
	n := 1
	for n < len(s) && n < 40 && (isAlnum(s[n]) || s[n] == '#' || s[n] == ';') {
		n++
		if s[n-1] == ';' {
			break
		}
	}
	if n == 1 {
		return false
	}
	// x/net/html decodes as browsers do (`&#0`, `&#6` too, unlike package
	// html).
	return xhtml.UnescapeString(s[:n]) != s[:n]
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// MaxCategory bounds a category name in bytes. Hexo and Hugo make a folder
// of each category name (UTF-8, three bytes a Chinese character) and file
// systems cap a name at 255 bytes: a 400-character feed title used as the
// category stopped Hexo with ENAMETOOLONG and broke the Hugo build.
const MaxCategory = 96

// Category returns a category name (from the config, a feed's title, an OPML
// folder or an RSSHub instance) as a Label that is also safe as the folder
// name Hexo, Hugo and the built-in site make of it, or "" when nothing of it
// is left:
//   - `/` and `\` become the full-width ／ ＼ (one level stays one level);
//   - a leading `.` becomes ．, so `..` or `.git` is no path of its own
//     (Hugo fails the whole build on `..`);
//   - `index.html`, `index.xml`… get a full-width dot: Hugo writes the
//     category list to categories/index.html and failed with "file exists";
//   - a name with no letter or digit (`!!!`, `?`) gets full-width punctuation,
//     which Hexo keeps in its slug, instead of a slug of nothing that puts
//     every such category on one page;
//   - at most MaxCategory bytes, cut at a character and ended with "…".
func Category(raw string) string {
	s := Label(raw)
	if s == "" {
		return ""
	}
	if strings.ContainsAny(s, `/\`) {
		s = strings.NewReplacer("/", "／", `\`, "＼").Replace(s)
	}
	if s[0] == '.' {
		s = "．" + s[1:]
	}
	if len(s) > len("index.") && strings.EqualFold(s[:len("index.")], "index.") {
		s = s[:len("index")] + "．" + s[len("index."):]
	}
	s = bound(s, MaxCategory) // first, so that what is cut off cannot matter below
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		s = strings.Map(func(r rune) rune {
			if r > ' ' && r < 0x7f {
				return r + 0xfee0 // the full-width form of an ASCII character
			}
			return r
		}, s)
	}
	return bound(s, MaxCategory)
}

// bound cuts s to at most n bytes at a character boundary, ending it with
// "…" when something was cut.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ") + "…"
}

// CategoryPath is the Category of every level of a category path, with the
// levels that come out empty left out.
func CategoryPath(levels []string) []string {
	out := make([]string, 0, len(levels))
	for _, l := range levels {
		if c := Category(l); c != "" {
			out = append(out, c)
		}
	}
	return out
}
