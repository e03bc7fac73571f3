package site

import (
	"bytes"
	"strings"
)

// The embedded card.html is rendered by hand (writeCard) instead of by
// html/template, with the same bytes (TestFastCard and FuzzFastCard compare
// the two on every kind of input). A card shows on up to five listing pages
// (home, source, each category level); html/template spends ~30 µs per
// card on reflection and escaping, so a site of 40,000 posts either renders
// 200,000 cards that way or keeps 40 MB of them between pages. Rendered by
// hand a card costs a few µs and need not be kept at all. An overridden
// card.html always goes through html/template.

// fastCards turns writeCard on; tests turn it off to exercise the cards
// kept for html/template (an overridden card.html).
var fastCards = true

// writeCard writes the embedded card template for v to buf.
func writeCard(buf *bytes.Buffer, v *postView) {
	href := attrEscape(normalizeURL(filterURL(v.Href)))
	buf.WriteString(`<article class="card"><a class="thumb" href="`)
	buf.WriteString(href)
	buf.WriteString(`" tabindex="-1" aria-hidden="true"><img class="cover" src="`)
	buf.WriteString(attrEscape(normalizeURL(string(v.Cover))))
	buf.WriteString(`" alt="" loading="lazy" decoding="async" referrerpolicy="no-referrer" width="640" height="360"></a><div class="card-body">`)
	if v.CatLinks != "" {
		buf.WriteString(`<p class="card-cats">`)
		buf.WriteString(string(v.CatLinks))
		buf.WriteString(`</p>`)
	}
	buf.WriteString(`<h2 class="card-title"><a href="`)
	buf.WriteString(href)
	buf.WriteString(`">`)
	buf.WriteString(attrEscape(v.Title))
	buf.WriteString(`</a></h2><p class="meta">`)
	buf.WriteString(string(v.SourceLink))
	buf.WriteString(`<time class="rel" datetime="`)
	buf.WriteString(attrEscape(v.ISO))
	buf.WriteString(`">`)
	buf.WriteString(attrEscape(v.Display))
	buf.WriteString("</time></p></div></article>\n")
}

// filterURL is html/template's urlFilter for a string: a URL with a scheme
// other than http, https or mailto becomes "#ZgotmplZ".
func filterURL(s string) string {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		if !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
			return "#ZgotmplZ"
		}
	}
	return s
}

// normalizeURL is html/template's urlNormalizer: bytes that may not appear
// in a URL are percent-encoded (lower-case hex), valid %XX escapes and
// reserved characters are kept.
func normalizeURL(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteByte('%')
		b.WriteByte(lowerHex[c>>4])
		b.WriteByte(lowerHex[c&15])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

const lowerHex = "0123456789abcdef"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// attrEscape is html/template's escaper for text and quoted attribute
// values (its htmlReplacementTable): NUL, quotes, &, +, < and >. Every
// byte it replaces is ASCII, which no multi-byte UTF-8 sequence contains, so
// it works on bytes; malformed UTF-8 passes through, as there.
func attrEscape(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteString(repl)
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// isEmbeddedCard reports whether src is the embedded card.html, which
// writeCard renders.
func isEmbeddedCard(src string) bool {
	b, err := embedded.ReadFile("templates/card.html")
	return err == nil && string(b) == src
}
