// Package site builds feedpost's own static news site from posts: paginated
// card listings (home, every level of every category path, every source),
// one page per post, the category index, RSS/Atom/JSON Feed output feeds, a
// sitemap and a small search index, with the templates and assets embedded in
// the binary.
//
// Files, relative to Options.Dir (folders carry the real UTF-8 category
// names; hrefs path-escape them, which a static file server maps back):
//
//	index.html, page/<n>/index.html           newest posts as cards
//	category/<a>/<b>/…/index.html (+ page/<n>/) every level of every path
//	source/<slug>/index.html (+ page/<n>/)      every source
//	posts/<id>/index.html                       every post
//	categories/index.html                       the category tree and the sources
//	search.json                                 title search index
//	assets/style.css, site.js, cover.svg
//	feed.xml, atom.xml, feed.json               aggregate feeds (newest 50)
//	category/<path>/feed.xml, atom.xml, feed.json
//	sitemap.xml                                 every HTML page
//	.feedpost-site.json                         manifest of the files above
//
// The feeds and the sitemap need absolute URLs and are only written when
// Options.URL is set.
//
// The builder is incremental by comparison, not by bookkeeping: every run
// renders everything (cheap: cards are rendered once per post and reused by
// every listing, pages are rendered by a worker pool) and writes only the
// files whose bytes differ, atomically. A manifest (.feedpost-site.json) lists
// the files it wrote, so files of posts, categories or sources that disappear
// are removed while anything else in the folder is left alone. Pages carry
// no build time, so an unchanged input rewrites nothing.
package site

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

//go:embed templates/*.html assets/*
var embedded embed.FS

// Options configure one build. Dir is required; every other field has a
// default.
type Options struct {
	Dir string // output folder; created when missing

	Title    string // site title (default 新闻聚合, the SPEC default)
	URL      string // absolute base URL ("https://news.example.com" or ".../news"); "" = none
	Language string // BCP 47 tag for <html lang> and the feeds (default zh-CN); labels are Chinese for zh*, English otherwise
	PerPage  int    // cards per listing page (default 20)

	// Templates is a folder whose files replace the embedded ones of the
	// same name: base.html, card.html, list.html, post.html,
	// categories.html, style.css, site.js, cover.svg. "" = embedded only.
	// Page templates get a *page (render.go), card.html a *postView.
	Templates string

	// Location is the zone dates are shown in; nil keeps each post's own
	// (the pipeline already gives dates in the site's zone).
	Location *time.Location

	// DefaultCover is the image shown for a post without a cover and when
	// a cover fails to load (set by a document-level error listener). ""
	// uses the generated assets/cover.svg. May be an http(s) URL, a
	// root-relative path or a data:image/… URL.
	DefaultCover string

	// Body, when set, loads a post's body by id: the caller then passes
	// posts without bodies, and the builder holds at most a few bodies at a
	// time (each is loaded for its card's excerpt, its page and the feeds
	// that list it), so memory stays flat however many posts there are.
	Body func(id string) (string, error)

	// Now is accepted for tests and API symmetry but deliberately unused:
	// relative dates are computed in the browser from <time datetime>, and
	// a build time in the output would rewrite every file on every run.
	Now time.Time
}

// Stats counts the files of one build. Pages is every file of the site
// (HTML, feeds, indexes, assets; the manifest aside); Written + Unchanged ==
// Pages. Removed counts stale files of an earlier build deleted.
type Stats struct {
	Pages, Written, Unchanged, Removed int
}

// maxFeedItems is how many newest posts each output feed carries.
const maxFeedItems = 50

// entry is a post prepared once for every page that shows it.
type entry struct {
	p       *post.Post
	slug    string
	href    string // "posts/<id>/" relative to the site root
	date    time.Time
	updated time.Time
	cats    []*node // one node per level of the post's category path
	src     *source
	card    template.HTML
	desc    string
}

// node is one level of a category path: 新媒体, 新媒体/趣头条, ….
type node struct {
	name     string
	dir      string // "category/新媒体/趣头条/" for files
	href     string // the same, path-escaped, for links
	parent   *node
	children []*node
	posts    []*entry // newest first
}

// source is one feed source with its page.
type source struct {
	key, name string
	dir, href string
	posts     []*entry
}

// builder holds one build's prepared state.
type builder struct {
	opt    Options
	base   string // absolute URL without trailing slash, "" when unset
	root   string // path prefix of every href: "/" or "/news/"
	labels *labels
	tpl    *templates
	site   *siteView

	entries []*entry
	nodes   []*node // every category node, parents before children
	top     []*node
	sources []*source

	errMu   sync.Mutex
	bodyErr error // the first error of Options.Body
}

// body returns p's body, loading it through Options.Body when p came
// without one. A load error fails the build (see Build).
func (b *builder) body(p *post.Post) string {
	if p.Body != "" || b.opt.Body == nil {
		return p.Body
	}
	s, err := b.opt.Body(p.ID)
	if err != nil {
		b.errMu.Lock()
		if b.bodyErr == nil {
			b.bodyErr = fmt.Errorf("site: load the body of post %s: %w", p.ID, err)
		}
		b.errMu.Unlock()
	}
	return s
}

// Build writes the site for posts into opt.Dir and returns what it did.
//
// When opt.URL is "", the output feeds (feed.xml, atom.xml, feed.json at
// the root and in every category) and sitemap.xml are not written: their
// formats require absolute URLs. Files they left from an earlier build with a
// URL are removed like any stale file.
func Build(posts []post.Post, opt Options) (Stats, error) {
	if opt.Dir == "" {
		return Stats{}, fmt.Errorf("site: no output folder (site.dir) given")
	}
	b, err := newBuilder(posts, opt)
	if err != nil {
		return Stats{}, err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("site: create output folder: %w", err)
	}
	if err := b.renderCards(); err != nil {
		return Stats{}, err
	}
	st, err := b.write(b.jobs())
	if err == nil {
		err = b.bodyErr
	}
	return st, err
}

func newBuilder(posts []post.Post, opt Options) (*builder, error) {
	if opt.Title == "" {
		opt.Title = "新闻聚合"
	}
	if opt.Language == "" {
		opt.Language = "zh-CN"
	}
	if opt.PerPage <= 0 {
		opt.PerPage = 20
	}
	base, root, err := splitBase(opt.URL)
	if err != nil {
		return nil, err
	}
	tpl, err := loadTemplates(opt.Templates)
	if err != nil {
		return nil, err
	}
	b := &builder{opt: opt, base: base, root: root, labels: labelsFor(opt.Language), tpl: tpl}
	b.prepare(posts)
	b.site = b.siteView()
	if err := b.renderChrome(); err != nil {
		return nil, err
	}
	return b, nil
}

// prepare sorts and deduplicates the posts and builds the category tree and
// the sources.
func (b *builder) prepare(posts []post.Post) {
	b.entries = make([]*entry, 0, len(posts))
	seen := make(map[string]bool, len(posts))
	order := make([]*post.Post, len(posts))
	for i := range posts {
		order[i] = &posts[i]
	}
	slices.SortStableFunc(order, func(x, y *post.Post) int {
		if c := y.Date.Compare(x.Date); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	nodes := map[string]*node{}
	sources := map[string]*source{}
	for _, p := range order {
		slug := postSlug(p.ID)
		if seen[slug] {
			continue // the same post twice: the newest copy wins
		}
		seen[slug] = true
		e := &entry{p: p, slug: slug, href: "posts/" + slug + "/", date: b.inZone(p.Date), updated: b.inZone(p.Updated)}
		if e.updated.Before(e.date) {
			e.updated = e.date
		}
		var parent *node
		for _, name := range p.Categories {
			if strings.TrimSpace(name) == "" {
				continue
			}
			dir := "category/"
			if parent != nil {
				dir = parent.dir
			}
			dir += segment(name) + "/"
			n := nodes[dir]
			if n == nil {
				n = &node{name: strings.TrimSpace(name), dir: dir, href: escapeSegments(dir), parent: parent}
				nodes[dir] = n
				b.nodes = append(b.nodes, n)
				if parent == nil {
					b.top = append(b.top, n)
				} else {
					parent.children = append(parent.children, n)
				}
			}
			n.posts = append(n.posts, e)
			e.cats = append(e.cats, n)
			parent = n
		}
		key := p.SourceKey
		s := sources[key]
		if s == nil {
			slug := sourceSlug(key)
			name := cmp.Or(p.SourceName, p.SourceKey, slug)
			s = &source{key: key, name: name, dir: "source/" + slug + "/", href: "source/" + escapeSegments(slug) + "/"}
			sources[key] = s
			b.sources = append(b.sources, s)
		}
		s.posts = append(s.posts, e)
		e.src = s
		b.entries = append(b.entries, e)
	}
	byCount := func(x, y *node) int {
		if c := len(y.posts) - len(x.posts); c != 0 {
			return c
		}
		return strings.Compare(x.name, y.name)
	}
	slices.SortFunc(b.top, byCount)
	for _, n := range b.nodes {
		slices.SortFunc(n.children, byCount)
	}
	slices.SortFunc(b.sources, func(x, y *source) int {
		return cmp.Or(strings.Compare(x.name, y.name), strings.Compare(x.key, y.key))
	})
}

func (b *builder) inZone(t time.Time) time.Time {
	if b.opt.Location == nil || t.IsZero() {
		return t
	}
	return t.In(b.opt.Location)
}

// abs turns a root-relative escaped path into an absolute URL.
func (b *builder) abs(rel string) string {
	return b.base + "/" + rel
}

// path prefixes an escaped site path with the root, for hrefs.
func (b *builder) path(rel string) string {
	return b.root + rel
}
