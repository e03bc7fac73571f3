// Package output holds what every writer of post files shares: atomic,
// write-only-when-changed files, YAML scalars that survive a round trip, and
// the HTML block that Markdown renderers pass through untouched.
package output

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RemoveTemp deletes temp files that a killed run may have left in dir.
func RemoveTemp(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// Quote returns s as a single-quoted YAML scalar, or a double-quoted one when
// s holds a line break or a control character (a single-quoted scalar would
// fold the break). Either form reads back as exactly s in js-yaml (Hexo),
// Hugo and go-yaml.
func Quote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\ufeff' }) >= 0 {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			switch r {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			default:
				if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
					fmt.Fprintf(&b, `\u%04x`, r)
				} else {
					b.WriteRune(r)
				}
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Scalar returns s unquoted when YAML reads it back as the same plain string
// (as the sample post writes `author: 趣头条`), else Quote(s). The test is
// conservative: it must start with a letter and hold only letters, digits
// and inner spaces/dashes/dots, and not be a YAML 1.1 bool or null word.
func Scalar(s string) string {
	if s == "" || !plainSafe(s) {
		return Quote(s)
	}
	return s
}

func plainSafe(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(first) || s[len(s)-1] == ' ' {
		return false // numbers, dates, indicators: keep them strings
	}
	for _, r := range s {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '.' || r == '_'):
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Han, r)):
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf":
		return false
	}
	return true
}

// HTMLBlock wraps a cleaned HTML body in the `<div>` block of
// docs/post-format.md ("One HTML block") so that
// Markdown renderers (Hexo's marked, Hugo's goldmark) pass it through as raw
// HTML. A CommonMark HTML block ends at the first blank line, after which the
// rest would be read as Markdown (indented lines turning into code blocks), so
// blank lines are removed: outside <pre> they are only white space; inside
// <pre> the line breaks are written as &#10;, which renders the same.
// Runs of three backticks or tildes are broken with an entity, because
// Hexo turns them into code blocks wherever they stand.
// With escapeBraces, { and } become &#123; and &#125; (docs/post-format.md, "Body", step 6), so
// Nunjucks (Hexo) and shortcodes (Hugo) never see {{, {% or {#.
func HTMLBlock(body string, escapeBraces bool) string {
	return string(AppendHTMLBlock(make([]byte, 0, len(body)+32), body, escapeBraces))
}

// AppendHTMLBlock appends HTMLBlock(body, escapeBraces) to dst, so that a
// writer building a whole post file copies the body once.
func AppendHTMLBlock(dst []byte, body string, escapeBraces bool) []byte {
	b := append(dst, "<div>\n"...)
	inPre := 0
	lineStart := true
	for i := 0; i < len(body); i++ {
		// Fast path: a run of bytes that need no decision (all of CJK text,
		// most of the markup) is copied in one go.
		if !blockSpecial[body[i]] {
			j := i + 1
			for j < len(body) && !blockSpecial[body[j]] {
				j++
			}
			b = append(b, body[i:j]...)
			lineStart = false
			i = j - 1
			continue
		}
		c := body[i]
		switch c {
		case '<':
			if hasTagPrefix(body[i:], "<pre") {
				inPre++
			} else if hasTagPrefix(body[i:], "</pre") && inPre > 0 {
				inPre--
			}
		case '\r':
			continue
		case '\n':
			if inPre > 0 {
				b = append(b, "&#10;"...)
				continue
			}
			if lineStart {
				continue // a blank line would end the HTML block
			}
			b = append(b, '\n')
			lineStart = true
			continue
		case ' ', '\t':
			if lineStart && inPre == 0 {
				continue // leading indentation means nothing in HTML but code in Markdown
			}
		case '`', '~':
			// Hexo's backtick_code_block filter turns ``` and ~~~ fences
			// into code blocks before any Markdown parsing, even inside
			// HTML; no run of three may survive.
			if i+2 < len(body) && body[i+1] == c && body[i+2] == c {
				b = append(b, "&#"...)
				b = strconv.AppendInt(b, int64(c), 10)
				b = append(b, ';')
				lineStart = false
				continue
			}
		case '{':
			if escapeBraces {
				b = append(b, "&#123;"...)
				lineStart = false
				continue
			}
		case '}':
			if escapeBraces {
				b = append(b, "&#125;"...)
				lineStart = false
				continue
			}
		}
		b = append(b, c)
		lineStart = false
	}
	if !lineStart {
		b = append(b, '\n')
	}
	return append(b, "</div>\n"...)
}

// blockSpecial marks the bytes HTMLBlock must look at one by one.
var blockSpecial = [256]bool{'<': true, '\r': true, '\n': true, ' ': true, '\t': true,
	'`': true, '~': true, '{': true, '}': true}

func hasTagPrefix(s, tag string) bool {
	if len(s) <= len(tag) || !strings.EqualFold(s[:len(tag)], tag) {
		return false
	}
	switch s[len(tag)] {
	case '>', ' ', '\t', '\n', '/':
		return true
	}
	return false
}
