package content

import (
	"encoding/xml"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

const testBase = "http://example.com/dir/page.html"

var testProxy = PrefixProxy("https://proxy.test/?")

func TestCleanSanitise(t *testing.T) {
	opt := Options{IframeHosts: []string{"www.youtube.com", "player.bilibili.com"}}
	tests := []struct {
		name, in, want string
	}{
		{"script", `<p>a<script>alert(1)</script>b</p>`, `<p>ab</p>`},
		{"script upper case", `<SCRIPT type="text/javascript">alert(1)</SCRIPT>ok`, `ok`},
		{"self-closing script", `<script src="x.js"/>alert(1)</script>ok`, `ok`},
		{"style", `<style>p{color:red}</style><p>x</p>`, `<p>x</p>`},
		{"svg", `<svg><circle r="1"/><title>t</title></svg>ok`, `ok`},
		{"unclosed svg ends at html element", `<svg><g>x<p>back</p>`, `<p>back</p>`},
		{"self-closing svg", `<svg/>ok`, `ok`},
		{"math", `<math><mi>x</mi></math>ok`, `ok`},
		{"object and embed", `<object data="x.swf"><param name="a" value="b"><embed src="x.swf">fallback</object>ok`, `ok`},
		{"nested removed elements", `<object><object>a</object>b</object>c<svg><svg></svg>x</svg>ok`, `cok`},
		{"embed alone", `<embed src="x.swf">ok`, `ok`},
		{"form keeps text, drops controls", `<form action="/x"><p>t</p><input name="q"><button>go</button><select><option>1</option></select><textarea>hi</textarea></form>`, `<p>t</p>`},
		{"base meta link", `<base href="http://evil/"><meta http-equiv="refresh" content="0"><link rel="stylesheet" href="x.css">ok`, `ok`},
		{"head with title", `<html><head><title>t</title><meta charset="utf-8"></head><body><p>x</p></body></html>`, `<p>x</p>`},
		{"unclosed head", `<head><title>t</title><p>x</p>`, `<p>x</p>`},
		{"noscript", `<noscript><img src="http://a/b.jpg"></noscript>ok`, `ok`},
		{"template", `<template><p>x</p></template>ok`, `ok`},
		{"frameset", `<frameset><frame src="http://a/"></frameset>ok`, `ok`},
		{"iframe not allowed", `<iframe src="https://evil.example/x">fb</iframe>ok`, `ok`},
		{"iframe allowed", `<iframe src="https://www.youtube.com/embed/x" width="560" height="315" frameborder="0" allowfullscreen onload="x()">fb</iframe>ok`,
			`<iframe src="https://www.youtube.com/embed/x" width="560" height="315" allowfullscreen sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe>ok`},
		{"iframe host case", `<iframe src="https://WWW.YouTube.com/embed/x"></iframe>`,
			`<iframe src="https://WWW.YouTube.com/embed/x" sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe>`},
		{"iframe protocol-relative", `<iframe src="//player.bilibili.com/player.html?aid=1"></iframe>`,
			`<iframe src="https://player.bilibili.com/player.html?aid=1" sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe>`},
		{"iframe self-closing", `<iframe src="https://www.youtube.com/embed/x"/>fb</iframe>after`,
			`<iframe src="https://www.youtube.com/embed/x" sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe>after`},
		{"iframe http refused", `<iframe src="http://www.youtube.com/embed/x"></iframe>ok`, `ok`},
		{"iframe userinfo trick", `<iframe src="https://www.youtube.com@evil.example/x"></iframe>ok`, `ok`},
		{"iframe subdomain not allowed", `<iframe src="https://evil.www.youtube.com/x"></iframe>ok`, `ok`},
		{"style attribute", `<p style="color:red" class="c" id="i">x</p>`, `<p>x</p>`},
		{"unknown tag keeps children", `<font color="red"><center>x</center></font><custom-el>y</custom-el>`, `xy`},
		{"comment and doctype", `<!DOCTYPE html><!-- c --><p>x</p>`, `<p>x</p>`},
		{"table", `<table><tr><td colspan="2" rowspan="x" align="left">a</td></tr></table>`, `<table><tr><td colspan="2" rowspan="x">a</td></tr></table>`},
		{"lists and code", `<ol start="3" reversed><li value="4">a</li></ol><pre><code class="go">x := 1</code></pre>`, `<ol start="3" reversed><li value="4">a</li></ol><pre><code>x := 1</code></pre>`},
		{"figure", `<figure><img src="http://a/b.jpg" alt="x"><figcaption>cap</figcaption></figure>`, `<figure><img src="http://a/b.jpg" alt="x" loading="lazy"><figcaption>cap</figcaption></figure>`},
		{"video with sources", `<video src="/v.mp4" poster="/p.jpg" autoplay onplay="x"><source src="v.webm" type="video/webm"><track src="s.vtt" kind="subtitles">fallback</video>`,
			`<video src="http://example.com/v.mp4" poster="http://example.com/p.jpg" controls><source src="http://example.com/dir/v.webm" type="video/webm"><track src="http://example.com/dir/s.vtt" kind="subtitles">fallback</video>`},
		{"audio", `<audio src="http://a/x.mp3"></audio>`, `<audio src="http://a/x.mp3" controls></audio>`},
		{"quote cite", `<blockquote cite="/q">x</blockquote><q cite="javascript:x">y</q>`, `<blockquote cite="http://example.com/q">x</blockquote><q>y</q>`},
		{"hidden text stays text", `<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`, `<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{"plaintext content is escaped", `<plaintext><b>x`, `&lt;b&gt;x`},
		{"duplicate attribute: first wins", `<a href="http://a/" href="javascript:x">x</a>`, `<a href="http://a/" rel="noopener noreferrer">x</a>`},
		{"attribute quoting", `<img src="http://a/b.jpg" alt='say "hi" &amp; <b>'>`, `<img src="http://a/b.jpg" alt="say &#34;hi&#34; &amp; &lt;b&gt;" loading="lazy">`},
		{"self-closing non-void", `<div/><p>x</p>`, `<div></div><p>x</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Clean(tt.in, testBase, opt)
			if got != tt.want {
				t.Errorf("Clean(%q)\n got  %q\n want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanEventHandlers(t *testing.T) {
	handlers := []string{"onclick", "onload", "onerror", "onmouseover", "onfocus", "onblur",
		"onanimationstart", "onpointerdown", "ontoggle", "onbegin", "OnClick", "ONERROR"}
	for _, h := range handlers {
		for _, tag := range []string{"p", "a", "img", "div", "video", "details"} {
			in := `<` + tag + ` src="http://a/b.jpg" href="http://a/" ` + h + `="alert(1)">x</` + tag + `>`
			got, _ := Clean(in, testBase, Options{})
			if strings.Contains(got, "alert") {
				t.Errorf("Clean(%q) = %q: handler survived", in, got)
			}
			checkSafe(t, got)
		}
	}
}

func TestCleanDangerousURLs(t *testing.T) {
	bad := []string{
		"javascript:alert(1)",
		"JaVaScRiPt:alert(1)",
		"  javascript:alert(1)",
		"\x01javascript:alert(1)",
		"jav&#x09;ascript:alert(1)",
		"jav&Tab;ascript:alert(1)",
		"java\nscript:alert(1)",
		"&#106;avascript:alert(1)",
		"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
		"vbscript:msgbox(1)",
		"VBScript:msgbox(1)",
		"data:text/html,<script>alert(1)</script>",
		"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
		" DATA:text/html,x",
		"data:image/svg+xml,<svg onload=alert(1)>",
		"file:///etc/passwd",
	}
	for _, u := range bad {
		for _, tmpl := range []string{`<a href="%s">x</a>`, `<img src="%s">`, `<img src="http://a/ok.jpg" srcset="%s 2x">`,
			`<video poster="%s" src="%s"></video>`, `<blockquote cite="%s">q</blockquote>`} {
			in := strings.ReplaceAll(tmpl, "%s", u)
			got, _ := Clean(in, testBase, Options{})
			low := strings.ToLower(got)
			for _, s := range []string{"script", "data:", "file:"} {
				if strings.Contains(low, s) {
					t.Errorf("Clean(%q) = %q: contains %q", in, got, s)
				}
			}
		}
	}
	// Links keep mailto, images keep raster data: URLs, unproxied.
	got, first := Clean(`<a href="mailto:a@b.c">m</a><img src="data:image/png;base64,iVBORw0KGgo=">`, testBase,
		Options{ProxyURL: testProxy, ProxyScope: "all"})
	want := `<a href="mailto:a@b.c" rel="noopener noreferrer">m</a><img src="data:image/png;base64,iVBORw0KGgo=" loading="lazy">`
	if got != want || first != "" {
		t.Errorf("got %q, %q\nwant %q, \"\"", got, first, want)
	}
	if got, _ := Clean(`<a href="tel:123">t</a><img src="data:image/png;base64,AA==">`, testBase, Options{}); got != `<a>t</a><img src="data:image/png;base64,AA==" loading="lazy">` {
		t.Errorf("tel: link or data:image img: got %q", got)
	}
}

func TestCleanLazyImages(t *testing.T) {
	tests := []struct {
		name, in, want, first string
	}{
		{"data-src no src", `<img data-src="http://a/real.jpg">`, `<img src="http://a/real.jpg" loading="lazy">`, "http://a/real.jpg"},
		{"data-src over placeholder", `<img src="http://a/placeholder.gif" data-src="http://a/real.jpg">`, `<img src="http://a/real.jpg" loading="lazy">`, "http://a/real.jpg"},
		{"data-src over data: placeholder", `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/real.jpg">`, `<img src="http://example.com/real.jpg" loading="lazy">`, "http://example.com/real.jpg"},
		{"data-original", `<img src="x.gif" data-original="http://a/o.jpg">`, `<img src="http://a/o.jpg" loading="lazy">`, "http://a/o.jpg"},
		{"data-lazy-src", `<img data-lazy-src="http://a/l.jpg">`, `<img src="http://a/l.jpg" loading="lazy">`, "http://a/l.jpg"},
		{"data-actualsrc", `<img src="x.gif" data-actualsrc="http://a/z.jpg">`, `<img src="http://a/z.jpg" loading="lazy">`, "http://a/z.jpg"},
		{"data-url", `<img data-url="http://a/u.jpg">`, `<img src="http://a/u.jpg" loading="lazy">`, "http://a/u.jpg"},
		{"invalid lazy keeps src", `<img src="http://a/s.jpg" data-src="javascript:x">`, `<img src="http://a/s.jpg" loading="lazy">`, "http://a/s.jpg"},
		{"data-srcset", `<img src="http://a/s.jpg" srcset="p.gif 1x" data-srcset="/a.jpg 1x, /b.jpg 2x">`,
			`<img src="http://a/s.jpg" srcset="http://example.com/a.jpg 1x, http://example.com/b.jpg 2x" loading="lazy">`, "http://a/s.jpg"},
		{"srcset only", `<img srcset="/a.jpg 480w, /b.jpg 800w" sizes="50vw">`,
			`<img src="http://example.com/a.jpg" srcset="http://example.com/a.jpg 480w, http://example.com/b.jpg 800w" sizes="50vw" loading="lazy">`, "http://example.com/a.jpg"},
		{"no source", `<p><img alt="x"></p>`, `<p></p>`, ""},
		{"placeholder data: kept without lazy attr", `<img src="data:image/gif;base64,R0lGOD">`, `<img src="data:image/gif;base64,R0lGOD" loading="lazy">`, ""},
		{"first image is the first surviving one", `<img width="1" height="1" src="http://t/p.gif"><img src="javascript:x"><img src="/2.jpg"><img src="/3.jpg">`,
			`<img src="http://example.com/2.jpg" loading="lazy"><img src="http://example.com/3.jpg" loading="lazy">`, "http://example.com/2.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, first := Clean(tt.in, testBase, Options{})
			if got != tt.want || first != tt.first {
				t.Errorf("Clean(%q)\n got  %q, %q\n want %q, %q", tt.in, got, first, tt.want, tt.first)
			}
		})
	}
}

func TestCleanSrcset(t *testing.T) {
	opt := Options{ProxyURL: testProxy, ProxyScope: "http"}
	in := `<img src="a.jpg" srcset="a.jpg, //cdn.test/b.jpg 2x,/c.jpg 1.5x, https://d.test/d.jpg   640w  480h ,javascript:x 3x, data:image/png;base64,AA== 4x, e.jpg bad">`
	got, _ := Clean(in, testBase, opt)
	want := `<img src="https://proxy.test/?http://example.com/dir/a.jpg" srcset="` +
		`https://proxy.test/?http://example.com/dir/a.jpg, https://cdn.test/b.jpg 2x, https://proxy.test/?http://example.com/c.jpg 1.5x, ` +
		`https://d.test/d.jpg 640w 480h, data:image/png;base64,AA== 4x" loading="lazy">`
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// <source> inside <picture>: srcset is an image (proxied), src is media.
	got, first := Clean(`<picture><source srcset="http://a/x.webp 1x, http://a/y.webp 2x" type="image/webp"><source srcset="javascript:x"><img src="http://a/x.jpg"></picture>`, testBase, opt)
	want = `<picture><source srcset="https://proxy.test/?http://a/x.webp 1x, https://proxy.test/?http://a/y.webp 2x" type="image/webp"><img src="https://proxy.test/?http://a/x.jpg" loading="lazy"></picture>`
	if got != want || first != "http://a/x.jpg" {
		t.Errorf("picture: got %q, %q\nwant %q", got, first, want)
	}
}

func TestCleanRelativeURLs(t *testing.T) {
	tests := []struct{ base, in, want string }{
		{testBase, "/a.jpg", "http://example.com/a.jpg"},
		{testBase, "a.jpg", "http://example.com/dir/a.jpg"},
		{testBase, "../a.jpg", "http://example.com/a.jpg"},
		{testBase, "./x/../a.jpg?x=1&y=2", "http://example.com/dir/a.jpg?x=1&amp;y=2"},
		{testBase, "//cdn.test/x.jpg", "https://cdn.test/x.jpg"},
		{"https://secure.test/feed", "a.jpg", "https://secure.test/a.jpg"},
		{testBase, "  HTTP://Up.Test/a.jpg  ", "HTTP://Up.Test/a.jpg"},
		{testBase, "http://a/中文.jpg", "http://a/中文.jpg"},
	}
	for _, tt := range tests {
		got, _ := Clean(`<img src="`+tt.in+`">`, tt.base, Options{})
		want := `<img src="` + tt.want + `" loading="lazy">`
		if got != want {
			t.Errorf("base %q src %q: got %q, want %q", tt.base, tt.in, got, want)
		}
		got, _ = Clean(`<a href="`+tt.in+`">x</a>`, tt.base, Options{})
		want = `<a href="` + tt.want + `" rel="noopener noreferrer">x</a>`
		if got != want {
			t.Errorf("base %q href %q: got %q, want %q", tt.base, tt.in, got, want)
		}
	}
	// Without a usable base, relative URLs cannot be resolved and go.
	for _, base := range []string{"", "not a url", "/relative/base", "javascript:alert(1)", "file:///tmp/feed.xml"} {
		got, first := Clean(`<img src="a.jpg"><a href="/x">t</a><img src="//cdn.test/b.jpg">`, base, Options{})
		want := `<a>t</a><img src="https://cdn.test/b.jpg" loading="lazy">`
		if got != want || first != "https://cdn.test/b.jpg" {
			t.Errorf("base %q: got %q, %q, want %q", base, got, first, want)
		}
	}
}

func TestCleanProxyScope(t *testing.T) {
	in := `<img src="http://a/1.jpg"><img src="https://a/2.jpg"><img src="data:image/png;base64,AA==">`
	p := "https://proxy.test/?"
	tests := []struct {
		scope string
		proxy func(string) string
		want  []string
	}{
		{"http", testProxy, []string{p + "http://a/1.jpg", "https://a/2.jpg", "data:image/png;base64,AA=="}},
		{"", testProxy, []string{p + "http://a/1.jpg", "https://a/2.jpg", "data:image/png;base64,AA=="}},
		{"all", testProxy, []string{p + "http://a/1.jpg", p + "https://a/2.jpg", "data:image/png;base64,AA=="}},
		{"none", testProxy, []string{"http://a/1.jpg", "https://a/2.jpg", "data:image/png;base64,AA=="}},
		{"all", nil, []string{"http://a/1.jpg", "https://a/2.jpg", "data:image/png;base64,AA=="}},
	}
	for _, tt := range tests {
		got, first := Clean(in, testBase, Options{ProxyURL: tt.proxy, ProxyScope: tt.scope})
		if srcs := imgSrcs(t, got); !slices.Equal(srcs, tt.want) {
			t.Errorf("scope %q: srcs %q, want %q", tt.scope, srcs, tt.want)
		}
		if first != "http://a/1.jpg" {
			t.Errorf("scope %q: first image %q, want the unproxied URL", tt.scope, first)
		}
	}
	if got := ProxyImage("https://a/x.jpg", Options{ProxyURL: testProxy, ProxyScope: "all"}); got != p+"https://a/x.jpg" {
		t.Errorf("ProxyImage all: %q", got)
	}
	if got := ProxyImage("https://a/x.jpg", Options{ProxyURL: testProxy, ProxyScope: "http"}); got != "https://a/x.jpg" {
		t.Errorf("ProxyImage http on https URL: %q", got)
	}
	if PrefixProxy("") != nil {
		t.Error("PrefixProxy(\"\") should mean no proxy (nil)")
	}
	if got := PrefixProxy("https://w.test/?")("http://a/b.jpg?x=1&y=%20"); got != "https://w.test/?http://a/b.jpg?x=1&y=%20" {
		t.Errorf("PrefixProxy must not encode the URL: %q", got)
	}
}

func TestCleanReferrerAndLinks(t *testing.T) {
	got, _ := Clean(`<img src="http://a/1.jpg" referrerpolicy="unsafe-url" loading="eager"><a href="http://a/" rel="opener" target="_self">x</a><a name="n">y</a><a href="vbscript:x">z</a>`,
		testBase, Options{NoReferrer: true})
	want := `<img src="http://a/1.jpg" referrerpolicy="no-referrer" loading="lazy"><a href="http://a/" rel="noopener noreferrer">x</a><a>y</a><a>z</a>`
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got, _ = Clean(`<img src="http://a/1.jpg">`, testBase, Options{NoReferrer: false})
	if strings.Contains(got, "referrerpolicy") {
		t.Errorf("NoReferrer false still adds referrerpolicy: %q", got)
	}
}

func TestCleanTrackingPixels(t *testing.T) {
	removed := []string{
		`<img src="http://t/p.gif" width="1" height="1">`,
		`<img src="http://t/p.gif" height="1" width="1" alt="">`,
		`<img src="http://t/p.gif" width="0" height="0">`,
		`<img src="http://t/p.gif" width="0">`,
		`<img src="http://t/p.gif" width=" 1px " height="1px">`,
	}
	for _, in := range removed {
		if got, first := Clean(in, testBase, Options{}); got != "" || first != "" {
			t.Errorf("Clean(%q) = %q, %q: tracking pixel kept", in, got, first)
		}
	}
	kept := []string{
		`<img src="http://t/a.gif" width="1" height="100">`,
		`<img src="http://t/a.gif" width="1">`,
		`<img src="http://t/a.gif" width="100%" height="1">`,
	}
	for _, in := range kept {
		if got, _ := Clean(in, testBase, Options{}); got == "" {
			t.Errorf("Clean(%q) removed an image that is not a pixel", in)
		}
	}
}

func TestCleanStructure(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unclosed tags closed", `<div><p><b>bold<i>it`, `<div><p><b>bold<i>it</i></b></p></div>`},
		{"stray end tags dropped", `</p></div>x</b>`, `x`},
		{"misnested", `<b><i>x</b>y</i>`, `<b><i>x</i></b>y`},
		{"implicit p end", `<p>a<p>b<div>c</div>`, `<p>a</p><p>b</p><div>c</div>`},
		{"p in table cell", `<p><table><tr><td><p>x<p>y</td></tr></table>`, `<p></p><table><tr><td><p>x</p><p>y</p></td></tr></table>`},
		{"void tags", `<br/><hr><br></br>`, `<br><hr><br>`},
		{"entities and CJK byte-exact", `<p>a &amp; b &lt;c&gt; d&nbsp;e 中文“引号”，标点。</p>`, `<p>a &amp; b &lt;c&gt; d&nbsp;e 中文“引号”，标点。</p>`},
		{"double escape avoided", `<p>&amp;amp; &amp;lt;</p>`, `<p>&amp;amp; &amp;lt;</p>`},
		{"no blank line outside pre", "<p>a</p>\n\n  \n<p>b\n\n\nc</p>\n", "<p>a</p>\n  <p>b\nc</p>"},
		{"blank lines in pre kept as entities", "<pre>a\n\n\nb</pre>", "<pre>a\n&#10;\nb</pre>"},
		{"blank line across a removed comment", "a\n<!-- x -->\nb", "a\nb"},
		{"newline in attribute", "<img src=\"http://a/b.jpg\" alt=\"x\n\ny\">", `<img src="http://a/b.jpg" alt="x&#10;&#10;y" loading="lazy">`},
		{"NUL dropped from text", "<p>a\x00b</p>", "<p>ab</p>"},
		{"leading and trailing space trimmed", "\n\n <p>x</p> \n\n", "<p>x</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Clean(tt.in, testBase, Options{})
			if got != tt.want {
				t.Errorf("Clean(%q)\n got  %q\n want %q", tt.in, got, tt.want)
			}
			if hasBlankLine(got) {
				t.Errorf("Clean(%q) = %q has a blank line", tt.in, got)
			}
		})
	}
}

func TestCleanCombined(t *testing.T) {
	in := `<div class="article" onclick="x()"><script>track()</script>
<p style="x">引言 <a href="/story?id=1&amp;p=2" target="_blank">原文</a></p>
<img class="lazy" src="data:image/gif;base64,R0lGOD" data-original="//img.test/a.jpg" width="640" height="480">
<img src="http://stats.test/pixel.gif" width="1" height="1">
<p><img src="../b.png" srcset="../b.png 1x, ../b@2x.png 2x" onerror="x()"></p>
<iframe src="https://www.youtube.com/embed/abc"></iframe></div>`
	opt := Options{ProxyURL: testProxy, ProxyScope: "http", NoReferrer: true, IframeHosts: []string{"www.youtube.com"}}
	got, first := Clean(in, "http://news.test/a/b/item.html", opt)
	want := `<div>
<p>引言 <a href="http://news.test/story?id=1&amp;p=2" rel="noopener noreferrer">原文</a></p>
<img src="https://img.test/a.jpg" width="640" height="480" referrerpolicy="no-referrer" loading="lazy">
<p><img src="https://proxy.test/?http://news.test/a/b.png" srcset="https://proxy.test/?http://news.test/a/b.png 1x, https://proxy.test/?http://news.test/a/b@2x.png 2x" referrerpolicy="no-referrer" loading="lazy"></p>
<iframe src="https://www.youtube.com/embed/abc" sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe></div>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if first != "https://img.test/a.jpg" {
		t.Errorf("first image %q", first)
	}
}

// TestCleanSample checks docs/post-format.md's "Equivalence with the sample"
// on the bundled sample: the first item's body must give the reference
// post's image src list, in order.
func TestCleanSample(t *testing.T) {
	feed, err := os.ReadFile("../../testdata/sample/qutoutiao-category-1.xml")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile("../../testdata/sample/reference-post.md")
	if err != nil {
		t.Fatal(err)
	}
	var rss struct {
		Items []struct {
			Link        string `xml:"link"`
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(feed, &rss); err != nil || len(rss.Items) == 0 {
		t.Fatalf("reading sample feed: %v (%d items)", err, len(rss.Items))
	}
	body, first := Clean(rss.Items[0].Description, rss.Items[0].Link,
		Options{ProxyURL: PrefixProxy("https://cors.zfour.workers.dev/?"), ProxyScope: "http", NoReferrer: true})

	refBody := string(ref)
	if i := strings.Index(refBody[3:], "\n---\n"); i >= 0 {
		refBody = refBody[3+i+5:]
	}
	want := imgSrcs(t, refBody)
	if len(want) == 0 {
		t.Fatal("no images in the reference post")
	}
	if got := imgSrcs(t, body); !slices.Equal(got, want) {
		t.Errorf("img src list\n got  %q\n want %q", got, want)
	}
	if first != strings.TrimPrefix(want[0], "https://cors.zfour.workers.dev/?") {
		t.Errorf("first image %q", first)
	}
	if Text(body) != Text(refBody) {
		t.Errorf("body text differs from the reference post")
	}
	// Byte for byte, the only difference is the added loading="lazy".
	refInner := strings.TrimSpace(refBody)
	refInner = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(refInner, "<div>"), "</div>"))
	if got := strings.ReplaceAll(body, ` loading="lazy"`, ""); got != refInner {
		t.Errorf("body differs from the reference post's\n got  %.300q\n want %.300q", got, refInner)
	}
	for _, img := range findAll(t, body, "img") {
		if attr(img, "referrerpolicy") != "no-referrer" {
			t.Errorf("img without referrerpolicy: %v", img.Attr)
		}
	}
}

func TestTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"建行湖北省分行：让党旗在抗疫和金融服务一线高高飘扬", "建行湖北省分行：让党旗在抗疫和金融服务一线高高飘扬"},
		{"It's a title: yes # no", "It's a title: yes # no"},
		{"@user [tag] *star*", "@user [tag] *star*"},
		{"line one\nline two\r\n\tthree", "line one line two three"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"&amp;amp; and &amp;lt;b&amp;gt;", "&amp; and &lt;b&gt;"},
		{"a&nbsp;&nbsp;b", "a b"},
		{"a\u00a0\u00a0b\u3000c", "a b c"},
		{"  <b>Bold</b> <i>news</i>  ", "Bold news"},
		{"<p>one</p><p>two</p>", "one two"},
		{"x<script>alert(1)</script>y", "xy"},
		{"{{ braces }} {% x %}", "{{ braces }} {% x %}"},
		{"ctrl\x01\x7fchars", "ctrlchars"},
		{"&#39;quoted&#39; &quot;double&quot;", `'quoted' "double"`},
		{"AT&T 1 < 2", "AT&T 1 < 2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Title(tt.in); got != tt.want {
			t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTitleFromText(t *testing.T) {
	long := strings.Repeat("一二三四五六七八九十", 10)
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"<p>" + long + "</p>", 60, long[:60*3]},
		{"<p>短</p><p>文</p>", 60, "短 文"},
		{"<p>abc def</p>", 4, "abc"},
		{"<p>&lt;tag&gt; &amp;</p>", 60, "<tag> &"},
		{"<p>x</p>", 0, ""},
	}
	for _, tt := range tests {
		if got := TitleFromText(tt.in, tt.n); got != tt.want {
			t.Errorf("TitleFromText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Hello <b>world</b></p><p>again</p>", "Hello world again"},
		{"<style>p{}</style><script>x()</script><noscript>n</noscript>text", "text"},
		{"a<br>b", "a b"},
		{"中<span>文</span>", "中文"},
		{"&lt;not a tag&gt;", "<not a tag>"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTextToHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"one", "<p>one</p>"},
		{"a <b> & c", "<p>a &lt;b&gt; &amp; c</p>"},
		{"l1\nl2\n\np2\r\n\r\n\r\np3", "<p>l1<br>l2</p>\n<p>p2</p>\n<p>p3</p>"},
		{"  \n\n ", ""},
	}
	for _, tt := range tests {
		if got := TextToHTML(tt.in); got != tt.want {
			t.Errorf("TextToHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeBraces(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no braces", "no braces"},
		{"{{ x }} {% y %} {#z#}", "&#123;&#123; x &#125;&#125; &#123;% y %&#125; &#123;#z#&#125;"},
		{`<img alt="{a}">`, `<img alt="&#123;a&#125;">`},
	}
	for _, tt := range tests {
		if got := EscapeBraces(tt.in); got != tt.want {
			t.Errorf("EscapeBraces(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCover(t *testing.T) {
	const def = "https://picsum.photos/400/300?random={n}"
	id := "0000000a12345678"
	tests := []struct {
		name      string
		feed      []string
		body, def string
		want      string
	}{
		{"feed image first", []string{"http://a/feed.jpg", "http://a/2.jpg"}, "http://a/body.jpg", def, "http://a/feed.jpg"},
		{"skips non-http feed images", []string{"", "relative.jpg", "data:image/png;base64,AA==", "ftp://a/x.jpg", " https://a/ok.jpg "}, "http://a/body.jpg", def, "https://a/ok.jpg"},
		{"body image", nil, "http://a/body.jpg", def, "http://a/body.jpg"},
		{"default cover", []string{"bad"}, "", def, "https://picsum.photos/400/300?random=11"},
		{"default cover twice", nil, "", "x/{n}/{n}", "x/11/11"},
		{"nothing", nil, "", "", ""},
	}
	for _, tt := range tests {
		if got := Cover(tt.feed, tt.body, tt.def, id); got != tt.want {
			t.Errorf("%s: Cover = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCoverNumber(t *testing.T) {
	tests := []struct {
		id   string
		want int
	}{
		{"00000000ffffffff", 1},
		{"000003e7abcdef01", 1000}, // 999 % 1000 + 1
		{"000003e8abcdef01", 1},    // 1000 % 1000 + 1
		{"FFFFFFFF", 296},          // 4294967295 % 1000 + 1
	}
	for _, tt := range tests {
		if got := CoverNumber(tt.id); got != tt.want {
			t.Errorf("CoverNumber(%q) = %d, want %d", tt.id, got, tt.want)
		}
	}
	seen := map[int]bool{}
	for _, id := range []string{"", "x", "not-hex-at-all", "1234567", "zzzzzzzzzzzzzzzz", "a1b2c3d4e5f60718", "deadbeefcafebabe"} {
		n := CoverNumber(id)
		if n < 1 || n > 1000 {
			t.Errorf("CoverNumber(%q) = %d, out of 1..1000", id, n)
		}
		if CoverNumber(id) != n {
			t.Errorf("CoverNumber(%q) is not stable", id)
		}
		seen[n] = true
	}
	if len(seen) < 5 {
		t.Errorf("CoverNumber spreads poorly: %v", seen)
	}
}

// FuzzClean checks the sanitiser's invariants on arbitrary input: no panic,
// and the output, parsed as a browser would, holds only allowed elements, no
// event handlers or style, and no script URL.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		`<p>x</p>`, `<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a>`, `<svg><script>alert(1)</script></svg>`,
		`<iframe src="https://www.youtube.com/embed/x"></iframe>`, `<img data-src="/a.jpg" srcset="a.jpg 1x, b.jpg 2x">`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<table><td><p>x<pre>\n\n</pre>`, `<form><input onfocus=alert(1) autofocus>`,
		`<video poster=javascript:alert(1)>`, `<<script>script>alert(1)<</script>/script>`,
	} {
		f.Add(s)
	}
	opt := Options{ProxyURL: testProxy, ProxyScope: "all", NoReferrer: true, IframeHosts: []string{"www.youtube.com"}}
	f.Fuzz(func(t *testing.T, in string) {
		out, first := Clean(in, testBase, opt)
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("output contains <script: %q", out)
		}
		if first != "" && !strings.HasPrefix(strings.ToLower(first), "http") {
			t.Fatalf("first image %q is not http(s)", first)
		}
		if hasBlankLine(out) {
			t.Fatalf("output has a blank line: %q", out)
		}
		checkSafe(t, out)
	})
}

// checkSafe parses out as a browser would and checks every element and
// attribute against the allow-list.
func checkSafe(t *testing.T, out string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if _, ok := allowedTags[n.DataAtom]; !ok && n.Data != "html" && n.Data != "head" && n.Data != "body" {
				t.Fatalf("element <%s> in output %q", n.Data, out)
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") || k == "style" || a.Namespace != "" {
					t.Fatalf("attribute %s on <%s> in output %q", a.Key, n.Data, out)
				}
				switch k {
				case "href", "src", "poster", "cite", "srcset":
					for _, u := range strings.Split(a.Val, ", ") {
						u = strings.ToLower(normURL(u))
						if strings.HasPrefix(u, "javascript:") || strings.HasPrefix(u, "vbscript:") ||
							(strings.HasPrefix(u, "data:") && !isDataImage(u)) {
							t.Fatalf("%s=%q on <%s> in output %q", a.Key, a.Val, n.Data, out)
						}
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

// benchInput is ~8 KB of Chinese news HTML with 3 images, like the sample.
func benchInput() string {
	var sb strings.Builder
	para := "<p>武汉经济开发区支行2小时内搭建临时办公场所，迅速恢复办公。因为新冠疫情原因，这条街道刚刚被划为中风险地区，实行封闭管理，“补位”金融服务&amp;措施。</p>\n"
	for i := 0; sb.Len() < 8*1024; i++ {
		if i%6 == 0 && i/6 < 3 {
			sb.WriteString(`<p><img src="http://static.1sapp.com/qupost/img/2021/08/17/c1d7cbd5db63f821f6747603f7a4f987.jpeg" data-size="800,571"></p>`)
		}
		sb.WriteString(para)
	}
	return sb.String()
}

// BenchmarkClean also reports the process CPU time per op (cpu-µs/op): on a
// shared machine ns/op measures the neighbours as much as the code.
func BenchmarkClean(b *testing.B) {
	in := benchInput()
	opt := Options{ProxyURL: PrefixProxy("https://cors.zfour.workers.dev/?"), ProxyScope: "http", NoReferrer: true}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		Clean(in, "http://home.qutoutiao.net/detail.html?content_id=735019845", opt)
	}
	reportCPU(b, cpu0)
}

// BenchmarkTokenizer is the floor Clean stands on: the bare tokenizer pass
// over the same input.
func BenchmarkTokenizer(b *testing.B) {
	in := benchInput()
	b.SetBytes(int64(len(in)))
	cpu0 := cpuTime()
	for b.Loop() {
		z := html.NewTokenizer(strings.NewReader(in))
		for z.Next() != html.ErrorToken {
			z.Text()
		}
	}
	reportCPU(b, cpu0)
}

func reportCPU(b *testing.B, cpu0 time.Duration) {
	if d := cpuTime() - cpu0; cpu0 >= 0 && b.N > 0 {
		b.ReportMetric(float64(d.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

func hasBlankLine(s string) bool {
	for _, line := range strings.Split(s, "\n")[1:] {
		if strings.Trim(line, " \t") == "" {
			return true
		}
	}
	return false
}

func imgSrcs(t *testing.T, body string) []string {
	t.Helper()
	var srcs []string
	for _, n := range findAll(t, body, "img") {
		srcs = append(srcs, attr(n, "src"))
	}
	return srcs
}

func findAll(t *testing.T, body, tag string) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing %q: %v", body, err)
	}
	var found []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			found = append(found, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestCleanDeepNesting checks hostile nesting stays linear and balanced:
// past maxDepth elements lose their tags but keep their text.
func TestCleanDeepNesting(t *testing.T) {
	const n = 100000
	in := strings.Repeat("<b>", n) + "x" + strings.Repeat("</i>", n) + strings.Repeat("</b>", n)
	got, _ := Clean(in, testBase, Options{})
	want := strings.Repeat("<b>", maxDepth) + "x" + strings.Repeat("</b>", maxDepth)
	if got != want {
		t.Errorf("deep nesting: got %d bytes, want %d", len(got), len(want))
	}
}

// TestCleanRecoversPanic: a panic inside Clean (here from the caller's proxy
// function) must not reach the caller.
func TestCleanRecoversPanic(t *testing.T) {
	opt := Options{ProxyURL: func(string) string { panic("boom") }, ProxyScope: "all"}
	body, first := Clean(`<p>x<img src="http://a/b.jpg"></p>`, testBase, opt)
	if body != "" || first != "" {
		t.Errorf("got %q, %q after a panic, want empty", body, first)
	}
}
