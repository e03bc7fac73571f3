package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// templateFiles are the embedded templates, each overridable by a file of
// the same name in Options.Templates. base.html defines "base" (the layout)
// and calls "content", which list.html, post.html and categories.html
// define; card.html defines "card"; links.html defines "cat-links" and
// "source-link", rendered once per category path and per source.
var templateFiles = []string{"base.html", "card.html", "list.html", "post.html", "categories.html", "links.html"}

// assetFiles are written to assets/ and overridable the same way.
var assetFiles = []string{"style.css", "site.js", "cover.svg"}

type templates struct {
	card, list, post, categories *template.Template
	genCard                      bool // card.html is the one pages_gen.go was generated from: generated.card renders it
	genPages                     bool // so are base.html, list.html and post.html: generated.listPage and postPage render them
	catLinks, sourceLink         *template.Template
	assets                       map[string][]byte
}

// The embedded card.html, and base.html with list.html and with post.html,
// are also compiled into Go (pages_gen.go, by `go generate`: gen_test.go),
// which writes the same bytes as html/template does. A CPU profile of a
// 10,000-post build showed html/template's execution (text/template's
// reflection walk: a reflect call per field and per escaper, some forty
// actions a page, and a card on up to five listing pages) at about a
// third of the build's CPU, for pages whose every byte is fixed text, a few
// escaped strings and HTML rendered beforehand. The templates stay the one
// source: the generated code is derived from them, TestGenerated fails
// when it is stale, and a template whose digest is not the one the code
// was generated from — an override in site.templates, or an embedded
// template changed without `go generate` — goes through html/template.
//
//go:generate go test -run ^TestGenerated$ -update .

// generated are the renderers of pages_gen.go; nil without that file (it
// can be deleted and generated again).
var generated *genRenderers

// generatedFiles are the templates pages_gen.go is generated from.
var generatedFiles = []string{"base.html", "card.html", "list.html", "post.html"}

type genRenderers struct {
	sums               map[string]string // template file → SHA-256 (hex) of the source the code was generated from
	card               func(buf *bytes.Buffer, v *postView)
	listPage, postPage func(buf *bytes.Buffer, p *page)
}

// from reports whether the renderers were generated from these template
// sources (file name → source).
func (g *genRenderers) from(src map[string]string, names ...string) bool {
	if g == nil {
		return false
	}
	for _, name := range names {
		if g.sums[name] != sourceSum(src[name]) {
			return false
		}
	}
	return true
}

// sourceSum is the digest genRenderers.sums holds for a template source.
func sourceSum(src string) string {
	sum := sha256.Sum256([]byte(src))
	return hex.EncodeToString(sum[:])
}

// readFile returns the override of name from dir when there is one, else
// the embedded file.
func readFile(dir, embeddedPath string) ([]byte, error) {
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(embeddedPath)))
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("site: read template override: %w", err)
		}
	}
	return embedded.ReadFile(embeddedPath)
}

// loadTemplates reads the templates (dir's overrides, else the embedded
// ones) and, with useGenerated, uses the generated renderers for those they
// were generated from.
func loadTemplates(dir string, useGenerated bool) (*templates, error) {
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("site: templates folder: %w", err)
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("site: templates folder %s is not a folder", dir)
		}
	}
	src := map[string]string{}
	for _, name := range templateFiles {
		b, err := readFile(dir, "templates/"+name)
		if err != nil {
			return nil, err
		}
		src[name] = string(b)
	}
	parse := func(t *template.Template, name string) (*template.Template, error) {
		t, err := t.New(name).Parse(src[name])
		if err != nil {
			return nil, fmt.Errorf("site: parse template %s: %w", name, err)
		}
		return t, nil
	}
	base, err := parse(template.New(""), "base.html")
	if err != nil {
		return nil, err
	}
	page := func(name string) (*template.Template, error) {
		c, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("site: template %s: %w", name, err)
		}
		if _, err := parse(c, name); err != nil {
			return nil, err
		}
		t := c.Lookup("base")
		if t == nil {
			return nil, fmt.Errorf("site: template base.html does not define \"base\"")
		}
		return t, nil
	}
	t := &templates{assets: map[string][]byte{}}
	if t.list, err = page("list.html"); err != nil {
		return nil, err
	}
	if t.post, err = page("post.html"); err != nil {
		return nil, err
	}
	if t.categories, err = page("categories.html"); err != nil {
		return nil, err
	}
	card, err := parse(template.New(""), "card.html")
	if err != nil {
		return nil, err
	}
	if t.card = card.Lookup("card"); t.card == nil {
		return nil, fmt.Errorf("site: template card.html does not define \"card\"")
	}
	t.genCard = useGenerated && generated.from(src, "card.html")
	t.genPages = useGenerated && generated.from(src, "base.html", "list.html", "post.html")
	links, err := parse(template.New(""), "links.html")
	if err != nil {
		return nil, err
	}
	t.catLinks, t.sourceLink = links.Lookup("cat-links"), links.Lookup("source-link")
	if t.catLinks == nil || t.sourceLink == nil {
		return nil, fmt.Errorf("site: template links.html must define \"cat-links\" and \"source-link\"")
	}
	for _, name := range assetFiles {
		b, err := readFile(dir, "assets/"+name)
		if err != nil {
			return nil, err
		}
		t.assets[name] = b
	}
	return t, nil
}

// labels are the interface words, Chinese or English by Options.Language.
type labels struct {
	Home, Latest, Categories, Sources, Search, NoResults, NoPosts string
	ReadOriginal, Newer, Older, PrevPage, NextPage, PageOf        string
	Subscribe, Author, Posts, PoweredBy                           string
	NotFound                                                      string
}

var zhLabels = labels{
	Home: "首页", Latest: "最新", Categories: "全部分类", Sources: "来源", Search: "搜索标题…",
	NoResults: "没有匹配的文章", NoPosts: "暂无文章",
	ReadOriginal: "阅读原文", Newer: "较新一篇", Older: "较旧一篇",
	PrevPage: "上一页", NextPage: "下一页", PageOf: "第 %d / %d 页",
	Subscribe: "订阅", Author: "作者", Posts: "篇", PoweredBy: "由 feedpost 生成",
	NotFound: "页面不存在",
}

var enLabels = labels{
	Home: "Home", Latest: "Latest", Categories: "All categories", Sources: "Sources", Search: "Search titles…",
	NoResults: "No matching posts", NoPosts: "No posts yet",
	ReadOriginal: "Read the original", Newer: "Newer", Older: "Older",
	PrevPage: "Previous", NextPage: "Next", PageOf: "Page %d of %d",
	Subscribe: "Subscribe", Author: "Author", Posts: "posts", PoweredBy: "Built with feedpost",
	NotFound: "Page not found",
}

func labelsFor(lang string) *labels {
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		return &zhLabels
	}
	return &enLabels
}

// link is a named href.
type link struct {
	Name  string
	Href  string
	Count int
}

// feedLink is an output feed: Name is the format ("RSS"), Title names the
// site or category too, for <link rel="alternate" title>.
type feedLink struct{ Type, Name, Title, Href string }

// siteView is what every page shares. Hrefs are relative to the site root
// (builder.path); Root is the site's path on its server ("/", "/news/"), for
// a page served at any URL (an error page), whose <base href> must be it.
type siteView struct {
	Title, Lang, Root    string
	Home, CategoriesHref string
	CSS, JS, SearchIndex string
	FallbackCover        template.URL
	Head, Header, Footer template.HTML // rendered once from site-head, site-header, site-footer
	T                    *labels
	Nav                  []link
	Feeds                []feedLink
}

type pagerLink struct {
	N       int
	Href    string
	Current bool
	Gap     bool
}

type pager struct {
	Prev, Next    string
	Number, Total int
	Pages         []pagerLink
}

// postView is one post as card.html and post.html see it; hrefs are
// root-relative and path-escaped. CatLinks and SourceLink are Cats and
// Source rendered by links.html, once for all the posts that share them:
// the embedded templates insert those rather than spend a dozen escaper
// calls per card and page on the same links.
type postView struct {
	Title, Href, ISO, Display, Author, Link string
	Cover                                   template.URL
	Body                                    template.HTML
	Source                                  link
	Cats                                    []link
	SourceLink, CatLinks                    template.HTML
	Newer, Older                            *link
}

type treeItem struct {
	link
	Children []*treeItem
}

// page is the data of every template; each kind fills its part.
type page struct {
	Site        *siteView
	Base        string // the site root relative to the page ("../../"), for <base href>: every href is relative to the root
	Kind        string // home, category, source, post, categories
	Title       string // <title>
	Heading     string
	Canonical   string
	Description string
	Image       template.URL
	Feeds       []feedLink // a category's own feeds (the site's are in Site.Feeds and Site.Head)
	Crumbs      []link
	Children    []link
	Cards       template.HTML // the listing's cards, each rendered once by card.html, joined
	Pager       *pager
	Post        *postView
	Tree        []*treeItem
	Sources     []link
}

func (b *builder) siteView() *siteView {
	t := b.tpl
	ver := func(name string) string {
		sum := sha256.Sum256(t.assets[name])
		return b.path("assets/"+name) + "?v=" + hex.EncodeToString(sum[:4])
	}
	s := &siteView{
		Title: b.opt.Title, Lang: b.opt.Language, Root: b.root,
		Home: b.path(""), CategoriesHref: b.path("categories/"),
		CSS: ver("style.css"), JS: ver("site.js"), SearchIndex: b.path("search.json"),
		T: b.labels,
	}
	s.FallbackCover = safeImage(b.opt.DefaultCover)
	if s.FallbackCover == "" {
		s.FallbackCover = template.URL(b.path("assets/cover.svg"))
	}
	for i, n := range b.top {
		if i == 8 {
			break
		}
		s.Nav = append(s.Nav, link{Name: n.name, Href: b.path(n.href)})
	}
	if b.base != "" {
		s.Feeds = b.feedLinks("", b.opt.Title)
	}
	return s
}

// renderChrome renders the parts every page shares once, so that 10,000
// post pages do not each re-run (and re-escape) the header and footer.
func (b *builder) renderChrome() error {
	var buf bytes.Buffer
	for _, part := range []struct {
		name string
		dst  *template.HTML
	}{{"site-head", &b.site.Head}, {"site-header", &b.site.Header}, {"site-footer", &b.site.Footer}} {
		t := b.tpl.list.Lookup(part.name)
		if t == nil {
			return fmt.Errorf("site: template base.html does not define %q", part.name)
		}
		buf.Reset()
		if err := t.Execute(&buf, b.site); err != nil {
			return fmt.Errorf("site: render %s: %w", part.name, err)
		}
		*part.dst = template.HTML(buf.String())
	}
	return nil
}

func (b *builder) feedLinks(rel, title string) []feedLink {
	return []feedLink{
		{"application/rss+xml", "RSS", title + " (RSS)", b.abs(rel + "feed.xml")},
		{"application/atom+xml", "Atom", title + " (Atom)", b.abs(rel + "atom.xml")},
		{"application/feed+json", "JSON Feed", title + " (JSON Feed)", b.abs(rel + "feed.json")},
	}
}

// safeImage admits the image URLs a page may load: http(s), relative and
// root-relative URLs, and data: URLs of image types. html/template would
// replace a data: URL in src with #ZgotmplZ, so an admitted one is typed.
func safeImage(s string) template.URL {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	low := strings.ToLower(s)
	if strings.HasPrefix(low, "data:") {
		if strings.HasPrefix(low, "data:image/") && !strings.ContainsAny(s, "\"'<>") {
			return template.URL(s)
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return template.URL(s)
}

// renderLinks renders every category path's links and every source's
// link once, for all the cards and post pages that show them.
func (b *builder) renderLinks() error {
	return parallel(len(b.nodes)+len(b.sources), func(i int, buf *bytes.Buffer) error {
		if i < len(b.nodes) {
			n := b.nodes[i]
			if err := b.tpl.catLinks.Execute(buf, n.links); err != nil {
				return fmt.Errorf("site: render the links of category %s: %w", strings.Join(n.names, "/"), err)
			}
			n.html = template.HTML(buf.String())
			return nil
		}
		s := b.sources[i-len(b.nodes)]
		if err := b.tpl.sourceLink.Execute(buf, s.link); err != nil {
			return fmt.Errorf("site: render the link of source %s: %w", s.key, err)
		}
		s.html = template.HTML(buf.String())
		return nil
	})
}

// postView is what the templates see of post i, whose meta is m; body,
// when not nil, is the post's body (the post page needs it, a card does
// not); newer and older, when not nil, are the metas of the posts before
// and after it (see around). The embedded card.html shows neither.
func (b *builder) postView(i int, m *meta, body *string, newer, older *meta) *postView {
	e := b.entries[i]
	src := e.src()
	v := &postView{
		Title: m.title, Href: b.path(e.href("")), ISO: isoDate(e.date), Display: displayDate(e.date),
		Link: m.link, Cover: b.cover(m.cover),
		Source: src.link, SourceLink: src.html, Cats: e.catLinks(),
	}
	if n := e.leaf(); n != nil {
		v.CatLinks = n.html
	}
	if body != nil {
		v.Body = template.HTML(*body)
	}
	if m.author != src.name {
		v.Author = m.author
	}
	if newer != nil {
		v.Newer = &link{Name: newer.title, Href: b.path(b.entries[i-1].href(""))}
	}
	if older != nil {
		v.Older = &link{Name: older.title, Href: b.path(b.entries[i+1].href(""))}
	}
	return v
}

// around returns the meta of post i and those of its newer and older
// neighbours (nil at either end), read together.
func (b *builder) around(i int) (m meta, newer, older *meta) {
	es := append(make([]*entry, 0, 3), b.entries[i])
	if i > 0 {
		es = append(es, b.entries[i-1])
	}
	if i+1 < len(b.entries) {
		es = append(es, b.entries[i+1])
	}
	ms := b.metas(es...)
	k := 1
	if i > 0 {
		newer = &ms[k]
		k++
	}
	if i+1 < len(b.entries) {
		older = &ms[k]
	}
	return ms[0], newer, older
}

func (b *builder) cover(c string) template.URL {
	if u := safeImage(c); u != "" {
		return u
	}
	return b.site.FallbackCover
}

func isoDate(t time.Time) string     { return t.Format(time.RFC3339) }
func displayDate(t time.Time) string { return t.Format("2006-01-02 15:04") }

// cards returns the cards of es joined, for a listing page; ms are their
// metas. buf is scratch space, left empty.
func (b *builder) cards(es []*entry, ms []meta, buf *bytes.Buffer) (template.HTML, error) {
	var one [32]string
	parts := one[:0]
	size := 0
	for i, e := range es {
		c, err := b.card(e, &ms[i], buf)
		if err != nil {
			return "", err
		}
		parts = append(parts, c)
		size += len(c)
	}
	var sb strings.Builder
	sb.Grow(size)
	for _, c := range parts {
		sb.WriteString(c)
	}
	return template.HTML(sb.String()), nil
}

// card is a post's card.html while listing pages still need it.
type card struct {
	once sync.Once
	html string
	err  error
	uses int  // listing pages still to show it; guarded by builder.cardMu
	keep bool // html is kept for those pages (and counted in builder.cardBytes)
}

// maxCardBytes bounds the rendered cards kept for listing pages still to
// come (Options.cardBudget changes it for tests). Which pages come when
// depends on the posts: a source with one page of posts spread over months
// holds its cards from the home page's first page to nearly the last. Past
// the bound a card is rendered for each page that shows it instead of once:
// memory stays bounded however many posts and sources there are, for some
// more rendering beyond that size. 8 MB holds some 8,000 cards.
const maxCardBytes = 8 << 20

// card returns e's card for one more listing page. Every post is on its
// home page, its source's page and the page of each level of its category
// path; its card is rendered by the first of these pages and dropped after
// the last. As listing pages are rendered in the order of their oldest
// post (jobs), only the cards of the pages under way are held, up to
// maxCardBytes. A generated card is not kept: rendering it again costs less.
func (b *builder) card(e *entry, m *meta, buf *bytes.Buffer) (string, error) {
	if b.tpl.genCard {
		return b.renderCard(e, m, buf)
	}
	b.cardMu.Lock()
	c := b.live[e]
	if c == nil {
		c = &card{uses: 2, keep: b.cardBytes < b.cardBudget()}
		if n := e.leaf(); n != nil {
			c.uses += len(n.names)
		}
		b.live[e] = c
	}
	c.uses--
	last := c.uses <= 0
	if last {
		delete(b.live, e)
	}
	b.cardMu.Unlock()
	if !c.keep {
		html, err := b.renderCard(e, m, buf)
		return html, err
	}
	c.once.Do(func() {
		c.html, c.err = b.renderCard(e, m, buf)
		b.cardMu.Lock()
		b.cardBytes += len(c.html)
		b.cardMu.Unlock()
	})
	if last { // after once.Do: the bytes were counted before they are given back
		b.cardMu.Lock()
		b.cardBytes -= len(c.html)
		b.cardMu.Unlock()
	}
	return c.html, c.err
}

// renderCard renders e's card.html; m is e's meta. buf is scratch space,
// left empty.
func (b *builder) renderCard(e *entry, m *meta, buf *bytes.Buffer) (string, error) {
	buf.Reset()
	defer buf.Reset()
	if b.tpl.genCard {
		generated.card(buf, b.postView(e.idx, m, nil, nil, nil))
		return buf.String(), nil
	}
	// A card.html of the user's own sees the neighbours too, as a post
	// page does.
	self, newer, older := b.around(e.idx)
	if err := b.tpl.card.Execute(buf, b.postView(e.idx, &self, nil, newer, older)); err != nil {
		return "", fmt.Errorf("site: render card of post %s: %w", e.id, err)
	}
	return buf.String(), nil
}

// cardBudget is maxCardBytes, or the test's Options.cardBudget.
func (b *builder) cardBudget() int {
	switch n := b.opt.cardBudget; {
	case n < 0:
		return 0
	case n > 0:
		return n
	}
	return maxCardBytes
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxKeptBuffer bounds the buffers kept for the next page. A few files
// grow with the number of posts (search.json, the sitemap: megabytes for
// 10,000 posts); a worker's buffer that held one is dropped rather than
// held for the rest of the build.
const maxKeptBuffer = 1 << 20

// parallel runs fn for 0..n-1 on GOMAXPROCS workers, each with a reused
// buffer (reset before every call), and returns the first error. A panic in
// fn (a user template, say) becomes an error.
func parallel(n int, fn func(i int, buf *bytes.Buffer) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := bufPool.Get().(*bytes.Buffer)
			defer func() {
				if buf.Cap() <= maxKeptBuffer {
					bufPool.Put(buf)
				}
			}()
			defer func() {
				if r := recover(); r != nil {
					errs[w] = fmt.Errorf("site: panic while rendering: %v", r)
					failed.Store(true)
				}
			}()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				buf.Reset()
				if err := fn(i, buf); err != nil {
					errs[w] = err
					failed.Store(true)
					return
				}
				if buf.Cap() > maxKeptBuffer {
					buf = new(bytes.Buffer)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// blockTags separate words when text is pulled out of HTML.
var blockTags = map[string]bool{"p": true, "div": true, "br": true, "li": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "tr": true, "td": true, "blockquote": true, "figcaption": true}

// excerpt is the first n characters of the text of an HTML body, white
// space folded, for <meta name="description">. It stops reading at n.
func excerpt(body string, n int) string {
	z := html.NewTokenizer(strings.NewReader(body))
	var sb strings.Builder
	sb.Grow(min(len(body), 4*n+len("…")))
	count, space := 0, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return sb.String()
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if blockTags[string(name)] && sb.Len() > 0 {
				space = true
			}
		case html.TextToken:
			for text := z.Text(); len(text) > 0; {
				r, size := utf8.DecodeRune(text)
				text = text[size:]
				if unicode.IsSpace(r) {
					space = sb.Len() > 0
					continue
				}
				if count >= n {
					sb.WriteString("…")
					return sb.String()
				}
				if space {
					sb.WriteByte(' ')
					space = false
				}
				sb.WriteRune(r)
				count++
			}
		}
	}
}
