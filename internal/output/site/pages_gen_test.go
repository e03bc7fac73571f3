package site

import (
	"bytes"
	"html/template"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// genPageSite is a siteView with chrome of its own: the generated base must
// insert .Head, .Header and .Footer as they are.
func genPageSite(t *labels, lang string) *siteView {
	return &siteView{Title: "站", Lang: lang, Root: "/", T: t,
		Head:   `<meta charset="utf-8"><script>var x="<&>";</script>` + "\n",
		Header: `<header class="top"><a href="/">站 & "co"</a></header>` + "\n",
		Footer: "<footer>\x00 raw</footer>\n"}
}

// hostile are strings html/template escapes or rewrites in every context
// of the page templates: quotes, &, +, <, >, NUL, non-ASCII and malformed
// UTF-8, unsafe URL schemes, spaces and %-escapes, printf verbs.
var hostile = []string{
	"", "普通", `<script>alert("x")</script> & 'q' + 1 > 0`, "bad \xff\xfe utf-8 \x00",
	"javascript:alert(1)", "JavaScript:alert(1)", " javascript:x", "data:text/html,<b>x</b>", "data:image/png;base64,AAAA",
	"vbscript:x", "/a:b/", "mailto:a@b.c", "HTTPS://Example.com/%41%zz%4/路径?q=中文#frag", "https://a.example/x y?a=1&b=\"2\"",
	"//proxy.example/?url=http%3A%2F%2Fa%2Fb.jpg&sig=a+b", "%", "%4", "a%41", "#frag", "?q=<>", "100% {{.Site}} %d %!",
}

// genPageCases are hand-made pages of each kind, every field set to
// something html/template has to escape, and some left empty.
func genPageCases() (lists, posts []*page) {
	for i, s := range hostile {
		h := hostile[(i+1)%len(hostile)]
		u := hostile[(i+4)%len(hostile)]
		lab := &zhLabels
		if i%2 == 1 {
			lab = &enLabels
		}
		site := genPageSite(lab, h)
		p := &page{Site: site, Base: u, Kind: s, Title: s, Heading: h, Canonical: u, Description: h, Image: template.URL(u)}
		if i%3 != 2 {
			p.Feeds = []feedLink{{Type: s, Name: h, Title: s + h, Href: u}, {"application/rss+xml", "RSS", "t (RSS)", "https://x.example/feed.xml"}}
			p.Crumbs = []link{{Name: "首页", Href: "/"}, {Name: s, Href: u}, {Name: h}}
		}
		l := *p
		l.Kind = "category"
		if i%4 != 3 {
			l.Children = []link{{Name: s, Href: u, Count: i}, {Name: "子", Href: "/c/子/", Count: -1}}
			l.Cards = template.HTML(`<article class="card">` + s + "</article>\n")
		}
		if i%2 == 0 {
			l.Pager = &pager{Prev: u, Next: s, Number: i, Total: len(hostile),
				Pages: []pagerLink{{N: 1, Href: u}, {Gap: true}, {N: i, Href: s, Current: true}, {N: i + 1, Href: h}}}
			if i%4 == 0 { // the first page: no previous
				l.Pager.Prev = ""
			}
		} else if i%3 == 0 {
			l.Pager = &pager{Number: 1, Total: 1, Pages: []pagerLink{{N: 1, Href: "/", Current: true}}}
		}
		lists = append(lists, &l)

		q := *p
		q.Kind = "post"
		q.Post = &postView{Title: s, Href: u, ISO: h, Display: s, Author: h, Link: u,
			Body: template.HTML("<p>" + s + "</p>"), SourceLink: template.HTML(`<a class="source" href="/s/">` + h + `</a>`),
			CatLinks: template.HTML(s)}
		if i%2 == 0 {
			q.Post.Newer = &link{Name: s, Href: u}
		}
		if i%3 != 1 {
			q.Post.Older = &link{Name: h, Href: s}
		}
		posts = append(posts, &q)
	}
	// A page with nothing but its site, and a post page without a post.
	lists = append(lists, &page{Site: genPageSite(&enLabels, "")})
	posts = append(posts, &page{Site: genPageSite(&zhLabels, "zh")})
	return lists, posts
}

func embeddedPages(t testing.TB) *templates {
	t.Helper()
	tpls, err := loadTemplates("", true)
	if err != nil {
		t.Fatal(err)
	}
	if !tpls.genPages {
		t.Fatal("the embedded page templates are not rendered by the generated code: run go generate ./internal/output/site")
	}
	return tpls
}

func TestGeneratedPages(t *testing.T) {
	tpls := embeddedPages(t)
	lists, posts := genPageCases()
	for _, p := range lists {
		checkPage(t, tpls.list, generated.listPage, p)
	}
	for _, p := range posts {
		checkPage(t, tpls.post, generated.postPage, p)
	}
}

// Templates other than those the code was generated from (overrides), and
// the test hook, keep html/template.
func TestGeneratedOnlyForTheirTemplates(t *testing.T) {
	for _, name := range []string{"base.html", "list.html", "post.html", "card.html"} {
		dir := t.TempDir()
		src, _ := embedded.ReadFile("templates/" + name)
		if err := os.WriteFile(filepath.Join(dir, name), append(src, ' '), 0o644); err != nil {
			t.Fatal(err)
		}
		tpls, err := loadTemplates(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		if tpls.genPages == (name != "card.html") || tpls.genCard == (name == "card.html") {
			t.Errorf("an overridden %s: generated pages %v, card %v", name, tpls.genPages, tpls.genCard)
		}
	}
	dir := t.TempDir() // an override with the very bytes of the embedded file
	src, _ := embedded.ReadFile("templates/post.html")
	if err := os.WriteFile(filepath.Join(dir, "post.html"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if tpls, err := loadTemplates(dir, true); err != nil || !tpls.genPages {
		t.Errorf("an override equal to the embedded post.html turns the generated pages off (%v)", err)
	}
	dir = t.TempDir() // an override of another file only
	if err := os.WriteFile(filepath.Join(dir, "categories.html"), []byte(`{{define "content"}}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if tpls, err := loadTemplates(dir, true); err != nil || !tpls.genPages || !tpls.genCard {
		t.Errorf("an override of categories.html turns the generated renderers off (%v)", err)
	}
	if tpls, err := loadTemplates("", false); err != nil || tpls.genPages || tpls.genCard {
		t.Errorf("without the generated renderers: pages %v, card %v (%v)", tpls.genPages, tpls.genCard, err)
	}
}

// A template changed after the code was generated goes through
// html/template, whatever the digests of the others.
func TestGeneratedFrom(t *testing.T) {
	src := map[string]string{}
	for _, name := range generatedFiles {
		b, _ := embedded.ReadFile("templates/" + name)
		src[name] = string(b)
	}
	if !generated.from(src, generatedFiles...) {
		t.Fatal("the embedded templates are not the ones pages_gen.go was generated from: run go generate ./internal/output/site")
	}
	src["list.html"] += "\n"
	if generated.from(src, "base.html", "list.html", "post.html") || !generated.from(src, "card.html") {
		t.Error("a changed list.html is taken for the one the code was generated from")
	}
	if (*genRenderers)(nil).from(src, "card.html") {
		t.Error("no generated code, yet from is true")
	}
}

func FuzzGeneratedPages(f *testing.F) {
	for i, s := range hostile {
		f.Add(s, hostile[(i+1)%len(hostile)], hostile[(i+4)%len(hostile)], i%2 == 0)
	}
	tpls := embeddedPages(f)
	f.Fuzz(func(t *testing.T, s, h, u string, en bool) {
		lab := &zhLabels
		if en {
			lab = &enLabels
		}
		site := genPageSite(lab, s)
		p := &page{Site: site, Base: u, Kind: h, Title: s, Heading: h, Canonical: u, Description: s, Image: template.URL(u),
			Feeds:    []feedLink{{Type: s, Name: h, Title: u, Href: u}},
			Crumbs:   []link{{Name: s, Href: u}, {Name: h, Href: s}, {Name: u}},
			Children: []link{{Name: h, Href: u, Count: len(s)}},
			Cards:    template.HTML(s),
			Pager: &pager{Prev: u, Next: h, Number: len(s), Total: len(h),
				Pages: []pagerLink{{N: 1, Href: s}, {Gap: true}, {N: 2, Href: u, Current: true}, {N: 3, Href: h}}},
		}
		checkPage(t, tpls.list, generated.listPage, p)
		p.Cards, p.Pager, p.Feeds = "", nil, nil
		checkPage(t, tpls.list, generated.listPage, p)
		p.Post = &postView{Title: s, ISO: h, Display: u, Author: h, Link: u, Body: template.HTML(h),
			SourceLink: template.HTML(s), CatLinks: template.HTML(u), Newer: &link{Name: h, Href: s}, Older: &link{Name: u, Href: u}}
		checkPage(t, tpls.post, generated.postPage, p)
	})
}

func checkPage(t *testing.T, tpl *template.Template, write func(*bytes.Buffer, *page), p *page) {
	t.Helper()
	var want, got bytes.Buffer
	if err := tpl.Execute(&want, p); err != nil {
		t.Fatal(err)
	}
	write(&got, p)
	if got.String() != want.String() {
		t.Errorf("page %+v, post %+v, pager %+v:\n got %q\nwant %q", *p, p.Post, p.Pager, got.String(), want.String())
	}
}

// hostilePosts are posts whose every field the pages show is something to
// escape or filter: markup, quotes and & in titles, authors, source and
// category names; javascript: and data: links and covers; spaces,
// %-escapes and non-ASCII in URLs; empty titles and authors.
func hostilePosts() []post.Post {
	d := func(day, hour int) time.Time { return time.Date(2021, 9, day, hour, 0, 0, 0, cst) }
	return []post.Post{
		{ID: "b000000000000001", SourceKey: `src"<&>`, SourceName: `来源 "A" & <B>`, Title: `"引号" & <b>粗</b> + 'q'`,
			Categories: []string{`<cat>`, `a"b&c`, "?#%zz"}, Cover: "javascript:alert(1)", Author: `作者 <i>&"'`,
			Date: d(1, 1), Link: "javascript:alert(document.cookie)", Body: "<p>正文 & 更多</p>"},
		{ID: "b000000000000002", SourceKey: "empty", SourceName: "", Title: "", Categories: nil,
			Cover: "data:text/html,<script>alert(1)</script>", Author: "", Date: d(2, 2), Link: ""},
		{ID: "b000000000000003", SourceKey: "empty", SourceName: "", Title: "\x00 NUL \xff bad utf-8 ✓ 中文",
			Categories: []string{"新媒体", "空 格"}, Cover: "data:image/png;base64,AAAA", Author: "someone else",
			Date: d(3, 3), Link: "https://例子.example/路径 空格?q=中文&x=\"1\"#frag"},
		{ID: "b000000000000004", SourceKey: "36kr", SourceName: "36氪", Title: "{{ .Site.Title }} %d %s",
			Categories: []string{"科技", "{{.}}"}, Cover: "//img.example/a b.jpg?x=1&y=%41%zz", Author: "36氪",
			Date: d(4, 4), Link: "mailto:tips@example.com", Body: "{{.Body}}"},
		{ID: "b000000000000005", SourceKey: "x", SourceName: "Vb", Title: "vbscript", Categories: []string{"科技"},
			Cover: "/relative/cover.png", Author: "Vb", Date: d(5, 5), Link: "VBScript:msgbox(1)"},
		{ID: "b000000000000006", SourceKey: "x", SourceName: "Vb", Title: "relative link", Categories: []string{"科技", "{{.}}"},
			Cover: "https://img.example/c.jpg", Author: "Vb", Date: d(6, 6), Link: "/a:b/c?d=e+f"},
	}
}

// The builder's generated and html/template pages are the same files, byte for byte, in
// every configuration the pages depend on: with and without a URL
// (canonical links, feeds), Chinese and English labels, one, two and
// twenty posts a page (pagers, gaps), a default cover, and hostile posts
// and options.
func TestGeneratedPagesBuild(t *testing.T) {
	posts := append(testPosts(), hostilePosts()...)
	configs := []struct {
		name string
		set  func(*Options)
	}{
		{"default", func(*Options) {}},
		{"no URL", func(o *Options) { o.URL = "" }},
		{"en, per page 1", func(o *Options) { o.Language = "en"; o.PerPage = 1 }},
		{"per page 20, sub-path URL", func(o *Options) { o.PerPage = 20; o.URL = "https://news.example.com/新 闻" }},
		{"default cover", func(o *Options) {
			o.DefaultCover = "https://cdn.example/cover a.png?x=1&y=2"
			o.Language = "en-GB"
		}},
		{"data cover, hostile title", func(o *Options) {
			o.DefaultCover = "data:image/svg+xml,%3Csvg%3E"
			o.Title = `<b>"站"</b> & 'co' +`
			o.Language = `zh"<>`
			o.PerPage = 1
		}},
		{"no URL, per page 1", func(o *Options) { o.URL = ""; o.PerPage = 1; o.Title = "javascript:x" }},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			gen := testOptions(t)
			c.set(&gen)
			tpl := gen
			tpl.Dir = t.TempDir()
			tpl.noGenerated = true
			st := build(t, posts, gen)
			build(t, posts, tpl)
			if n := sameFiles(t, tpl.Dir, gen.Dir, "generated pages"); n != st.Pages || n < 30 {
				t.Errorf("compared %d files of %d", n, st.Pages)
			}
		})
	}
}
