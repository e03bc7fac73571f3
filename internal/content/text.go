package content

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Title cleans a feed title for the front matter: tags stripped, entities
// decoded once (`&amp;lt;` becomes the text `&lt;`), runs of white space —
// NBSP and the ideographic space included — folded to one ASCII space,
// control characters dropped (YAML cannot hold them in a quoted scalar), and
// the ends trimmed. Braces are left alone.
func Title(raw string) string {
	return Text(raw)
}

// TitleFromText is the title of an item that has none: the first n
// characters (runes) of its text, as docs/post-format.md ("Titles") says,
// with no ellipsis.
func TitleFromText(htmlText string, n int) string {
	if n <= 0 {
		return ""
	}
	t := Text(htmlText)
	i := 0
	for pos := range t {
		if i == n {
			return strings.TrimRight(t[:pos], " ")
		}
		i++
	}
	return t
}

// inlineTags do not separate words; every other tag except the removed ones
// counts as white space in Text, so that `<p>a</p><p>b</p>` reads "a b",
// not "ab".
var inlineTags = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Bdi: true, atom.Bdo: true,
	atom.Big: true, atom.Cite: true, atom.Code: true, atom.Data: true, atom.Del: true,
	atom.Dfn: true, atom.Em: true, atom.Font: true, atom.I: true, atom.Ins: true,
	atom.Kbd: true, atom.Label: true, atom.Mark: true, atom.Nobr: true, atom.Q: true,
	atom.Rb: true, atom.Rp: true, atom.Rt: true, atom.Rtc: true, atom.Ruby: true,
	atom.S: true, atom.Samp: true, atom.Small: true, atom.Span: true, atom.Strike: true,
	atom.Strong: true, atom.Sub: true, atom.Sup: true, atom.Time: true, atom.Tt: true,
	atom.U: true, atom.Var: true, atom.Wbr: true,
}

// Text returns the plain text of an HTML fragment on one line, for filters,
// search and titles: the content of removed elements (script, style, …) is
// skipped, entities are decoded once and white space is folded as in Title.
func Text(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	var rm remover
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.TextToken:
			if rm.depth == 0 {
				space = appendFolded(&b, z.Text(), space)
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			flags := tagTable[a].flags
			if tt == xhtml.EndTagToken {
				rm.skipEnd(a)
			} else if !rm.skipStart(a) && opensRemoval(a, flags, tt == xhtml.SelfClosingTagToken) {
				rm.begin(a)
			}
			if flags&(fInline|fBlocked) == 0 {
				space = true
			}
		}
	}
}

// appendFolded appends text with white-space runs folded to one space
// (written only between two words) and control characters dropped; it
// returns whether a space is pending.
func appendFolded(b *strings.Builder, s []byte, space bool) bool {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		s = s[n:]
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return space
}

// TextToHTML turns plain text into HTML: escaped, one <p> per paragraph
// (paragraphs are separated by blank lines) and <br> for single newlines.
func TextToHTML(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var b strings.Builder
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("<p>")
		for i, line := range para {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(html.EscapeString(line))
		}
		b.WriteString("</p>")
		para = para[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			flush()
			continue
		}
		para = append(para, line)
	}
	flush()
	return b.String()
}

// EscapeBraces writes { and } as &#123; and &#125; (docs/post-format.md, "Body", step 6), so that
// Hexo's Nunjucks never sees `{{`, `{%` or `{#` in a body. The entities mean
// the same characters in HTML text and attribute values.
func EscapeBraces(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	return braceReplacer.Replace(s)
}

var braceReplacer = strings.NewReplacer("{", "&#123;", "}", "&#125;")
