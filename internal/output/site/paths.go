package site

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSegment bounds a folder name in bytes: file systems cap a name at 255
// bytes and a long Chinese category name uses three bytes a character.
const maxSegment = 150

// reserved are names the builder itself writes inside a category folder; a
// category with one of these names would collide with its parent's files.
var reserved = map[string]bool{
	"page": true, "index.html": true, "feed.xml": true, "atom.xml": true, "feed.json": true,
}

// segment turns a category name into a folder name. It keeps the real UTF-8
// name (a static file server maps /category/%E6%96%B0… to it), and only
// replaces what a file system or a URL path cannot carry as one segment:
// separators, characters Windows forbids, control characters (C1 included),
// line separators and BOMs, a leading dot (hidden files, `..`) and the
// builder's own reserved names. Names are bounded by maxSegment bytes.
func segment(name string) string {
	name = strings.TrimSpace(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', r == '\ufeff', strings.ContainsRune(`/\<>:"|?*`, r):
			b.WriteByte('-')
		default:
			b.WriteRune(r)
		}
	}
	s := truncate(b.String(), maxSegment)
	if s == "" {
		return "_"
	}
	if s[0] == '.' {
		s = "_" + s[1:]
	}
	if reserved[strings.ToLower(s)] {
		s = "_" + s
	}
	return s
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sourceSlug names a source's folder from its key. A key that already is a
// clean lower-case slug ("qutoutiao-1") is used as is; any other key (a URL,
// a route, mixed case) is folded to letters, digits and dashes and gets six
// hex digits of the key's SHA-256, so two keys that fold alike stay apart and
// the slug never depends on which other sources exist.
func sourceSlug(key string) string {
	k := key
	for _, p := range []string{"https://", "http://", "file://"} {
		k = strings.TrimPrefix(k, p)
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(k) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(truncate(b.String(), 60), "-")
	if s == key && s != "" {
		return s
	}
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:3])
	if s == "" {
		return "s-" + h
	}
	return s + "-" + h
}

// postSlug is the folder of a post: its ID, which post.ID makes 16 hex
// digits. Anything else (a caller building posts by hand) is hashed so that
// it can never escape the posts/ folder.
func postSlug(id string) string {
	ok := id != "" && len(id) <= 64
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
	}
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}

// escapeSegments path-escapes each "/"-separated segment of a folder path
// for use in an href.
func escapeSegments(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// splitBase checks Options.URL and returns it without a trailing slash
// (base of absolute URLs) and its path as the root of every href ("/" or
// "/news/"), so a site published under a sub-path links correctly.
func splitBase(raw string) (base, root string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "/", nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("site: site.url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("site: site.url %q must be an absolute http(s) URL without query or fragment", raw)
	}
	root = strings.TrimSuffix(u.EscapedPath(), "/") + "/"
	return strings.TrimSuffix(raw, "/"), root, nil
}
