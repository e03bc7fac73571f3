package site

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
)

const testURL = "https://news.example.com"

var cst = time.FixedZone("CST", 8*3600)

// testPosts are five posts: a three-level Chinese category path shared by
// two posts, a sibling path, a one-level path, a second top level, a post
// without a link, one with template braces in its body and one with markup
// in its title.
func testPosts() []post.Post {
	d := func(day, hour int) time.Time { return time.Date(2021, 8, day, hour, 0, 0, 0, cst) }
	return []post.Post{
		{ID: "a000000000000001", SourceKey: "qutoutiao-1", SourceName: "趣头条", Title: "建行湖北省分行：让党旗高高飘扬",
			Categories: []string{"新媒体", "趣头条", "分类"}, Cover: "https://img.example.com/a.jpg", Author: "趣头条",
			Date: d(17, 14), Link: "http://home.qutoutiao.net/detail.html?content_id=1",
			Body: `<p><img src="https://img.example.com/a.jpg" referrerpolicy="no-referrer"></p><p>武汉经济开发区支行2小时内搭建临时办公场所。</p>`},
		{ID: "a000000000000002", SourceKey: "qutoutiao-1", SourceName: "趣头条", Title: "没有原文链接的文章",
			Categories: []string{"新媒体", "趣头条", "分类"}, Author: "趣头条", Date: d(16, 9),
			Body: `<p>正文没有链接。</p>`},
		{ID: "a000000000000003", SourceKey: "https://www.cnbeta.com/backend.php", SourceName: "cnBeta", Title: "模板语法 {{ .Site }} 原样显示",
			Categories: []string{"新媒体", "cnBeta", "最新"}, Cover: "http://img.cnbeta.com/b.png", Author: "cnBeta",
			Date: d(15, 8), Updated: d(15, 20), Link: "https://www.cnbeta.com/articles/3.htm",
			Body: `<p>Go 模板 {{ .Site }} 与 Nunjucks {% raw %} 以及 {# 注释 #} 都应原样保留。</p>`},
		{ID: "a000000000000004", SourceKey: "36kr", SourceName: "36氪", Title: `<script>alert("x")</script> & 标题`,
			Categories: []string{"科技"}, Cover: "https://img.example.com/d.jpg", Author: "36氪",
			Date: d(14, 7), Link: "https://36kr.com/p/4", Body: `<p>科技新闻。</p>`},
		{ID: "a000000000000005", SourceKey: "qutoutiao-1", SourceName: "趣头条", Title: "只有一级分类",
			Categories: []string{"新媒体"}, Cover: "https://img.example.com/e.jpg", Author: "趣头条",
			Date: d(18, 6), Link: "http://home.qutoutiao.net/detail.html?content_id=5", Body: `<p>最新的一篇。</p>`},
	}
}

func testOptions(t *testing.T) Options {
	return Options{Dir: t.TempDir(), Title: "新闻聚合", URL: testURL, Language: "zh-CN", PerPage: 2, Location: cst}
}

func build(t *testing.T, posts []post.Post, opt Options) Stats {
	t.Helper()
	st, err := Build(posts, opt)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return st
}

func readDoc(t *testing.T, dir, rel string) *goquery.Document {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("open page: %v", err)
	}
	defer f.Close()
	doc, err := goquery.NewDocumentFromReader(f)
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	return doc
}

func readText(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// siteRoot is where resolve serves the site: under a path, which relative
// links must keep.
const siteRoot = "http://site.test/under/a/path/"

// resolve is where href leads from page (a file of the site, relative to
// its root), as a browser resolves it: against the page's <base href>,
// itself against the page's URL with the site served at siteRoot. Links
// inside the site come back as paths from the site root ("/posts/x/"),
// others as they are.
func resolve(t *testing.T, doc *goquery.Document, page, href string) string {
	t.Helper()
	root, _ := url.Parse(siteRoot)
	base := root.ResolveReference(&url.URL{Path: page})
	if b, ok := doc.Find("head base").Attr("href"); ok {
		bu, err := url.Parse(b)
		if err != nil {
			t.Fatalf("%s: <base href=%q>: %v", page, b, err)
		}
		base = base.ResolveReference(bu)
	}
	hu, err := url.Parse(href)
	if err != nil {
		t.Fatalf("%s: href %q: %v", page, href, err)
	}
	u := base.ResolveReference(hu)
	if u.Host != root.Host || !strings.HasPrefix(u.EscapedPath(), root.EscapedPath()) {
		return u.String()
	}
	out := "/" + strings.TrimPrefix(u.EscapedPath(), root.EscapedPath())
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out
}

func catHref(segs ...string) string {
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/category/" + strings.Join(segs, "/") + "/"
}

func TestBuildWritesEveryFile(t *testing.T) {
	opt := testOptions(t)
	st := build(t, testPosts(), opt)
	want := []string{
		"index.html", "page/2/index.html", "page/3/index.html",
		"categories/index.html", "search.json", "sitemap.xml", "feed.xml", "atom.xml", "feed.json",
		"assets/style.css", "assets/site.js", "assets/cover.svg", manifestName,
		"category/新媒体/index.html", "category/新媒体/page/2/index.html",
		"category/新媒体/趣头条/index.html", "category/新媒体/趣头条/分类/index.html",
		"category/新媒体/cnBeta/index.html", "category/新媒体/cnBeta/最新/index.html", "category/科技/index.html",
		"source/qutoutiao-1/index.html", "source/qutoutiao-1/page/2/index.html", "source/36kr/index.html",
		"source/" + sourceSlug("https://www.cnbeta.com/backend.php") + "/index.html",
	}
	for _, dir := range []string{"", "category/新媒体/", "category/新媒体/趣头条/", "category/新媒体/趣头条/分类/", "category/科技/"} {
		want = append(want, dir+"feed.xml", dir+"atom.xml", dir+"feed.json")
	}
	for _, p := range testPosts() {
		want = append(want, "posts/"+p.ID+"/index.html")
	}
	for _, rel := range want {
		if _, err := os.Stat(filepath.Join(opt.Dir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("missing %s: %v", rel, err)
		}
	}
	if _, err := os.Stat(filepath.Join(opt.Dir, "page/4/index.html")); err == nil {
		t.Errorf("page/4 written for 5 posts at 2 a page")
	}
	var m manifest
	if err := json.Unmarshal([]byte(readText(t, opt.Dir, manifestName)), &m); err != nil {
		t.Fatal(err)
	}
	if st.Pages != len(m.Files) || st.Written != st.Pages || st.Unchanged != 0 || st.Removed != 0 {
		t.Errorf("stats %+v, manifest has %d files", st, len(m.Files))
	}
	// No temporary file or journal is left behind.
	filepath.WalkDir(opt.Dir, func(p string, d os.DirEntry, err error) error {
		if ok, _ := filepath.Match(output.TempPattern, d.Name()); ok || d.Name() == journalName {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// listed collects the post hrefs of the cards of a listing, following its
// pager to the last page.
func listed(t *testing.T, dir, rel string) []string {
	t.Helper()
	var out []string
	for n := 1; ; n++ {
		page := rel + "index.html"
		if n > 1 {
			page = rel + fmt.Sprintf("page/%d/index.html", n)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(page))); err != nil {
			return out
		}
		doc := readDoc(t, dir, page)
		doc.Find(".card .card-title a").Each(func(_ int, s *goquery.Selection) {
			out = append(out, resolve(t, doc, page, s.AttrOr("href", "")))
		})
		if doc.Find(".card .cover").Length() != doc.Find(".card").Length() {
			t.Errorf("%s: a card without a cover", page)
		}
	}
}

func postHrefs(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "/posts/a00000000000000" + id + "/"
	}
	return out
}

// Every page's <base href> is the site root, and every link and asset of
// the site's own resolves to a file of the site.
func TestLinksAreRelativeToTheRoot(t *testing.T) {
	opt := testOptions(t)
	opt.PerPage = 1
	build(t, testPosts(), opt)
	var m manifest
	if err := json.Unmarshal([]byte(readText(t, opt.Dir, manifestName)), &m); err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, f := range m.Files {
		if !strings.HasSuffix(f.Path, ".html") {
			continue
		}
		if f.Path == "404.html" {
			continue // served at any URL: its base is the site's path on its server (TestNotFoundPage)
		}
		pages++
		doc := readDoc(t, opt.Dir, f.Path)
		if got := resolve(t, doc, f.Path, "./"); got != "/" {
			t.Errorf("%s: <base href> leads to %s, not the root", f.Path, got)
		}
		doc.Find("a[href], link[href], script[src], img[src]").Each(func(_ int, s *goquery.Selection) {
			ref := s.AttrOr("href", s.AttrOr("src", ""))
			if strings.HasPrefix(ref, "/") {
				t.Errorf("%s: root-relative link %q (breaks from disk and under a path)", f.Path, ref)
			}
			u := resolve(t, doc, f.Path, ref)
			if !strings.HasPrefix(u, "/") {
				return // another site's (the original article, a feed: absolute)
			}
			p, _, _ := strings.Cut(u, "#")
			p, _, _ = strings.Cut(p, "?")
			p, err := url.PathUnescape(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(p, "/") {
				p += "index.html"
			}
			if _, err := os.Stat(filepath.Join(opt.Dir, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s: %q leads to a missing file: %v", f.Path, ref, err)
			}
		})
	}
	if pages < 20 {
		t.Errorf("checked %d pages", pages)
	}
}

func TestListingsLinkTheirPosts(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	tests := []struct {
		rel  string
		want []string
	}{
		{"", postHrefs("5", "1", "2", "3", "4")},
		{"category/新媒体/", postHrefs("5", "1", "2", "3")},
		{"category/新媒体/趣头条/", postHrefs("1", "2")},
		{"category/新媒体/趣头条/分类/", postHrefs("1", "2")},
		{"category/新媒体/cnBeta/最新/", postHrefs("3")},
		{"category/科技/", postHrefs("4")},
		{"source/qutoutiao-1/", postHrefs("5", "1", "2")},
		{"source/36kr/", postHrefs("4")},
	}
	for _, tt := range tests {
		if got := listed(t, opt.Dir, tt.rel); !slices.Equal(got, tt.want) {
			t.Errorf("%q lists %v, want %v", tt.rel, got, tt.want)
		}
	}
}

func TestBreadcrumbsAndCategoryLinks(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	crumbs := func(rel string) (links []string, current string) {
		doc := readDoc(t, opt.Dir, rel)
		doc.Find(".crumbs a").Each(func(_ int, s *goquery.Selection) {
			links = append(links, s.Text()+"="+resolve(t, doc, rel, s.AttrOr("href", "")))
		})
		return links, doc.Find(`.crumbs [aria-current="page"]`).Text()
	}
	tests := []struct {
		rel     string
		links   []string
		current string
	}{
		{"category/新媒体/index.html", []string{"首页=/"}, "新媒体"},
		{"category/新媒体/page/2/index.html", []string{"首页=/", "新媒体=" + catHref("新媒体")}, ""},
		{"category/新媒体/趣头条/分类/index.html", []string{"首页=/", "新媒体=" + catHref("新媒体"), "趣头条=" + catHref("新媒体", "趣头条")}, "分类"},
	}
	for _, tt := range tests {
		links, cur := crumbs(tt.rel)
		if !slices.Equal(links, tt.links) || cur != tt.current {
			t.Errorf("%s: crumbs %v current %q, want %v %q", tt.rel, links, cur, tt.links, tt.current)
		}
	}
	// Every category link of a card points at the category of that level,
	// path-escaped, and the escaped href maps back to the UTF-8 folder.
	page := "category/新媒体/趣头条/分类/index.html"
	doc := readDoc(t, opt.Dir, page)
	var hrefs []string
	doc.Find(".card").First().Find("a.cat").Each(func(_ int, s *goquery.Selection) {
		hrefs = append(hrefs, resolve(t, doc, page, s.AttrOr("href", "")))
	})
	want := []string{catHref("新媒体"), catHref("新媒体", "趣头条"), catHref("新媒体", "趣头条", "分类")}
	if !slices.Equal(hrefs, want) {
		t.Errorf("card category links %v, want %v", hrefs, want)
	}
	for _, h := range hrefs {
		p, _ := url.PathUnescape(h)
		if _, err := os.Stat(filepath.Join(opt.Dir, filepath.FromSlash(p), "index.html")); err != nil {
			t.Errorf("href %s does not map to a folder: %v", h, err)
		}
	}
	// Subcategory chips on a parent page.
	var chips []string
	parent := readDoc(t, opt.Dir, "category/新媒体/index.html")
	parent.Find(".chips a.cat").Each(func(_ int, s *goquery.Selection) {
		chips = append(chips, resolve(t, parent, "category/新媒体/index.html", s.AttrOr("href", "")))
	})
	if !slices.Equal(chips, []string{catHref("新媒体", "趣头条"), catHref("新媒体", "cnBeta")}) {
		t.Errorf("subcategory chips %v", chips)
	}
	// The category index nests every level.
	cats := readDoc(t, opt.Dir, "categories/index.html")
	if n := cats.Find(".tree a.cat").Length(); n != 6 {
		t.Errorf("category index has %d category links, want 6", n)
	}
	if cats.Find(`.tree > li > ul > li > ul > li > a[href="`+strings.TrimPrefix(catHref("新媒体", "趣头条", "分类"), "/")+`"]`).Length() != 1 {
		t.Errorf("third level not nested under its parents")
	}
}

func TestPostPage(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	page := "posts/a000000000000001/index.html"
	doc := readDoc(t, opt.Dir, page)
	orig := doc.Find(".original a")
	if orig.AttrOr("href", "") != "http://home.qutoutiao.net/detail.html?content_id=1" || orig.AttrOr("rel", "") != "noopener noreferrer" {
		t.Errorf("original link %q rel %q", orig.AttrOr("href", ""), orig.AttrOr("rel", ""))
	}
	if !strings.Contains(orig.Text(), "阅读原文") {
		t.Errorf("original link text %q", orig.Text())
	}
	if got := resolve(t, doc, page, doc.Find(".prevnext .newer").AttrOr("href", "")); got != "/posts/a000000000000005/" {
		t.Errorf("newer link %q", got)
	}
	if got := resolve(t, doc, page, doc.Find(".prevnext .older").AttrOr("href", "")); got != "/posts/a000000000000002/" {
		t.Errorf("older link %q", got)
	}
	if got := doc.Find(".post time.rel").AttrOr("datetime", ""); got != "2021-08-17T14:00:00+08:00" {
		t.Errorf("datetime %q", got)
	}
	if got := doc.Find(".post time.rel").Text(); got != "2021-08-17 14:00" {
		t.Errorf("fallback date text %q", got)
	}
	if got := doc.Find(`link[rel="canonical"]`).AttrOr("href", ""); got != testURL+"/posts/a000000000000001/" {
		t.Errorf("canonical %q", got)
	}
	for _, sel := range []string{`meta[name="referrer"][content="no-referrer"]`, `meta[name="viewport"]`,
		`link[rel="alternate"][type="application/rss+xml"][href="` + testURL + `/feed.xml"]`,
		`link[rel="alternate"][type="application/atom+xml"]`, `link[rel="alternate"][type="application/feed+json"]`,
		`form.search input[type="search"]`} {
		if doc.Find(sel).Length() == 0 {
			t.Errorf("post page lacks %s", sel)
		}
	}
	var cats []string
	doc.Find(".post .meta a.cat").Each(func(_ int, s *goquery.Selection) {
		cats = append(cats, s.Text()+"="+resolve(t, doc, page, s.AttrOr("href", "")))
	})
	if want := []string{"新媒体=" + catHref("新媒体"), "趣头条=" + catHref("新媒体", "趣头条"), "分类=" + catHref("新媒体", "趣头条", "分类")}; !slices.Equal(cats, want) {
		t.Errorf("post categories %v, want %v", cats, want)
	}
	if got := resolve(t, doc, page, doc.Find(".post .meta a.source").AttrOr("href", "")); got != "/source/qutoutiao-1/" {
		t.Errorf("post source link %q", got)
	}
	if doc.Find(".post .content img").Length() != 1 {
		t.Errorf("body image missing")
	}

	// The newest post has no newer link, the oldest no older one.
	if readDoc(t, opt.Dir, "posts/a000000000000005/index.html").Find(".prevnext .newer").Length() != 0 {
		t.Errorf("newest post has a newer link")
	}
	if readDoc(t, opt.Dir, "posts/a000000000000004/index.html").Find(".prevnext .older").Length() != 0 {
		t.Errorf("oldest post has an older link")
	}
	// No link: no original link, and no empty href.
	if n := readDoc(t, opt.Dir, "posts/a000000000000002/index.html").Find(".original").Length(); n != 0 {
		t.Errorf("post without link shows %d original links", n)
	}
	// Template braces in a body and a title stay literal.
	raw := readText(t, opt.Dir, "posts/a000000000000003/index.html")
	for _, s := range []string{"Go 模板 {{ .Site }} 与 Nunjucks {% raw %} 以及 {# 注释 #} 都应原样保留。", "模板语法 {{ .Site }} 原样显示"} {
		if !strings.Contains(raw, s) {
			t.Errorf("braces not literal: %q missing", s)
		}
	}
}

func TestTitleIsEscaped(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	for _, rel := range []string{"posts/a000000000000004/index.html", "category/科技/index.html", "page/3/index.html", "posts/a000000000000003/index.html"} {
		raw := readText(t, opt.Dir, rel)
		if strings.Contains(raw, `<script>alert`) {
			t.Errorf("%s: title markup not escaped", rel)
		}
		if !strings.Contains(raw, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; 标题`) {
			t.Errorf("%s: escaped title missing", rel)
		}
	}
	doc := readDoc(t, opt.Dir, "posts/a000000000000004/index.html")
	if got := doc.Find("h1.post-title").Text(); got != `<script>alert("x")</script> & 标题` {
		t.Errorf("title reads %q", got)
	}
}

func TestCovers(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	page := "category/新媒体/趣头条/分类/index.html"
	doc := readDoc(t, opt.Dir, page)
	var srcs []string
	doc.Find(".card img.cover").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("loading", "") != "lazy" {
			t.Errorf("cover without loading=lazy")
		}
		srcs = append(srcs, resolve(t, doc, page, s.AttrOr("src", "")))
	})
	if !slices.Equal(srcs, []string{"https://img.example.com/a.jpg", "/assets/cover.svg"}) {
		t.Errorf("cover srcs %v", srcs)
	}
	if !strings.Contains(readText(t, opt.Dir, "index.html"), `var feedpostCover="assets/cover.svg"`) {
		t.Errorf("fallback cover not given to the error handler")
	}

	opt.DefaultCover = "data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E"
	build(t, testPosts(), opt)
	doc = readDoc(t, opt.Dir, "posts/a000000000000001/index.html")
	got := readDoc(t, opt.Dir, "category/新媒体/趣头条/分类/index.html").Find(".card img.cover").Eq(1).AttrOr("src", "")
	if got != opt.DefaultCover {
		t.Errorf("data: default cover became %q", got)
	}
}

func parseFeed(t *testing.T, dir, rel string) *gofeed.Feed {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feed, err := gofeed.NewParser().Parse(f)
	if err != nil {
		t.Fatalf("%s does not parse: %v", rel, err)
	}
	return feed
}

func TestFeedsParseBack(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	tests := []struct {
		dir   string
		links []string
	}{
		{"", postHrefs("5", "1", "2", "3", "4")},
		{"category/新媒体/趣头条/", postHrefs("1", "2")},
		{"category/新媒体/趣头条/分类/", postHrefs("1", "2")},
		{"category/科技/", postHrefs("4")},
	}
	for _, tt := range tests {
		for _, name := range []string{"feed.xml", "atom.xml", "feed.json"} {
			rel := tt.dir + name
			f := parseFeed(t, opt.Dir, rel)
			wantType := map[string]string{"feed.xml": "rss", "atom.xml": "atom", "feed.json": "json"}[name]
			if f.FeedType != wantType {
				t.Errorf("%s: type %s", rel, f.FeedType)
			}
			if f.Title == "" || f.Link != testURL+"/"+escapeSegments(tt.dir) {
				t.Errorf("%s: title %q link %q", rel, f.Title, f.Link)
			}
			if f.FeedLink != testURL+"/"+escapeSegments(rel) {
				t.Errorf("%s: self link %q", rel, f.FeedLink)
			}
			var links []string
			for _, it := range f.Items {
				links = append(links, strings.TrimPrefix(it.Link, testURL))
				if !strings.HasPrefix(it.Link, testURL+"/posts/") || it.GUID != it.Link {
					t.Errorf("%s: item link %q guid %q", rel, it.Link, it.GUID)
				}
				if it.Title == "" || it.Content == "" && it.Description == "" || it.PublishedParsed == nil {
					t.Errorf("%s: item %q lacks title, content or date", rel, it.Link)
				}
				if len(it.Authors) == 0 || it.Authors[0].Name == "" {
					t.Errorf("%s: item %q has no author", rel, it.Link)
				}
			}
			if !slices.Equal(links, tt.links) {
				t.Errorf("%s: items %v, want %v", rel, links, tt.links)
			}
		}
	}
	// A post's date, body and cover survive the round trip.
	for _, name := range []string{"feed.xml", "atom.xml", "feed.json"} {
		f := parseFeed(t, opt.Dir, "category/新媒体/cnBeta/最新/"+name)
		it := f.Items[0]
		if !it.PublishedParsed.Equal(time.Date(2021, 8, 15, 8, 0, 0, 0, cst)) {
			t.Errorf("%s: published %v", name, it.PublishedParsed)
		}
		body := cmpOr(it.Content, it.Description)
		if !strings.Contains(body, "{{ .Site }}") || !strings.Contains(body, "<p>") {
			t.Errorf("%s: body %q", name, body)
		}
		if name != "feed.xml" && (it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(time.Date(2021, 8, 15, 20, 0, 0, 0, cst))) {
			t.Errorf("%s: updated %v", name, it.UpdatedParsed)
		}
		if name == "feed.json" && (it.Image == nil || it.Image.URL != "http://img.cnbeta.com/b.png") {
			t.Errorf("json feed image %+v", it.Image)
		}
	}
}

type xmlLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestFeedRequiredElements checks the elements gofeed tolerates missing.
func TestFeedRequiredElements(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	var rss struct {
		Version string `xml:"version,attr"`
		Channel struct {
			Title string `xml:"title"`
			Links []struct {
				Rel   string `xml:"rel,attr"`
				Value string `xml:",chardata"`
			} `xml:"link"` // <link> and <atom:link rel="self">
			Description string `xml:"description"`
			Items       []struct {
				Title       string `xml:"title"`
				Link        string `xml:"link"`
				PubDate     string `xml:"pubDate"`
				Description string `xml:"description"`
				GUID        struct {
					IsPermaLink string `xml:"isPermaLink,attr"`
					Value       string `xml:",chardata"`
				} `xml:"guid"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal([]byte(readText(t, opt.Dir, "feed.xml")), &rss); err != nil {
		t.Fatal(err)
	}
	c := rss.Channel
	if len(c.Links) != 2 || c.Links[0].Value != testURL+"/" || c.Links[1].Rel != "self" {
		t.Errorf("rss channel links %+v", c.Links)
	}
	if rss.Version != "2.0" || c.Title == "" || c.Description == "" || len(c.Items) != 5 {
		t.Fatalf("rss channel %+v", c)
	}
	for _, it := range c.Items {
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("pubDate %q: %v", it.PubDate, err)
		}
		if it.GUID.IsPermaLink != "true" || it.GUID.Value != it.Link || it.Title == "" || !strings.HasPrefix(it.Description, "<p>") {
			t.Errorf("rss item %+v", it)
		}
	}

	var atom struct {
		XMLName xml.Name
		ID      string    `xml:"id"`
		Title   string    `xml:"title"`
		Updated string    `xml:"updated"`
		Links   []xmlLink `xml:"link"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Updated   string `xml:"updated"`
			Published string `xml:"published"`
			Author    struct {
				Name string `xml:"name"`
			} `xml:"author"`
			Content struct {
				Type string `xml:"type,attr"`
			} `xml:"content"`
			Links []xmlLink `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(readText(t, opt.Dir, "atom.xml")), &atom); err != nil {
		t.Fatal(err)
	}
	if atom.XMLName.Space != "http://www.w3.org/2005/Atom" || atom.ID == "" || atom.Title == "" || len(atom.Entries) != 5 {
		t.Fatalf("atom feed %+v", atom)
	}
	if _, err := time.Parse(time.RFC3339, atom.Updated); err != nil || atom.Updated != "2021-08-18T06:00:00+08:00" {
		t.Errorf("atom updated %q (%v), want the newest post's", atom.Updated, err)
	}
	rels := map[string]string{}
	for _, l := range atom.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != testURL+"/atom.xml" || rels["alternate"] != testURL+"/" {
		t.Errorf("atom links %v", rels)
	}
	for _, e := range atom.Entries {
		if e.ID == "" || e.Title == "" || e.Updated == "" || e.Published == "" || e.Author.Name == "" || e.Content.Type != "html" || len(e.Links) == 0 {
			t.Errorf("atom entry %+v", e)
		}
	}

	var jf map[string]any
	if err := json.Unmarshal([]byte(readText(t, opt.Dir, "feed.json")), &jf); err != nil {
		t.Fatal(err)
	}
	if jf["version"] != "https://jsonfeed.org/version/1.1" || jf["home_page_url"] != testURL+"/" || jf["feed_url"] != testURL+"/feed.json" {
		t.Errorf("json feed head %v %v %v", jf["version"], jf["home_page_url"], jf["feed_url"])
	}
	items, _ := jf["items"].([]any)
	if len(items) != 5 {
		t.Fatalf("json feed has %d items", len(items))
	}
	first := items[0].(map[string]any)
	for _, k := range []string{"id", "url", "title", "content_html", "date_published", "image", "authors"} {
		if first[k] == nil {
			t.Errorf("json feed item lacks %s", k)
		}
	}
}

func TestFeedsCarryNewest50(t *testing.T) {
	var posts []post.Post
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 55 {
		posts = append(posts, post.Post{ID: fmt.Sprintf("%016x", i), SourceKey: "s", Title: fmt.Sprint("t", i),
			Categories: []string{"A", "B"}, Date: base.Add(time.Duration(i) * time.Hour), Body: "<p>x</p>"})
	}
	opt := Options{Dir: t.TempDir(), URL: testURL + "/news/", PerPage: 20}
	build(t, posts, opt)
	for _, rel := range []string{"feed.xml", "atom.xml", "feed.json", "category/A/feed.xml", "category/A/B/feed.json"} {
		f := parseFeed(t, opt.Dir, rel)
		if len(f.Items) != 50 {
			t.Errorf("%s: %d items, want 50", rel, len(f.Items))
		}
		if f.Items[0].Title != "t54" || f.Items[49].Title != "t5" {
			t.Errorf("%s: items %s … %s, want t54 … t5", rel, f.Items[0].Title, f.Items[49].Title)
		}
		if !strings.HasPrefix(f.Items[0].Link, testURL+"/news/posts/") {
			t.Errorf("%s: link %q not under the sub-path", rel, f.Items[0].Link)
		}
	}
	// The pages of a site under a sub-path link relatively: under whatever
	// path it is served at.
	doc := readDoc(t, opt.Dir, "index.html")
	if got := resolve(t, doc, "index.html", doc.Find(".card-title a").First().AttrOr("href", "")); got != "/posts/0000000000000036/" {
		t.Errorf("card href %q", got)
	}
	if got := resolve(t, doc, "index.html", doc.Find(".pager a.next").AttrOr("href", "")); got != "/page/2/" {
		t.Errorf("next page href %q", got)
	}
}

func TestSitemapAndSearch(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	var sm struct {
		XMLName xml.Name
		URLs    []struct {
			Loc     string `xml:"loc"`
			Lastmod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(readText(t, opt.Dir, "sitemap.xml")), &sm); err != nil {
		t.Fatal(err)
	}
	if sm.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" {
		t.Errorf("sitemap namespace %q", sm.XMLName.Space)
	}
	locs := map[string]bool{}
	for _, u := range sm.URLs {
		if !strings.HasPrefix(u.Loc, testURL+"/") {
			t.Errorf("relative sitemap URL %q", u.Loc)
		}
		locs[u.Loc] = true
	}
	want := []string{"/", "/page/2/", "/page/3/", "/categories/", catHref("新媒体", "趣头条", "分类"), catHref("新媒体") + "page/2/", "/source/qutoutiao-1/"}
	want = append(want, postHrefs("1", "2", "3", "4", "5")...)
	for _, w := range want {
		if !locs[testURL+w] {
			t.Errorf("sitemap lacks %s", w)
		}
	}
	// Every HTML page but the 404 page is in the sitemap, nothing else.
	var m manifest
	json.Unmarshal([]byte(readText(t, opt.Dir, manifestName)), &m)
	html := 0
	for _, f := range m.Files {
		if strings.HasSuffix(f.Path, ".html") && f.Path != "404.html" {
			html++
		}
	}
	if len(sm.URLs) != html {
		t.Errorf("sitemap has %d URLs, site %d pages", len(sm.URLs), html)
	}

	var idx []searchEntry
	if err := json.Unmarshal([]byte(readText(t, opt.Dir, "search.json")), &idx); err != nil {
		t.Fatalf("search.json: %v", err)
	}
	if len(idx) != 5 || idx[0].ID != "a000000000000005" || idx[0].URL != "posts/a000000000000005/" || idx[0].Source != "趣头条" {
		t.Fatalf("search index %+v", idx)
	}
	if got := idx[1].Categories; !slices.Equal(got, []string{"新媒体", "趣头条", "分类"}) || idx[1].Date != "2021-08-17T14:00:00+08:00" {
		t.Errorf("search entry %+v", idx[1])
	}
}

// files maps every file of dir to its FileInfo.
func files(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	out := map[string]os.FileInfo{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		out[p] = fi
		return err
	})
	return out
}

// rewritten lists the files of before that are no longer the same file or
// have another mtime. An atomic rewrite (temp file + rename) always makes
// another file (inode), whatever the clock's granularity.
func rewritten(before, after map[string]os.FileInfo) []string {
	var out []string
	for p, fi := range before {
		if a, ok := after[p]; !ok || !os.SameFile(fi, a) || !fi.ModTime().Equal(a.ModTime()) {
			out = append(out, p)
		}
	}
	return out
}

func TestSecondBuildRewritesNothing(t *testing.T) {
	opt := testOptions(t)
	first := build(t, testPosts(), opt)
	before := files(t, opt.Dir)
	st := build(t, testPosts(), opt)
	if st.Written != 0 || st.Unchanged != first.Pages || st.Removed != 0 {
		t.Errorf("second build %+v, first %+v", st, first)
	}
	if r := rewritten(before, files(t, opt.Dir)); len(r) != 0 {
		t.Errorf("rewritten: %v", r)
	}

	// Files whose mtime changed behind the builder's back are compared by
	// content and still not rewritten; only the manifest notes the mtimes.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for p := range before {
		if filepath.Base(p) != manifestName {
			os.Chtimes(p, old, old)
		}
	}
	if st := build(t, testPosts(), opt); st.Written != 0 {
		t.Errorf("touched files rewritten: %+v", st)
	}
	for p := range before {
		if fi, _ := os.Stat(p); filepath.Base(p) != manifestName && !fi.ModTime().Equal(old) {
			t.Errorf("%s rewritten after touch", p)
		}
	}
	// A file edited behind the builder's back with the same size is
	// restored.
	edited := filepath.Join(opt.Dir, "posts", "a000000000000002", "index.html")
	data, _ := os.ReadFile(edited)
	os.WriteFile(edited, bytes.Replace(data, []byte("正文没有链接"), []byte("被别人改过了"), 1), 0o644)
	if st := build(t, testPosts(), opt); st.Written != 1 {
		t.Errorf("edited file: %+v", st)
	}
	if !strings.Contains(readText(t, opt.Dir, "posts/a000000000000002/index.html"), "正文没有链接") {
		t.Errorf("edited file not restored")
	}

	// A changed title rewrites its post page, the listings that show it and
	// the neighbours whose prev/next name it, not everything.
	posts := testPosts()
	posts[3].Title = "新标题"
	st = build(t, posts, opt)
	if st.Written == 0 || st.Written > first.Pages/2 {
		t.Errorf("title change wrote %d of %d files", st.Written, st.Pages)
	}
}

func TestStaleFilesRemoved(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	os.WriteFile(filepath.Join(opt.Dir, "CNAME"), []byte("news.example.com"), 0o644)
	outside := filepath.Join(filepath.Dir(opt.Dir), "keep-me")
	os.WriteFile(outside, []byte("x"), 0o644)
	// A damaged manifest naming a file outside the site deletes nothing there.
	var m manifest
	json.Unmarshal([]byte(readText(t, opt.Dir, manifestName)), &m)
	m.Files = append(m.Files, fileEntry{Path: "../keep-me"}, fileEntry{Path: "/etc/hostname"})
	data, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(opt.Dir, manifestName), data, 0o644)

	posts := slices.DeleteFunc(testPosts(), func(p post.Post) bool { return p.ID == "a000000000000003" })
	st := build(t, posts, opt)
	if st.Removed < 7 {
		t.Errorf("removed %d files", st.Removed)
	}
	for _, rel := range []string{"posts/a000000000000003", "category/新媒体/cnBeta", "source/" + sourceSlug("https://www.cnbeta.com/backend.php")} {
		if _, err := os.Stat(filepath.Join(opt.Dir, filepath.FromSlash(rel))); err == nil {
			t.Errorf("%s still there", rel)
		}
	}
	for _, p := range []string{filepath.Join(opt.Dir, "CNAME"), outside, filepath.Join(opt.Dir, "category/新媒体/index.html")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
	if got := listed(t, opt.Dir, "category/新媒体/"); !slices.Equal(got, postHrefs("5", "1", "2")) {
		t.Errorf("新媒体 lists %v after removal", got)
	}
}

func TestNoURLSkipsFeedsAndSitemap(t *testing.T) {
	opt := testOptions(t)
	build(t, testPosts(), opt)
	opt.URL = ""
	st := build(t, testPosts(), opt)
	for _, rel := range []string{"feed.xml", "atom.xml", "feed.json", "sitemap.xml", "category/科技/feed.xml"} {
		if _, err := os.Stat(filepath.Join(opt.Dir, rel)); err == nil {
			t.Errorf("%s written without a site URL", rel)
		}
	}
	if st.Removed != 3*7+1 {
		t.Errorf("removed %d files, want the 21 feeds and the sitemap", st.Removed)
	}
	doc := readDoc(t, opt.Dir, "index.html")
	if doc.Find(`link[rel="alternate"], link[rel="canonical"]`).Length() != 0 {
		t.Errorf("feed or canonical links without a site URL")
	}
	if _, err := os.Stat(filepath.Join(opt.Dir, "search.json")); err != nil {
		t.Errorf("search index missing: %v", err)
	}
}

func TestTemplateOverride(t *testing.T) {
	opt := testOptions(t)
	opt.Templates = t.TempDir()
	os.WriteFile(filepath.Join(opt.Templates, "card.html"),
		[]byte(`{{define "card"}}<div class="card my-card">{{.Title}}</div>{{end}}`), 0o644)
	os.WriteFile(filepath.Join(opt.Templates, "style.css"), []byte("body{color:red}"), 0o644)
	build(t, testPosts(), opt)
	doc := readDoc(t, opt.Dir, "index.html")
	if doc.Find(".my-card").Length() != 2 {
		t.Errorf("card override not used")
	}
	if got := readText(t, opt.Dir, "assets/style.css"); got != "body{color:red}" {
		t.Errorf("style override not used: %q", got)
	}
	if doc.Find(".crumbs, header.top").Length() == 0 {
		t.Errorf("embedded layout lost")
	}

	os.WriteFile(filepath.Join(opt.Templates, "post.html"), []byte(`{{define "content"}}{{.Nope}}{{end}}`), 0o644)
	if _, err := Build(testPosts(), opt); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("bad override: error %v", err)
	}
	os.WriteFile(filepath.Join(opt.Templates, "post.html"), []byte(`{{define "content"}}{{if}}{{end}}`), 0o644)
	if _, err := Build(testPosts(), opt); err == nil || !strings.Contains(err.Error(), "post.html") {
		t.Errorf("unparsable override: error %v", err)
	}
	opt.Templates = filepath.Join(opt.Templates, "missing")
	if _, err := Build(testPosts(), opt); err == nil {
		t.Errorf("missing templates folder accepted")
	}
}

func TestEmptySite(t *testing.T) {
	opt := testOptions(t)
	st := build(t, nil, opt)
	if st.Pages == 0 {
		t.Fatal("nothing written")
	}
	if readDoc(t, opt.Dir, "index.html").Find(".empty").Length() != 1 {
		t.Errorf("empty home page lacks the no-posts note")
	}
	parseFeed(t, opt.Dir, "atom.xml")
}

func TestBadOptions(t *testing.T) {
	for _, opt := range []Options{{}, {Dir: t.TempDir(), URL: "news.example.com"}, {Dir: t.TempDir(), URL: "ftp://x/"}} {
		if _, err := Build(testPosts(), opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
}

func TestSegment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"新媒体", "新媒体"},
		{" 趣头条 ", "趣头条"},
		{"a/b", "a-b"},
		{`c:\d`, "c--d"},
		{"..", "_."},
		{".hidden", "_hidden"},
		{"", "_"},
		{"page", "_page"},
		{"Feed.XML", "_Feed.XML"},
		{"50%", "50%"},
		{"a\u0085b\u2028c\ufeffd\u009fe", "a-b-c-d-e"}, // C1 controls, separators, BOM (issue 12)
		{strings.Repeat("长", 100), strings.Repeat("长", 50)},
	}
	for _, tt := range tests {
		if got := segment(tt.in); got != tt.want {
			t.Errorf("segment(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSourceSlug(t *testing.T) {
	tests := []struct{ in, prefix string }{
		{"qutoutiao-1", "qutoutiao-1"},
		{"https://www.cnbeta.com/backend.php", "www-cnbeta-com-backend-php-"},
		{"/qutoutiao/category/1", "qutoutiao-category-1-"},
		{"cnBeta", "cnbeta-"},
		{"趣头条", "趣头条"},
		{"!!!", "s-"},
	}
	for _, tt := range tests {
		got := sourceSlug(tt.in)
		if tt.in == tt.prefix && got != tt.in || !strings.HasPrefix(got, tt.prefix) || strings.ContainsAny(got, "/.:") {
			t.Errorf("sourceSlug(%q) = %q, want prefix %q", tt.in, got, tt.prefix)
		}
	}
	if sourceSlug("a/b") == sourceSlug("a-b") {
		t.Errorf("keys that fold alike share a slug")
	}
	if postSlug("../x") == "../x" || postSlug("a000000000000001") != "a000000000000001" {
		t.Errorf("postSlug does not confine IDs")
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"<p>一二三</p><p>四五</p>", 10, "一二三 四五"},
		{"<p>a <b>bold</b>  word</p>", 20, "a bold word"},
		{"<p>一二三四五</p>", 3, "一二三…"},
		{"<p>一二三</p>", 3, "一二三"},
		{"<p>&amp; &lt;x&gt;</p>", 10, "& <x>"},
	}
	for _, tt := range tests {
		if got := excerpt(tt.in, tt.n); got != tt.want {
			t.Errorf("excerpt(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestSafeImage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://a/b.jpg", "https://a/b.jpg"},
		{"/assets/cover.svg", "/assets/cover.svg"},
		{"data:image/png;base64,AAAA", "data:image/png;base64,AAAA"},
		{"data:text/html,<script>", ""},
		{"javascript:alert(1)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(safeImage(tt.in)); got != tt.want {
			t.Errorf("safeImage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// sameFiles compares every file of the site in want (the manifest and the
// stale marker aside) with the file of the same path under got, reporting
// each that differs, and returns how many it compared.
func sameFiles(t *testing.T, want, got, what string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".feedpost") {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s: %s differs (%v)", what, rel, err)
		}
		n++
		return nil
	})
	return n
}

// TestNotFoundPage: the site has a 404.html in its own style, which
// `feedpost serve` answers unknown paths with. It is served at any URL, so
// its <base href> is the site's path on its server (the path of site.url),
// and its links are relative to that.
func TestNotFoundPage(t *testing.T) {
	for _, tc := range []struct{ lang, url, base string }{
		{"zh-CN", "https://news.example.com", "/"},
		{"en", "https://example.com/news/", "/news/"},
		{"en", "", "/"},
	} {
		opt := testOptions(t)
		opt.Language, opt.URL = tc.lang, tc.url
		build(t, testPosts(), opt)
		page := readText(t, opt.Dir, "404.html")
		heading := map[string]string{"zh-CN": "页面不存在", "en": "Page not found"}[tc.lang]
		for _, want := range []string{"<h1 class=\"page-title\">" + heading + "</h1>", `class="kind-notfound"`,
			`<base href="` + tc.base + `">`, `href="assets/style.css?v=`, `href="categories/"`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s %s: 404.html lacks %s", tc.lang, tc.url, want)
			}
		}
		if strings.Contains(page, `rel="canonical"`) {
			t.Errorf("%s: 404.html has a canonical URL", tc.lang)
		}
	}
}
