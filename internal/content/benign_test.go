package content

import (
	"strings"
	"testing"
)

// TestCleanInertAttributes: alt and title carry no markup characters, so a
// theme that builds HTML from them (landscape's script.js writes img.alt into
// a caption and a data-caption attribute) builds text (issue 12, item 8).
func TestCleanInertAttributes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<img src="http://a/b.jpg" alt="<img src=x onerror=alert(1)>">`,
			`<img src="http://a/b.jpg" alt="＜img src=x onerror=alert(1)＞" loading="lazy">`},
		{`<img src="http://a/b.jpg" alt='" onmouseover="alert(1)" x="'>`,
			`<img src="http://a/b.jpg" alt="“ onmouseover=”alert(1)” x=”" loading="lazy">`},
		{`<img src="http://a/b.jpg" alt="&amp;lt;svg onload=alert(1)&amp;gt;">`,
			`<img src="http://a/b.jpg" alt="＆lt;svg onload=alert(1)＆gt;" loading="lazy">`},
		{`<abbr title="x' onclick='alert(1)">a</abbr>`, `<abbr title="x’ onclick=’alert(1)">a</abbr>`},
		{`<img src="http://a/b.jpg" alt="武汉 & 北京">`, `<img src="http://a/b.jpg" alt="武汉 &amp; 北京" loading="lazy">`},
	}
	for _, tt := range tests {
		if got, _ := Clean(tt.in, testBase, Options{}); got != tt.want {
			t.Errorf("Clean(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}

// TestCleanBenignContent: what articles need and cannot harm the page is kept
// (issue 12, item 10).
func TestCleanBenignContent(t *testing.T) {
	opt := Options{IframeHosts: []string{"www.youtube.com"}}
	tests := []struct{ name, in, want string }{
		{"code language hint",
			`<pre class="highlight chroma"><code class="language-go" data-lang="go">x := 1</code></pre>`,
			`<pre class="highlight"><code class="language-go">x := 1</code></pre>`},
		{"lang- hint and junk classes", `<code class="lang-c++ article-entry fancybox language-x&quot;y">c</code>`, `<code class="lang-c++">c</code>`},
		{"footnotes keep their ids and in-page links",
			`<p>正文<sup id="fnref:1"><a href="#fn:1" class="footnote-ref">1</a></sup></p><ol class="footnotes"><li id="fn:1">注释 <a href="#fnref:1" class="footnote-backref">↩</a></li></ol>`,
			`<p>正文<sup id="user-content-fnref:1"><a href="#user-content-fn:1" class="footnote-ref">1</a></sup></p><ol class="footnotes"><li id="user-content-fn:1">注释 <a href="#user-content-fnref:1" class="footnote-backref">↩</a></li></ol>`},
		{"link to the article itself with a fragment stays in the page",
			`<a href="http://example.com/dir/page.html#sec-2">见下文</a><a href="page.html#sec-3">3</a><a href="other.html#x">外</a>`,
			`<a href="#user-content-sec-2">见下文</a><a href="#user-content-sec-3">3</a><a href="http://example.com/dir/other.html#x" rel="noopener noreferrer">外</a>`},
		{"old named anchor", `<a name="top"></a><a href="#top">↑</a><a href="#">#</a>`,
			`<a name="user-content-top"></a><a href="#user-content-top">↑</a><a href="#">#</a>`},
		{"ids that are already prefixed or invalid", `<h2 id="user-content-a">a</h2><h3 id="two words">b</h3><h4 id="">c</h4>`,
			`<h2 id="user-content-a">a</h2><h3>b</h3><h4>c</h4>`},
		{"tel links", `<a href="tel:+86-10-1234-5678">电话</a><a href="tel:javascript:alert(1)">x</a>`,
			`<a href="tel:+86-10-1234-5678" rel="noopener noreferrer">电话</a><a>x</a>`},
		{"iframe allow and referrerpolicy",
			`<iframe src="https://www.youtube.com/embed/x" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share; camera; microphone *" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>`,
			`<iframe src="https://www.youtube.com/embed/x" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" allowfullscreen referrerpolicy="strict-origin-when-cross-origin" sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe>`},
		{"iframe bad values dropped", `<iframe src="https://www.youtube.com/embed/x" allow="camera" referrerpolicy="javascript:x"></iframe>`,
			`<iframe src="https://www.youtube.com/embed/x" sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"></iframe>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Clean(tt.in, testBase, opt)
			if got != tt.want {
				t.Errorf("Clean(%q)\n got  %q\n want %q", tt.in, got, tt.want)
			}
			checkSafe(t, got)
		})
	}
	// Without a base, an in-page anchor still works.
	if got, _ := Clean(`<a href="#x">x</a>`, "", opt); got != `<a href="#user-content-x">x</a>` {
		t.Errorf("anchor without base: %q", got)
	}
	// Clobbering names are harmless once prefixed.
	got, _ := Clean(`<img src="http://a/b.jpg" id="location" name="cookie"><form id="x"><p id="search">s</p></form>`, testBase, opt)
	if strings.Contains(got, `id="location"`) || strings.Contains(got, `id="search"`) || strings.Contains(got, `name=`) {
		t.Errorf("clobbering ids kept: %q", got)
	}
}
