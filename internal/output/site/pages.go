package site

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// job renders one or more files of the site into buf (reset before each
// job) and hands each file to b.out.put.
type job func(buf *bytes.Buffer) error

// file is the job of one file, rendered by render.
func (b *builder) file(rel string, render func(buf *bytes.Buffer) error) job {
	return func(buf *bytes.Buffer) error {
		if err := render(buf); err != nil {
			return fmt.Errorf("site: render %s: %w", rel, err)
		}
		return b.out.put(rel, buf.Bytes())
	}
}

// stream is the job of one file that grows with the number of posts,
// written as render writes it (writer.putStream) rather than held.
func (b *builder) stream(rel string, render func(w io.Writer) error) job {
	return func(*bytes.Buffer) error { return b.out.putStream(rel, render) }
}

// listing is one paginated card listing (home, a category, a source).
type listing struct {
	kind, dir, href string
	heading, title  string
	description     string
	crumbs          []link
	children        []link
	feeds           []feedLink // the listing's own feeds (categories)
	entries         []*entry
}

// listPage is page n of total of a listing: l.entries[lo:hi].
type listPage struct {
	l        *listing
	n, total int
	lo, hi   int
}

// href is the page's folder, escaped, relative to the root.
func (lp listPage) href() string { return lp.l.pageHref(lp.n) }

func (l *listing) pageHref(n int) string {
	if n == 1 {
		return l.href
	}
	return l.href + "page/" + strconv.Itoa(n) + "/"
}

// lastmod is when the newest post of the page changed last.
func (lp listPage) lastmod() time.Time {
	var t time.Time
	for _, e := range lp.l.entries[lp.lo:lp.hi] {
		if e.updated.After(t) {
			t = e.updated
		}
	}
	return t
}

// jobs lists every file of the site but the listing and post pages, which
// are not jobs of their own (a closure each would be memory held for every
// page during the build): it lists the listing pages in b.pages for the
// sitemap and in b.order for write.
func (b *builder) jobs() []job {
	var js []job
	for _, name := range assetFiles {
		data := b.tpl.assets[name]
		js = append(js, b.file("assets/"+name, func(buf *bytes.Buffer) error { buf.Write(data); return nil }))
	}
	js = append(js, b.file("categories/index.html", func(buf *bytes.Buffer) error {
		return b.tpl.categories.Execute(buf, b.categoriesPage())
	}))
	js = append(js, b.file("404.html", func(buf *bytes.Buffer) error {
		return b.tpl.categories.Execute(buf, b.notFoundPage())
	}))
	js = append(js, b.stream("search.json", b.searchIndex))
	if b.base != "" {
		js = append(js, b.feedJob("", "", b.opt.Title, b.entries))
	}
	t := b.labels

	home := &listing{kind: "home", heading: t.Latest, title: b.opt.Title, entries: b.entries,
		description: b.opt.Title}
	b.addPages(home)

	for _, n := range b.nodes {
		crumbs := append([]link{{Name: t.Home, Href: b.path("")}}, n.links...)
		names := strings.Join(n.names, " / ")
		l := &listing{kind: "category", dir: n.dir, href: n.href, heading: n.name, crumbs: crumbs,
			title:       names + " - " + b.opt.Title,
			description: names + " · " + strconv.Itoa(len(n.posts)) + " " + t.Posts,
			entries:     n.posts}
		for _, c := range n.children {
			l.children = append(l.children, link{Name: c.name, Href: b.path(c.href), Count: len(c.posts)})
		}
		if b.base != "" {
			l.feeds = b.feedLinks(n.href, l.title)
			js = append(js, b.feedJob(n.dir, n.href, l.title, n.posts))
		}
		b.addPages(l)
	}

	for _, s := range b.sources {
		l := &listing{kind: "source", dir: s.dir, href: s.href, heading: s.name,
			title:       s.name + " - " + b.opt.Title,
			description: s.name + " · " + strconv.Itoa(len(s.posts)) + " " + t.Posts,
			crumbs:      []link{{Name: t.Home, Href: b.path("")}, {Name: t.Sources, Href: b.path("categories/#sources")}, {Name: s.name, Href: b.path(s.href)}},
			entries:     s.posts}
		b.addPages(l)
	}

	if b.base != "" {
		js = append(js, b.sitemapJobs()...) // after every addPages
	}

	// The listing pages are rendered in the order of their oldest post: a
	// card is rendered by the first page that shows it and dropped after
	// the last (builder.card), so this order keeps only the cards of the
	// pages under way in memory, not every post's.
	b.order = slices.Clone(b.pages)
	oldest := func(lp listPage) int {
		if lp.hi == lp.lo {
			return -1
		}
		return lp.l.entries[lp.hi-1].idx
	}
	slices.SortStableFunc(b.order, func(x, y listPage) int { return oldest(x) - oldest(y) })
	return js
}

// addPages adds the pages of one listing to b.pages: dir/index.html, then
// dir/page/2/index.html, ….
func (b *builder) addPages(l *listing) {
	per := b.opt.PerPage
	total := max(1, (len(l.entries)+per-1)/per)
	for n := 1; n <= total; n++ {
		b.pages = append(b.pages, listPage{l: l, n: n, total: total, lo: (n - 1) * per, hi: min(n*per, len(l.entries))})
	}
}

// listPage renders and writes one listing page.
func (b *builder) listPage(lp listPage, buf *bytes.Buffer) error {
	l, n, total := lp.l, lp.n, lp.total
	dir := l.dir
	if n > 1 {
		dir += "page/" + strconv.Itoa(n) + "/"
	}
	rel := dir + "index.html"
	p := &page{Site: b.site, Base: baseOf(dir), Kind: l.kind, Heading: l.heading, Title: l.title,
		Description: l.description, Crumbs: l.crumbs, Feeds: l.feeds}
	if n == 1 {
		p.Children = l.children
		if len(p.Crumbs) > 0 {
			// The current page is the last crumb: shown, not linked.
			p.Crumbs = append([]link{}, l.crumbs...)
			p.Crumbs[len(p.Crumbs)-1].Href = ""
		}
	} else {
		p.Title = fmt.Sprintf(b.labels.PageOf, n, total) + " - " + l.title
	}
	if b.base != "" {
		p.Canonical = b.abs(lp.href())
	}
	es := l.entries[lp.lo:lp.hi]
	ms := b.metas(es...)
	cards, err := b.cards(es, ms, buf)
	if err != nil {
		return fmt.Errorf("site: render %s: %w", rel, err)
	}
	p.Cards = cards
	if len(es) > 0 {
		p.Image = safeImage(ms[0].cover)
	}
	if total > 1 {
		p.Pager = b.pager(n, total, l.pageHref)
	}
	if b.tpl.genPages {
		generated.listPage(buf, p)
	} else if err := b.tpl.list.Execute(buf, p); err != nil {
		return fmt.Errorf("site: render %s: %w", rel, err)
	}
	return b.out.put(rel, buf.Bytes())
}

// pager numbers pages around the current one, with the first and last page
// always shown and gaps between.
func (b *builder) pager(n, total int, href func(int) string) *pager {
	pg := &pager{Number: n, Total: total}
	if n > 1 {
		pg.Prev = b.path(href(n - 1))
	}
	if n < total {
		pg.Next = b.path(href(n + 1))
	}
	last := 0
	for i := 1; i <= total; i++ {
		if i != 1 && i != total && (i < n-2 || i > n+2) {
			continue
		}
		if last != 0 && i > last+1 {
			pg.Pages = append(pg.Pages, pagerLink{Gap: true})
		}
		pg.Pages = append(pg.Pages, pagerLink{N: i, Href: b.path(href(i)), Current: i == n})
		last = i
	}
	return pg
}

// postPage renders and writes the page of post i.
func (b *builder) postPage(i int, buf *bytes.Buffer) error {
	e := b.entries[i]
	body := b.body(e)
	m, newer, older := b.around(i)
	p := &page{Site: b.site, Base: baseOf(e.href("")), Kind: "post", Heading: m.title, Title: m.title + " - " + b.opt.Title,
		Description: excerpt(body, 140), Image: safeImage(m.cover), Post: b.postView(i, &m, &body, newer, older)} // no crumbs: the meta line shows the linked category path
	if b.base != "" {
		p.Canonical = b.abs(e.href(""))
	}
	rel := e.href("index.html")
	if b.tpl.genPages {
		generated.postPage(buf, p)
	} else if err := b.tpl.post.Execute(buf, p); err != nil {
		return fmt.Errorf("site: render %s: %w", rel, err)
	}
	return b.out.put(rel, buf.Bytes())
}

func (b *builder) categoriesPage() *page {
	var tree func(ns []*node) []*treeItem
	tree = func(ns []*node) []*treeItem {
		out := make([]*treeItem, len(ns))
		for i, n := range ns {
			out[i] = &treeItem{link: link{Name: n.name, Href: b.path(n.href), Count: len(n.posts)}, Children: tree(n.children)}
		}
		return out
	}
	t := b.labels
	p := &page{Site: b.site, Base: baseOf("categories/"), Kind: "categories", Heading: t.Categories, Title: t.Categories + " - " + b.opt.Title,
		Description: t.Categories + " - " + b.opt.Title, Tree: tree(b.top),
		Crumbs: []link{{Name: t.Home, Href: b.path("")}, {Name: t.Categories}}}
	for _, s := range b.sources {
		p.Sources = append(p.Sources, link{Name: s.name, Href: b.path(s.href), Count: len(s.posts)})
	}
	if b.base != "" {
		p.Canonical = b.abs("categories/")
	}
	return p
}

// notFoundPage is 404.html, which `feedpost serve` answers unknown paths
// with: the site's chrome, "page not found" and the category tree, so a
// reader who followed a link to a pruned post can go on from there. It is
// served at any URL, so its <base href> is the site's path on its server
// (Site.Root), not a path relative to where the file is.
func (b *builder) notFoundPage() *page {
	p := b.categoriesPage()
	t := b.labels
	p.Base = b.root
	p.Kind, p.Heading = "notfound", t.NotFound
	p.Title, p.Description = t.NotFound+" - "+b.opt.Title, ""
	p.Crumbs = []link{{Name: t.Home, Href: b.path("")}, {Name: t.NotFound}}
	p.Canonical = ""
	return p
}
