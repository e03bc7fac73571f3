// Package dedupe computes the keys that make the same story, arriving through
// several sources, one post (`dedupe: link | title | off`).
//
// Two items are the same story when their LinkKeys are equal (`dedupe: link`)
// or when their TitleKeys are equal and SameStory holds for their dates
// (`dedupe: title`). The keys are plain strings so the store can index them.
package dedupe

import (
	"cmp"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// TitleWindow is how far apart two items with the same normalised title may
// be published and still count as one story: news sites re-run a headline
// within a day or two, while the same title a week later ("早报", "周报") is
// usually a new story.
const TitleWindow = 48 * time.Hour

// trackingParams are query parameters that say how a reader reached the page,
// not which page it is. Matched case-insensitively; every `utm_*` counts too.
var trackingParams = map[string]bool{
	"spm": true, "from": true, "fbclid": true, "gclid": true,
	"_hsenc": true, "mc_cid": true, "mc_eid": true,
}

// LinkKey returns link normalised for cross-source dedupe, or "" when link is
// not an absolute http(s) URL. Links that differ only in what does not change
// the page a reader lands on get the same key:
//   - the scheme (http and https are the same story) and a leading "www.";
//   - the case of the host, a default port, user info and the fragment;
//   - tracking parameters (utm_*, spm, from, fbclid, gclid, _hsenc, mc_cid,
//     mc_eid) and the order of the other parameters;
//   - a trailing slash on the path;
//   - percent-encoding of unreserved characters and the case of escapes.
//
// The key is host + path + "?" + sorted query, without the scheme; it is a
// key, not a URL to fetch.
func LinkKey(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	host = strings.TrimPrefix(host, "www.")
	if host == "" {
		return ""
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		if strings.Contains(host, ":") { // IPv6 literal
			host = "[" + host + "]"
		}
		host += ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}

	path := normEscapes(u.EscapedPath())
	path = strings.TrimRight(path, "/")

	var b strings.Builder
	b.WriteString(host)
	b.WriteString(path)
	if q := normQuery(u.RawQuery); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String()
}

// normQuery drops tracking parameters and sorts the rest. Pairs are compared
// in their escaped form (normalised by normEscapes) so that a parameter that
// does not decode cleanly is still kept rather than lost.
func normQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var pairs []string
	for _, p := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(p, "=")
		if dn, err := url.QueryUnescape(name); err == nil {
			name = dn
		}
		name = strings.ToLower(name)
		if trackingParams[name] || strings.HasPrefix(name, "utm_") {
			continue
		}
		pairs = append(pairs, normEscapes(strings.ReplaceAll(p, "%20", "+")))
	}
	// Stable: the order of repeated names is kept (`a=2&a=1` is not
	// `a=1&a=2` for most servers).
	slices.SortStableFunc(pairs, func(a, b string) int { return cmp.Compare(pairName(a), pairName(b)) })
	return strings.Join(pairs, "&")
}

func pairName(p string) string {
	name, _, _ := strings.Cut(p, "=")
	return name
}

// normEscapes decodes percent-escapes of unreserved characters (RFC 3986
// §6.2.2.2: %7E is ~) and upper-cases the hex of the others, so that both
// spellings of one URL compare equal. Malformed escapes are left alone.
func normEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(s[i+1 : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// TitleKey returns title normalised for `dedupe: title`: HTML entities
// decoded, full-width forms folded to their narrow counterparts (ＡＢＣ１２３
// → abc123) and other compatibility forms by NFKC, lower-cased, and every
// punctuation mark, white space, control and format character (zero-width
// spaces included) removed — so "【快讯】苹果发布 iPhone！" and
// "快讯：苹果发布iPhone" agree. "" when nothing is left.
func TitleKey(title string) string {
	s := html.UnescapeString(title)
	s = width.Fold.String(s)
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Cc, unicode.Cf) {
			return -1
		}
		return r
	}, s)
}

// SameStory reports whether two items with equal TitleKeys, dated a and b,
// are the same story: published at most TitleWindow apart.
func SameStory(a, b time.Time) bool {
	d := a.Sub(b)
	if d < 0 {
		d = -d
	}
	return d <= TitleWindow
}
