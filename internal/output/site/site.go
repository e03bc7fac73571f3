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
// renders everything (cheap: a worker pool renders the pages, each card once
// for all the listings that show it, each category path and source link once
// for all its posts) and writes only the files whose bytes differ,
// atomically. A manifest (.feedpost-site.json) lists the files it wrote, so
// files of posts, categories or sources that disappear are removed while
// anything else in the folder is left alone. Pages carry no build time, so
// an unchanged input rewrites nothing.
//
// Memory grows by a few hundred bytes a post, not by the posts: the
// caller hands the posts over one at a time (BuildEach) without their
// bodies, which Options.Body loads when a page needs one; what the pages
// show of a post (title, cover, link, author) waits in a temporary file
// (spill) until a page reads it back; a card is held only while listing
// pages show it; the files that grow with the number of posts
// (search.json, the sitemap, the manifest) are written as they render.
package site

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/post"
)

//go:embed templates/*.html assets/*
var embedded embed.FS

// Options configure one build. Dir is required; every other field has a
// default.
type Options struct {
	Dir string // output folder; created when missing

	Title    string // site title (default 新闻聚合)
	URL      string // absolute base URL ("https://news.example.com" or ".../news"); "" = none
	Language string // BCP 47 tag for <html lang> and the feeds (default zh-CN); labels are Chinese for zh*, English otherwise
	PerPage  int    // cards per listing page (default 20)

	// Templates is a folder whose files replace the embedded ones of the
	// same name: base.html, card.html, list.html, post.html,
	// categories.html, links.html, style.css, site.js, cover.svg. "" =
	// embedded only. Page templates get a *page (render.go), card.html a
	// *postView, links.html's "cat-links" a []link and "source-link" a link.
	Templates string

	// Location is the zone dates are shown in; nil keeps each post's own
	// (the pipeline already gives dates in the site's zone).
	Location *time.Location

	// DefaultCover is the image shown for a post without a cover and when
	// a cover fails to load (set by a document-level error listener). ""
	// uses the generated assets/cover.svg. May be an http(s) URL, a
	// root-relative path or a data:image/… URL.
	DefaultCover string

	// MirrorURL is the URL prefix of the mirrored images the posts name
	// (images.mirror_url, images.proxy: mirror) when the site keeps its own
	// copies in <Dir>/images: its pages name them relative to the site root
	// (images/<name>, which <base href> resolves wherever the site lies),
	// its feeds absolutely (URL + /images/<name>). "" leaves URLs alone.
	MirrorURL string

	// Body, when set, loads a post's body by id: the caller then passes
	// posts without bodies, and the builder holds at most a few bodies at a
	// time (each is loaded once for its page, and once for each of the
	// category feeds and the site feed that list it among their newest 50),
	// so memory stays flat however many posts there are. It is called from
	// several goroutines at once.
	Body func(id string) (string, error)

	// Test hooks, unexported: not part of the API.
	noGenerated bool // render every page with html/template, as for overridden templates
	cardBudget  int  // bytes of html/template cards kept between listing pages: 0 = maxCardBytes, < 0 = none
	// before, when set, is called before every change the build makes to
	// the output folder (output.WriterOptions.Before, and opJournal for a
	// journal write); an error stops the build there as a kill would. For
	// tests of a build killed at each step.
	before func(op output.Op, path string) error
}

// Stats counts the files of one build. Pages is every file of the site
// (HTML, feeds, indexes, assets; the manifest aside); Written + Unchanged ==
// Pages. Removed counts stale files of an earlier build deleted.
type Stats struct {
	Pages, Written, Unchanged, Removed int
}

// maxFeedItems is how many newest posts each output feed carries.
const maxFeedItems = 50

// entry is a post's place in the site, prepared once for all its pages.
// Entries are held for every post at once, so they keep no more than the
// place: strings that many posts share (source, category path) are held
// once, and what the pages show of the post (title, cover, …, the body when
// given) is in the spill file, read back when a page shows it (b.metas).
type entry struct {
	id               string
	idx              int // position in builder.entries (newest first)
	date, updated    time.Time
	org              *origin
	cats             *catPath
	rec              int64  // where the post's record starts in the spill file
	metaLen, bodyLen uint32 // its lengths: the meta, then the body
}

// origin is a source as posts name it: by key and display name.
type origin struct {
	key, name string
	src       *source // set by prepare
}

// catPath is a post's category names as given; posts with the same names
// share one.
type catPath struct {
	names []string
	leaf  *node // the last level, set by prepare; nil without categories
}

func (e *entry) src() *source { return e.org.src }

// leaf is the last level of the post's category path, nil without one.
func (e *entry) leaf() *node { return e.cats.leaf }

// href is the post's folder relative to the site root plus suffix:
// "posts/<id>/" + suffix.
func (e *entry) href(suffix string) string { return "posts/" + postSlug(e.id) + "/" + suffix }

// node is one level of a category path: 新媒体, 新媒体/趣头条, ….
type node struct {
	name     string
	dir      string // "category/新媒体/趣头条/" for files
	href     string // the same, path-escaped, for links
	parent   *node
	children []*node
	posts    []*entry // newest first

	// For the posts whose path ends here: the names and links of the path
	// from the top level down, and the links rendered by "cat-links".
	names []string
	links []link
	html  template.HTML
}

// source is one feed source with its page.
type source struct {
	key, name string
	dir, href string
	posts     []*entry
	link      link
	html      template.HTML // link rendered by "source-link"
}

// builder holds one build's prepared state.
type builder struct {
	opt    Options
	base   string // absolute URL without trailing slash, "" when unset
	root   string // the site's path on its server, from Options.URL: "/" or "/news/" (Site.Root)
	labels *labels
	tpl    *templates
	site   *siteView

	// What add collects: the posts in the order given, allocated a slab
	// at a time (no copying as they grow), the strings they share, and
	// the file their meta and bodies go to.
	addMu   sync.Mutex
	slab    []entry
	origins map[[2]string]*origin
	paths   map[string]*catPath
	spill   *spill

	entries []*entry // newest first, after prepare
	nodes   []*node  // every category node, parents before children
	top     []*node
	sources []*source
	pages   []listPage // every listing page, in sitemap order
	order   []listPage // the same, in the order they are rendered (jobs)

	cardMu    sync.Mutex
	live      map[*entry]*card // the cards listings are showing (see builder.card)
	cardBytes int              // the size of the cards kept in live

	out *outFiles // where the jobs put their files (write)

	errMu   sync.Mutex
	bodyErr error // the first error of Options.Body
}

// metas returns what the pages show of each of es, read together (see
// spill.metas).
func (b *builder) metas(es ...*entry) []meta {
	offs := make([]int64, len(es))
	lens := make([]uint32, len(es))
	for i, e := range es {
		offs[i], lens[i] = e.rec, e.metaLen
	}
	ms := make([]meta, len(es))
	b.spill.metas(offs, lens, ms)
	return ms
}

// body returns e's body, loading it through Options.Body when the post
// came without one. A load error fails the build (see Build).
func (b *builder) body(e *entry) string {
	if e.bodyLen > 0 || b.opt.Body == nil {
		return b.spill.body(e.rec+int64(e.metaLen), e.bodyLen)
	}
	s, err := b.opt.Body(e.id)
	if b.opt.MirrorURL != "" {
		s = rebaseImages(s, b.opt.MirrorURL, "images/")
	}
	if err != nil {
		b.errMu.Lock()
		if b.bodyErr == nil {
			b.bodyErr = fmt.Errorf("site: load the body of post %s: %w", e.id, err)
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
	return BuildEach(func(add func(post.Post)) error {
		for i := range posts {
			add(posts[i])
		}
		return nil
	}, opt)
}

// BuildEach is Build for posts handed over one at a time: each calls add
// for every post, in any order, and returns nil or an error that fails the
// build. The builder keeps only a post's place in the site in memory, so a
// caller that reads the posts one by one (from a store, say) and passes
// them without bodies, with Options.Body set, never holds them all: memory
// grows by a few hundred bytes a post, not by the posts. Posts added
// newest first (as a store lists them) are read back fastest.
func BuildEach(each func(add func(post.Post)) error, opt Options) (Stats, error) {
	if opt.Dir == "" {
		return Stats{}, fmt.Errorf("site: no output folder (site.dir) given")
	}
	b, err := newBuilder(opt)
	if err != nil {
		return Stats{}, err
	}
	if err := b.open(); err != nil {
		return Stats{}, err
	}
	defer b.spill.close()
	if err := each(b.add); err != nil {
		return Stats{}, fmt.Errorf("site: read the posts: %w", err)
	}
	if err := b.prepare(); err != nil {
		return Stats{}, err
	}
	st, err := b.write(b.jobs())
	if err == nil {
		err = b.bodyErr
	}
	if err == nil {
		err = b.spill.failed()
	}
	return st, err
}

// newBuilder checks the options and loads the templates; add then takes
// the posts and prepare readies the build.
func newBuilder(opt Options) (*builder, error) {
	opt = withDefaults(opt)
	base, root, err := splitBase(opt.URL)
	if err != nil {
		return nil, err
	}
	tpl, err := loadTemplates(opt.Templates, !opt.noGenerated)
	if err != nil {
		return nil, err
	}
	return &builder{opt: opt, base: base, root: root, labels: labelsFor(opt.Language), tpl: tpl,
		origins: map[[2]string]*origin{}, paths: map[string]*catPath{},
		live: map[*entry]*card{}}, nil
}

// open makes the output folder, finds what earlier builds left in it
// (openOutput) and makes the spill file add writes to; the caller closes
// b.spill.
func (b *builder) open() error {
	var err error
	if b.out, err = openOutput(b.opt.Dir, b.opt.before); err != nil {
		return err
	}
	b.spill, err = newSpill(b.opt.Dir)
	return err
}

// slabSize is how many entries add allocates at once.
const slabSize = 1024

// add takes one post: what its pages show of it, the strings it shares
// with other posts held once.
func (b *builder) add(p post.Post) {
	b.addMu.Lock()
	defer b.addMu.Unlock()
	if len(b.slab) == cap(b.slab) {
		b.slab = make([]entry, 0, slabSize)
	}
	b.slab = append(b.slab, entry{id: p.ID, date: b.inZone(p.Date), updated: b.inZone(p.Updated)})
	e := &b.slab[len(b.slab)-1]
	if e.updated.Before(e.date) {
		e.updated = e.date
	}
	cover, body := p.Cover, p.Body
	if b.opt.MirrorURL != "" {
		cover = rebaseImages(cover, b.opt.MirrorURL, "images/")
		body = rebaseImages(body, b.opt.MirrorURL, "images/")
	}
	e.rec, e.metaLen, e.bodyLen = b.spill.add(meta{title: p.Title, cover: cover, link: p.Link, author: p.Author}, body)
	key := [2]string{p.SourceKey, p.SourceName}
	if e.org = b.origins[key]; e.org == nil {
		e.org = &origin{key: p.SourceKey, name: p.SourceName}
		b.origins[key] = e.org
	}
	var sb strings.Builder
	for _, name := range p.Categories { // length-prefixed: no two lists give the same key
		sb.WriteString(strconv.Itoa(len(name)))
		sb.WriteByte(':')
		sb.WriteString(name)
	}
	path := sb.String()
	if e.cats = b.paths[path]; e.cats == nil {
		e.cats = &catPath{names: slices.Clone(p.Categories)}
		b.paths[path] = e.cats
	}
	b.entries = append(b.entries, e)
}

// prepare sorts and deduplicates the posts, builds the category tree and
// the sources, and renders what every page shares.
func (b *builder) prepare() error {
	if err := b.spill.finish(); err != nil {
		return err
	}
	b.sort()
	b.site = b.siteView()
	if err := b.renderChrome(); err != nil {
		return err
	}
	return b.renderLinks()
}

// sort orders the posts newest first, drops repeated ones and builds the
// category tree and the sources.
func (b *builder) sort() {
	b.slab, b.origins, b.paths = nil, nil, nil
	all := b.entries
	slices.SortStableFunc(all, func(x, y *entry) int {
		if c := y.date.Compare(x.date); c != 0 {
			return c
		}
		return strings.Compare(x.id, y.id)
	})
	b.entries = make([]*entry, 0, len(all))
	seen := make(map[string]bool, len(all))
	nodes := map[string]*node{}
	sources := map[string]*source{}
	for _, e := range all {
		slug := postSlug(e.id)
		if seen[slug] {
			continue // the same post twice: the newest copy wins
		}
		seen[slug] = true
		e.idx = len(b.entries)
		if e.cats.leaf == nil {
			e.cats.leaf = b.pathNode(e.cats.names, nodes)
		}
		for n := e.cats.leaf; n != nil; n = n.parent {
			n.posts = append(n.posts, e)
		}
		key := e.org.key
		s := sources[key]
		if s == nil {
			slug := sourceSlug(key)
			name := cmp.Or(e.org.name, key, slug)
			s = &source{key: key, name: name, dir: "source/" + slug + "/", href: "source/" + escapeSegments(slug) + "/"}
			s.link = link{Name: s.name, Href: b.path(s.href)}
			sources[key] = s
			b.sources = append(b.sources, s)
		}
		e.org.src = s
		s.posts = append(s.posts, e)
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

// pathNode returns the node of the last level of a category path, making
// the nodes of the path that do not exist yet; nil for a path without a
// (non-blank) name.
func (b *builder) pathNode(names []string, nodes map[string]*node) *node {
	var parent *node
	for _, name := range names {
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
			l := link{Name: n.name, Href: b.path(n.href)}
			if parent != nil {
				n.names = slices.Clip(append(slices.Clone(parent.names), n.name))
				n.links = slices.Clip(append(slices.Clone(parent.links), l))
			} else {
				n.names, n.links = []string{n.name}, []link{l}
			}
			nodes[dir] = n
			b.nodes = append(b.nodes, n)
			if parent == nil {
				b.top = append(b.top, n)
			} else {
				parent.children = append(parent.children, n)
			}
		}
		parent = n
	}
	return parent
}

// catNames are the names of the post's category path, top level first.
func (e *entry) catNames() []string {
	if n := e.leaf(); n != nil {
		return n.names
	}
	return nil
}

// catLinks are the links of the post's category path, top level first.
func (e *entry) catLinks() []link {
	if n := e.leaf(); n != nil {
		return n.links
	}
	return nil
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

// path is the href of an escaped path relative to the site root. Every
// page has <base href> pointing at the root (page.Base), so the hrefs are
// the same on every page (the header, the cards and the links render once
// for all) and the site works wherever it lies: under any path of a
// server, and opened from disk (file://). The root itself is "./".
func (b *builder) path(rel string) string {
	if rel == "" {
		return "./"
	}
	return rel
}

// baseOf is the href from a page in folder dir (relative to the root,
// "posts/<id>/") back to the root: "../../"; "./" for the root itself.
func baseOf(dir string) string {
	if n := strings.Count(dir, "/"); n > 0 {
		return strings.Repeat("../", n)
	}
	return "./"
}
