package site

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// job is one output file: its path relative to Dir (slash-separated, real
// UTF-8 names) and how to render it.
type job struct {
	rel    string
	render func(buf *bytes.Buffer) error
}

// sitemapURL is one page for sitemap.xml.
type sitemapURL struct {
	href    string // escaped, relative to the root
	lastmod time.Time
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

// jobs lists every file of the site. It also collects the sitemap's pages,
// so it runs before the sitemap job renders.
func (b *builder) jobs() []job {
	var js []job
	var pages []sitemapURL
	for _, name := range assetFiles {
		data := b.tpl.assets[name]
		js = append(js, job{"assets/" + name, func(buf *bytes.Buffer) error { buf.Write(data); return nil }})
	}
	t := b.labels

	home := listing{kind: "home", heading: t.Latest, title: b.opt.Title, entries: b.entries,
		description: b.opt.Title}
	js, pages = b.listJobs(js, pages, home)

	for _, n := range b.nodes {
		path := n.path()
		names := make([]string, len(path))
		crumbs := []link{{Name: t.Home, Href: b.root}}
		for i, m := range path {
			names[i] = m.name
			crumbs = append(crumbs, link{Name: m.name, Href: b.path(m.href)})
		}
		l := listing{kind: "category", dir: n.dir, href: n.href, heading: n.name, crumbs: crumbs,
			title:       strings.Join(names, " / ") + " - " + b.opt.Title,
			description: strings.Join(names, " / ") + " · " + strconv.Itoa(len(n.posts)) + " " + t.Posts,
			entries:     n.posts}
		for _, c := range n.children {
			l.children = append(l.children, link{Name: c.name, Href: b.path(c.href), Count: len(c.posts)})
		}
		if b.base != "" {
			l.feeds = b.feedLinks(n.href, strings.Join(names, " / ")+" - "+b.opt.Title)
			js = append(js, b.feedJobs(n.dir, n.href, l.title, n.posts)...)
		}
		js, pages = b.listJobs(js, pages, l)
	}

	for _, s := range b.sources {
		l := listing{kind: "source", dir: s.dir, href: s.href, heading: s.name,
			title:       s.name + " - " + b.opt.Title,
			description: s.name + " · " + strconv.Itoa(len(s.posts)) + " " + t.Posts,
			crumbs:      []link{{Name: t.Home, Href: b.root}, {Name: t.Sources, Href: b.path("categories/#sources")}, {Name: s.name, Href: b.path(s.href)}},
			entries:     s.posts}
		js, pages = b.listJobs(js, pages, l)
	}

	for i, e := range b.entries {
		js = append(js, job{e.href + "index.html", func(buf *bytes.Buffer) error {
			return b.tpl.post.Execute(buf, b.postPage(i))
		}})
		pages = append(pages, sitemapURL{e.href, e.updated})
	}

	js = append(js, job{"categories/index.html", func(buf *bytes.Buffer) error {
		return b.tpl.categories.Execute(buf, b.categoriesPage())
	}})
	pages = append(pages, sitemapURL{href: "categories/"})

	js = append(js, job{"search.json", b.searchIndex})
	if b.base != "" {
		js = append(js, b.feedJobs("", "", b.opt.Title, b.entries)...)
		js = append(js, b.sitemapJobs(pages)...)
	}
	return js
}

// path is the node's chain from the top level down to itself.
func (n *node) path() []*node {
	var p []*node
	for m := n; m != nil; m = m.parent {
		p = append(p, m)
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// listJobs adds the pages of one listing: dir/index.html, then
// dir/page/2/index.html, ….
func (b *builder) listJobs(js []job, pages []sitemapURL, l listing) ([]job, []sitemapURL) {
	per := b.opt.PerPage
	total := max(1, (len(l.entries)+per-1)/per)
	pageHref := func(n int) string {
		if n == 1 {
			return l.href
		}
		return l.href + "page/" + strconv.Itoa(n) + "/"
	}
	for n := 1; n <= total; n++ {
		dir := l.dir
		if n > 1 {
			dir += "page/" + strconv.Itoa(n) + "/"
		}
		var lastmod time.Time
		lo, hi := (n-1)*per, min(n*per, len(l.entries))
		for _, e := range l.entries[lo:hi] {
			if e.updated.After(lastmod) {
				lastmod = e.updated
			}
		}
		pages = append(pages, sitemapURL{pageHref(n), lastmod})
		js = append(js, job{dir + "index.html", func(buf *bytes.Buffer) error {
			p := &page{Site: b.site, Kind: l.kind, Heading: l.heading, Title: l.title,
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
				p.Canonical = b.abs(pageHref(n))
			}
			var cards strings.Builder
			size := 0
			for _, e := range l.entries[lo:hi] {
				size += len(e.card)
			}
			cards.Grow(size)
			for _, e := range l.entries[lo:hi] {
				cards.WriteString(string(e.card))
			}
			p.Cards = template.HTML(cards.String())
			if lo < hi {
				p.Image = l.entries[lo].image()
			}
			if total > 1 {
				p.Pager = b.pager(n, total, pageHref)
			}
			return b.tpl.list.Execute(buf, p)
		}})
	}
	return js, pages
}

// image is the post's cover for og:image, "" when it has none.
func (e *entry) image() template.URL { return safeImage(e.p.Cover) }

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

func (b *builder) postPage(i int) *page {
	e := b.entries[i]
	v := b.postView(i, true)
	p := &page{Site: b.site, Kind: "post", Heading: e.p.Title, Title: e.p.Title + " - " + b.opt.Title,
		Description: e.desc, Image: e.image(), Post: v} // no crumbs: the meta line shows the linked category path
	if b.base != "" {
		p.Canonical = b.abs(e.href)
	}
	return p
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
	p := &page{Site: b.site, Kind: "categories", Heading: t.Categories, Title: t.Categories + " - " + b.opt.Title,
		Description: t.Categories + " - " + b.opt.Title, Tree: tree(b.top),
		Crumbs: []link{{Name: t.Home, Href: b.root}, {Name: t.Categories}}}
	for _, s := range b.sources {
		p.Sources = append(p.Sources, link{Name: s.name, Href: b.path(s.href), Count: len(s.posts)})
	}
	if b.base != "" {
		p.Canonical = b.abs("categories/")
	}
	return p
}
