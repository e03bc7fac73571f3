package parse

import (
	"html"
	"strings"

	ext "github.com/mmcdole/gofeed/extensions"
)

// mediaDescription is the body of an item that has no other: the first
// non-empty media:description (Media RSS) of the item, of its media:group,
// or of a media:content — YouTube's feeds and many video and photo feeds
// carry their text only there. It is plain text unless type="html" says
// otherwise, and is returned as HTML (see textHTML); "" when there is none.
func mediaDescription(exts ext.Extensions) string {
	m := exts["media"]
	if m == nil {
		return ""
	}
	candidates := m["description"]
	contents := m["content"]
	for _, g := range m["group"] {
		candidates = append(candidates, g.Children["description"]...)
		contents = append(contents, g.Children["content"]...)
	}
	for _, c := range contents {
		candidates = append(candidates, c.Children["description"]...)
	}
	for _, d := range candidates {
		if strings.TrimSpace(d.Value) == "" {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(d.Attrs["type"]), "html") {
			return d.Value
		}
		return textHTML(d.Value)
	}
	return ""
}

// textHTML turns a plain-text description into HTML: escaped, its line
// breaks kept as <br>, and http(s) URLs made links (YouTube descriptions are
// mostly links). The content stage sanitises the result like any body.
func textHTML(text string) string {
	text = strings.TrimSpace(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text))
	var b strings.Builder
	b.Grow(len(text) + len(text)/4)
	b.WriteString("<p>")
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString("<br>")
		}
		linkify(&b, strings.TrimSpace(line))
	}
	b.WriteString("</p>")
	return b.String()
}

// linkify writes s escaped, with every http(s) URL in it as a link. A URL
// ends at white space, at a character that cannot be in one unescaped
// (< > " ' and anything outside ASCII, so that "见https://x.cn/a，谢谢" links
// only the URL), and does not take trailing punctuation, nor a closing
// bracket it did not open.
func linkify(b *strings.Builder, s string) {
	for {
		i := indexURL(s)
		if i < 0 {
			b.WriteString(html.EscapeString(s))
			return
		}
		b.WriteString(html.EscapeString(s[:i]))
		end := i
		for end < len(s) && isURLByte(s[end]) {
			end++
		}
		u := trimURL(s[i:end])
		esc := html.EscapeString(u)
		if strings.Index(u, "://")+3 == len(u) { // only the scheme was left
			b.WriteString(esc)
		} else {
			b.WriteString(`<a href="` + esc + `">` + esc + `</a>`)
		}
		s = s[i+len(u):]
	}
}

// indexURL finds the next "http://" or "https://" (in any case) followed
// by a URL character; -1 when there is none.
func indexURL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != 'h' && s[i] != 'H' {
			continue
		}
		for _, scheme := range []string{"https://", "http://"} {
			if n := len(scheme); len(s) > i+n && asciiEqualFold(s[i:i+n], scheme) && isURLByte(s[i+n]) {
				return i
			}
		}
	}
	return -1
}

// asciiEqualFold is strings.EqualFold for an ASCII pattern, byte by byte (no
// Unicode folding: "ſ" must not match "s").
func asciiEqualFold(s, pattern string) bool {
	for i := range len(pattern) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != pattern[i] {
			return false
		}
	}
	return true
}

func isURLByte(c byte) bool {
	return c > ' ' && c < 0x7F && c != '<' && c != '>' && c != '"' && c != '\''
}

// trimURL drops trailing punctuation and unbalanced closing brackets.
func trimURL(u string) string {
	for len(u) > 0 {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?*", last) >= 0:
			u = u[:len(u)-1]
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"),
			last == ']' && strings.Count(u, "[") < strings.Count(u, "]"),
			last == '}' && strings.Count(u, "{") < strings.Count(u, "}"):
			u = u[:len(u)-1]
		default:
			return u
		}
	}
	return u
}
