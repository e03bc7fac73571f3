package site

import (
	"bytes"
	"fmt"
	"strconv"
)

// The embedded base.html, with list.html or post.html as its "content", is
// rendered by hand (writeListPage, writePostPage) instead of by
// html/template, with the same bytes: TestFastPages, TestFastPagesBuild and
// FuzzFastPages compare the two. A CPU profile of a 10,000-post build
// showed html/template's execution (text/template's reflection walk: a
// reflect call per field and per escaper, for some forty actions a page)
// at about 29 % of the build's CPU, for pages whose every byte is fixed
// text, a few escaped strings and HTML rendered beforehand (the cards, the
// body, the chrome). An overridden base.html, list.html or post.html always
// goes through html/template.
//
// Each value is escaped as html/template escapes it where the template
// puts it: element text, <title> (RCDATA) and quoted attribute values by
// attrEscape (the same table for all three); href values by filterURL,
// normalizeURL and attrEscape; template.HTML values (the chrome, the cards,
// the body, the links) inserted as they are; template.URL (.Image) in the
// quoted content attribute escaped as text, not filtered.

// fastPages turns writeListPage and writePostPage on, when fastCards (which
// turns every hand renderer off for the tests) does too; tests turn it off
// to compare the two renderings of the pages alone.
var fastPages = true

// isEmbedded reports whether src is the embedded template name.
func isEmbedded(name, src string) bool {
	b, err := embedded.ReadFile("templates/" + name)
	return err == nil && string(b) == src
}

// writeListPage writes the embedded base.html with list.html for p to buf.
func writeListPage(buf *bytes.Buffer, p *page) {
	writeBase(buf, p, writeListContent)
}

// writePostPage writes the embedded base.html with post.html for p to buf.
func writePostPage(buf *bytes.Buffer, p *page) {
	writeBase(buf, p, writePostContent)
}

// writeBase writes the "base" template of base.html; content writes the
// "content" template it calls.
func writeBase(buf *bytes.Buffer, p *page, content func(*bytes.Buffer, *page)) {
	buf.WriteString("<!doctype html>\n<html lang=\"")
	buf.WriteString(attrEscape(p.Site.Lang))
	buf.WriteString("\">\n<head>\n")
	buf.WriteString(string(p.Site.Head))
	buf.WriteString("<title>")
	buf.WriteString(attrEscape(p.Title))
	buf.WriteString("</title>\n")
	if p.Description != "" {
		buf.WriteString(`<meta name="description" content="`)
		buf.WriteString(attrEscape(p.Description))
		buf.WriteString("\">\n")
	}
	if p.Canonical != "" {
		buf.WriteString(`<link rel="canonical" href="`)
		buf.WriteString(hrefEscape(p.Canonical))
		buf.WriteString("\">\n")
	}
	buf.WriteString(`<meta property="og:title" content="`)
	buf.WriteString(attrEscape(p.Heading))
	buf.WriteString("\">\n")
	if p.Image != "" {
		buf.WriteString(`<meta property="og:image" content="`)
		buf.WriteString(attrEscape(string(p.Image)))
		buf.WriteString("\">\n")
	}
	for _, f := range p.Feeds {
		buf.WriteString(`<link rel="alternate" type="`)
		buf.WriteString(attrEscape(f.Type))
		buf.WriteString(`" title="`)
		buf.WriteString(attrEscape(f.Title))
		buf.WriteString(`" href="`)
		buf.WriteString(hrefEscape(f.Href))
		buf.WriteString("\">\n")
	}
	buf.WriteString("</head>\n<body class=\"kind-")
	buf.WriteString(attrEscape(p.Kind))
	buf.WriteString("\">\n")
	buf.WriteString(string(p.Site.Header))
	buf.WriteString("<main class=\"wrap\">\n")
	if len(p.Crumbs) > 0 {
		buf.WriteString(`<nav class="crumbs" aria-label="breadcrumb">`)
		for i, c := range p.Crumbs {
			if i > 0 {
				buf.WriteString(`<span class="sep" aria-hidden="true">›</span>`)
			}
			if c.Href != "" {
				buf.WriteString(`<a href="`)
				buf.WriteString(hrefEscape(c.Href))
				buf.WriteString(`">`)
				buf.WriteString(attrEscape(c.Name))
				buf.WriteString(`</a>`)
			} else {
				buf.WriteString(`<span aria-current="page">`)
				buf.WriteString(attrEscape(c.Name))
				buf.WriteString(`</span>`)
			}
		}
		buf.WriteString("</nav>\n")
	}
	content(buf, p)
	buf.WriteString("\n</main>\n")
	buf.WriteString(string(p.Site.Footer))
	buf.WriteString("</body>\n</html>\n")
}

// writeListContent writes list.html's "content".
func writeListContent(buf *bytes.Buffer, p *page) {
	t := p.Site.T
	buf.WriteString("<div class=\"head\">\n<h1 class=\"page-title\">")
	buf.WriteString(attrEscape(p.Heading))
	buf.WriteString("</h1>\n")
	if len(p.Feeds) > 0 {
		buf.WriteString(`<p class="feeds"><span>`)
		buf.WriteString(attrEscape(t.Subscribe))
		buf.WriteString(`:</span>`)
		for _, f := range p.Feeds {
			buf.WriteString(`<a href="`)
			buf.WriteString(hrefEscape(f.Href))
			buf.WriteString(`" type="`)
			buf.WriteString(attrEscape(f.Type))
			buf.WriteString(`" title="`)
			buf.WriteString(attrEscape(f.Title))
			buf.WriteString(`">`)
			buf.WriteString(attrEscape(f.Name))
			buf.WriteString(`</a>`)
		}
		buf.WriteString(`</p>`)
	}
	buf.WriteString("\n</div>\n")
	if len(p.Children) > 0 {
		buf.WriteString(`<nav class="chips">`)
		for _, c := range p.Children {
			buf.WriteString(`<a class="cat chip" href="`)
			buf.WriteString(hrefEscape(c.Href))
			buf.WriteString(`">`)
			buf.WriteString(attrEscape(c.Name))
			buf.WriteString(` <small>`)
			buf.WriteString(strconv.Itoa(c.Count))
			buf.WriteString(`</small></a>`)
		}
		buf.WriteString("</nav>\n")
	}
	if p.Cards != "" {
		buf.WriteString("<div class=\"grid\">\n")
		buf.WriteString(string(p.Cards))
		buf.WriteString("</div>\n")
	} else {
		buf.WriteString(`<p class="empty">`)
		buf.WriteString(attrEscape(t.NoPosts))
		buf.WriteString("</p>\n")
	}
	if pg := p.Pager; pg != nil {
		buf.WriteString(`<nav class="pager" aria-label="`)
		buf.WriteString(attrEscape(fmt.Sprintf(t.PageOf, pg.Number, pg.Total)))
		buf.WriteString(`">`)
		if pg.Prev != "" {
			buf.WriteString(`<a class="prev" rel="prev" href="`)
			buf.WriteString(hrefEscape(pg.Prev))
			buf.WriteString(`">‹ `)
			buf.WriteString(attrEscape(t.PrevPage))
			buf.WriteString(`</a>`)
		}
		for _, l := range pg.Pages {
			switch {
			case l.Gap:
				buf.WriteString(`<span class="gap">…</span>`)
			case l.Current:
				buf.WriteString(`<span class="current" aria-current="page">`)
				buf.WriteString(strconv.Itoa(l.N))
				buf.WriteString(`</span>`)
			default:
				buf.WriteString(`<a href="`)
				buf.WriteString(hrefEscape(l.Href))
				buf.WriteString(`">`)
				buf.WriteString(strconv.Itoa(l.N))
				buf.WriteString(`</a>`)
			}
		}
		if pg.Next != "" {
			buf.WriteString(`<a class="next" rel="next" href="`)
			buf.WriteString(hrefEscape(pg.Next))
			buf.WriteString(`">`)
			buf.WriteString(attrEscape(t.NextPage))
			buf.WriteString(` ›</a>`)
		}
		buf.WriteString("</nav>\n")
	}
}

// writePostContent writes post.html's "content".
func writePostContent(buf *bytes.Buffer, p *page) {
	v := p.Post
	if v == nil {
		return
	}
	t := p.Site.T
	buf.WriteString("<article class=\"post\">\n<h1 class=\"post-title\">")
	buf.WriteString(attrEscape(v.Title))
	buf.WriteString("</h1>\n<p class=\"meta\">")
	buf.WriteString(string(v.SourceLink))
	if v.Author != "" {
		buf.WriteString(`<span class="author">`)
		buf.WriteString(attrEscape(v.Author))
		buf.WriteString(`</span>`)
	}
	buf.WriteString(`<time class="rel" datetime="`)
	buf.WriteString(attrEscape(v.ISO))
	buf.WriteString(`">`)
	buf.WriteString(attrEscape(v.Display))
	buf.WriteString(`</time>`)
	if v.CatLinks != "" {
		buf.WriteString(`<span class="cats">`)
		buf.WriteString(string(v.CatLinks))
		buf.WriteString(`</span>`)
	}
	buf.WriteString("</p>\n<div class=\"content\">\n")
	buf.WriteString(string(v.Body))
	buf.WriteString("\n</div>\n")
	if v.Link != "" {
		buf.WriteString(`<p class="original"><a href="`)
		buf.WriteString(hrefEscape(v.Link))
		buf.WriteString(`" rel="noopener noreferrer" target="_blank">`)
		buf.WriteString(attrEscape(t.ReadOriginal))
		buf.WriteString(" ↗</a></p>\n")
	}
	buf.WriteString("</article>\n<nav class=\"prevnext\">")
	if l := v.Newer; l != nil {
		buf.WriteString(`<a class="newer" rel="prev" href="`)
		buf.WriteString(hrefEscape(l.Href))
		buf.WriteString(`"><small>‹ `)
		buf.WriteString(attrEscape(t.Newer))
		buf.WriteString(`</small><span>`)
		buf.WriteString(attrEscape(l.Name))
		buf.WriteString(`</span></a>`)
	}
	if l := v.Older; l != nil {
		buf.WriteString(`<a class="older" rel="next" href="`)
		buf.WriteString(hrefEscape(l.Href))
		buf.WriteString(`"><small>`)
		buf.WriteString(attrEscape(t.Older))
		buf.WriteString(` ›</small><span>`)
		buf.WriteString(attrEscape(l.Name))
		buf.WriteString(`</span></a>`)
	}
	buf.WriteString("</nav>\n")
}

// hrefEscape is a string as html/template writes it as a whole quoted
// href value: unsafe schemes filtered, the URL normalized, then escaped
// for the attribute.
func hrefEscape(s string) string {
	return attrEscape(normalizeURL(filterURL(s)))
}
