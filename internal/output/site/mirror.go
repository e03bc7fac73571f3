package site

import (
	"strings"

	"github.com/feedpost/feedpost/internal/mirror"
)

// rebaseImages replaces, in s, prefix before the name of a mirrored image
// (a hex SHA-256, for a thumbnail its size, and an image extension) with
// to. Only such names are touched, so text that merely contains prefix
// stays as it is.
func rebaseImages(s, prefix, to string) string {
	if prefix == "" || !strings.Contains(s, prefix) {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; ; {
		j := strings.Index(s[i:], prefix)
		if j < 0 {
			break
		}
		start := i + j
		end := start + len(prefix)
		k := end
		for k < len(s) && (isHex(s[k]) || s[k] == '-' || s[k] == 'x' || s[k] == '.' || 'a' <= s[k] && s[k] <= 'z' || '0' <= s[k] && s[k] <= '9') {
			k++
		}
		if mirror.IsName(s[end:k]) && (start == 0 || !isNameByte(s[start-1], prefix)) {
			b.WriteString(s[last:start])
			b.WriteString(to)
			last = end
		}
		i = k
		if k == end {
			i = end
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isNameByte reports whether c, just before prefix, makes prefix part of a
// longer URL ("x/images/…" for the prefix "images/"); a prefix that starts
// with "/" or a scheme is never a continuation.
func isNameByte(c byte, prefix string) bool {
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "://") {
		return false
	}
	return c != '"' && c != '\'' && c != ' ' && c != ',' && c != '=' && c != '\t' && c != '\n'
}
