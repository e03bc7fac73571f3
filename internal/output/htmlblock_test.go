package output

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// htmlBlockRef is HTMLBlock as it was before its fast path (one byte at a
// time): the fast path must not change a single output byte.
func htmlBlockRef(body string, escapeBraces bool) string {
	var b strings.Builder
	b.Grow(len(body) + 32)
	b.WriteString("<div>\n")
	inPre := 0
	lineStart := true
	for i := 0; i < len(body); i++ {
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
				b.WriteString("&#10;")
				continue
			}
			if lineStart {
				continue // a blank line would end the HTML block
			}
			b.WriteByte('\n')
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
				fmt.Fprintf(&b, "&#%d;", c)
				lineStart = false
				continue
			}
		case '{':
			if escapeBraces {
				b.WriteString("&#123;")
				lineStart = false
				continue
			}
		case '}':
			if escapeBraces {
				b.WriteString("&#125;")
				lineStart = false
				continue
			}
		}
		b.WriteByte(c)
		lineStart = false
	}
	if !lineStart {
		b.WriteByte('\n')
	}
	b.WriteString("</div>\n")
	return b.String()
}

func TestHTMLBlockSameAsByteByByte(t *testing.T) {
	pieces := []string{"<pre>", "</pre>", "<PRE class=x>", "</pre >", "<p>", "</p>", "<prefix>", "\n", "\r\n", "\n\n",
		"  ", "\t", "``", "```", "~~~", "~", "{", "}", "{{", "}}", "中文内容", "text", " a ", "<img src=\"x\">", "&amp;"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 5000; n++ {
		var sb strings.Builder
		for k := r.IntN(12); k >= 0; k-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		in := sb.String()
		for _, esc := range []bool{false, true} {
			if got, want := HTMLBlock(in, esc), htmlBlockRef(in, esc); got != want {
				t.Fatalf("HTMLBlock(%q, %v) = %q, byte by byte gives %q", in, esc, got, want)
			}
		}
	}
}

func BenchmarkHTMLBlock(b *testing.B) {
	body := strings.Repeat("<p>武汉经济开发区支行2小时内搭建临时办公场所，迅速恢复办公。<img src=\"http://x.example/a.jpg\" loading=\"lazy\"></p>\n", 60)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		HTMLBlock(body, true)
	}
}
