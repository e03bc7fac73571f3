package content

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// urlKind says which schemes an attribute may carry.
type urlKind uint8

const (
	linkURL  urlKind = iota // http, https, mailto, tel
	imageURL                // http, https, data:image/{png,gif,jpeg,webp}
	mediaURL                // http, https
)

// resolve makes raw absolute against the cleaner's base and checks its
// scheme against kind. Protocol-relative URLs get https: (the posts are
// served over https, and an http: guess would be mixed content).
func (c *cleaner) resolve(raw string, kind urlKind) (string, bool) {
	s := normURL(raw)
	if s == "" {
		return "", false
	}
	if strings.HasPrefix(s, "//") {
		s = "https:" + s
	}
	scheme := schemeOf(s)
	if c.local != nil && kind == imageURL && (scheme == "" || scheme == "file") {
		// The image of a local feed: relative to the feed file.
		ref, err := url.Parse(s)
		if err != nil {
			return "", false
		}
		u := c.local.ResolveReference(ref)
		if !strings.EqualFold(u.Scheme, "file") || (u.Host != "" && u.Host != "localhost") {
			return "", false
		}
		return u.String(), true
	}
	if scheme == "" {
		if c.base == nil {
			return "", false
		}
		ref, err := url.Parse(s)
		if err != nil {
			return "", false
		}
		s = c.base.ResolveReference(ref).String()
		scheme = schemeOf(s)
	}
	switch scheme {
	case "http", "https":
		return s, true
	case "mailto":
		return s, kind == linkURL
	case "tel":
		return s, kind == linkURL && validTel(s)
	case "data":
		return s, kind == imageURL && isDataImage(s)
	}
	return "", false
}

// normURL prepares an attribute value the way a browser's URL parser does
// before looking at the scheme: leading and trailing C0 controls and spaces
// are trimmed and tabs and newlines anywhere are removed. Judging the scheme
// on anything else would let "jav&#x09;ascript:" through.
func normURL(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	s = s[i:j]
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// schemeOf returns the lower-cased scheme of s, or "" when s is relative
// (the URL standard's rule: a letter, then letters, digits, + - or ., then
// a colon).
func schemeOf(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i])
		default:
			return ""
		}
	}
	return ""
}

// isDataImage accepts raster data: images only; data:image/svg+xml can carry
// script and data:text/html is a page of its own.
func isDataImage(s string) bool {
	for _, t := range [...]string{"png", "gif", "jpeg", "jpg", "webp"} {
		p := "data:image/" + t
		if hasPrefixFold(s, p) && len(s) > len(p) && (s[len(p)] == ';' || s[len(p)] == ',') {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// srcset resolves, checks and proxies every candidate of a srcset value,
// keeping the descriptors; invalid candidates are dropped. It also returns
// the first candidate's original URL, for an <img> with no other source.
// The value is split as the HTML standard's srcset parser does: a URL runs
// to the next white space (so commas inside data: URLs survive), its
// descriptors to the next comma outside parentheses.
func (c *cleaner) srcset(s string) (out, first string) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		u, desc := s[i:j], ""
		i = j
		if strings.HasSuffix(u, ",") {
			u = strings.TrimRight(u, ",")
		} else {
			depth := 0
			for j < len(s) && (depth > 0 || s[j] != ',') {
				switch s[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
				j++
			}
			desc = strings.Join(strings.Fields(s[i:j]), " ")
			i = j
		}
		if !validDescriptors(desc) {
			continue
		}
		abs, ok := c.resolve(u, imageURL)
		if !ok {
			continue
		}
		mapped := ProxyImage(abs, c.opt)
		if mapped == "" {
			continue
		}
		if first == "" {
			first = abs
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mapped)
		if desc != "" {
			b.WriteByte(' ')
			b.WriteString(desc)
		}
	}
	return b.String(), first
}

// isDecimal accepts "2", "1.5", ".5": the numbers srcset descriptors use.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case '0' <= s[i] && s[i] <= '9':
			digits++
		case s[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// validDescriptors accepts "", "2x", "1.5x", "640w" and "640w 480h".
func validDescriptors(d string) bool {
	if d == "" {
		return true
	}
	parts := strings.Fields(d)
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		n := len(p) - 1
		if n < 1 || (p[n] != 'w' && p[n] != 'x' && p[n] != 'h') {
			return false
		}
		if !isDecimal(p[:n]) {
			return false
		}
	}
	return true
}

// ProxyImage routes one image URL through opt.ProxyURL when it is inside
// opt.ProxyScope: "http" (also the meaning of "") proxies plain-http URLs
// only, "all" http and https, "none" nothing. data: URLs and a nil ProxyURL
// leave u unchanged. A file: URL (the image of a local feed) goes to
// opt.LocalImage, and is "" without one. "" means the image must go. Used
// for body images inside Clean and for covers.
func ProxyImage(u string, opt Options) string {
	if hasPrefixFold(u, "file:") {
		if opt.LocalImage == nil {
			return ""
		}
		return opt.LocalImage(u)
	}
	if opt.ProxyURL == nil || u == "" {
		return u
	}
	switch schemeOf(u) {
	case "http":
		if opt.ProxyScope == "" || opt.ProxyScope == "http" || opt.ProxyScope == "all" {
			return opt.ProxyURL(u)
		}
	case "https":
		if opt.ProxyScope == "all" {
			return opt.ProxyURL(u)
		}
	}
	return u
}

// PrefixProxy returns the proxy of a prefix-style image proxy such as a
// Cloudflare worker: the proxied URL is the prefix followed by the original
// URL exactly as it is, not URL-encoded (that is what the sample post shows
// and what such workers expect). An empty prefix means no proxy: nil.
func PrefixProxy(prefix string) func(string) string {
	if prefix == "" {
		return nil
	}
	return func(u string) string { return prefix + u }
}

// SafeURL percent-encodes, in a URL written into front matter (the cover, the
// item's link), the characters a theme printing it raw into an attribute
// would read as markup — `"`, `'`, `<`, `>`, the backtick and white space —
// and the controls, separators and BOM that YAML parsers read differently
// (see output.Quote). A browser reads the result as the same URL: its URL
// parser encodes these characters itself (but for `'` in a query).
func SafeURL(u string) string {
	if strings.IndexFunc(u, unsafeURLRune) < 0 {
		return u
	}
	var b strings.Builder
	for _, r := range u {
		if !unsafeURLRune(r) {
			b.WriteRune(r)
			continue
		}
		var buf [utf8.UTFMax]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}

func unsafeURLRune(r rune) bool {
	switch r {
	case '"', '\'', '<', '>', '`', ' ', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff':
		return true
	}
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}
