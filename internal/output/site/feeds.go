package site

// The output feeds are small structs written with encoding/xml and
// encoding/json: the required elements of RSS 2.0, Atom 1.0 and JSON Feed
// 1.1 need a few dozen lines, and a feed library would be a new dependency
// with less control over what site_test.go checks (atom:link rel="self" in
// RSS, JSON Feed 1.1 "authors"). The tests parse every feed back with gofeed.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"time"
)

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	DC      string     `xml:"xmlns:dc,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language,omitempty"`
	Generator     string    `xml:"generator"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string   `xml:"title"`
	Link        string   `xml:"link"`
	GUID        rssGUID  `xml:"guid"`
	PubDate     string   `xml:"pubDate"`
	Creator     string   `xml:"dc:creator,omitempty"`
	Categories  []string `xml:"category"`
	Description string   `xml:"description"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang      string      `xml:"xml:lang,attr,omitempty"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Links      []atomLink     `xml:"link"`
	Author     atomPerson     `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Content    atomText       `xml:"content"`
}

type jsonFeed struct {
	Version     string     `json:"version"`
	Title       string     `json:"title"`
	HomePageURL string     `json:"home_page_url"`
	FeedURL     string     `json:"feed_url"`
	Description string     `json:"description,omitempty"`
	Language    string     `json:"language,omitempty"`
	Items       []jsonItem `json:"items"`
}

type jsonItem struct {
	ID            string       `json:"id"`
	URL           string       `json:"url"`
	ExternalURL   string       `json:"external_url,omitempty"`
	Title         string       `json:"title"`
	ContentHTML   string       `json:"content_html"`
	Summary       string       `json:"summary,omitempty"`
	Image         string       `json:"image,omitempty"`
	DatePublished string       `json:"date_published"`
	DateModified  string       `json:"date_modified,omitempty"`
	Authors       []jsonAuthor `json:"authors,omitempty"`
	Tags          []string     `json:"tags,omitempty"`
}

type jsonAuthor struct {
	Name string `json:"name"`
}

// feedItem is what every format's item is made of. The items of a feed are
// built when the feed renders and encoded straight into its buffer: a post
// sits in up to 3×levels+3 feeds, but caching encoded items held ~90 MB for
// 10,000 posts, to save a small cost.
type feedItem struct {
	e            *entry
	link, author string
	cats         []string
	body         string
}

func (b *builder) item(e *entry) feedItem {
	it := feedItem{e: e, link: b.abs(e.href), author: cmp.Or(e.p.Author, e.src.name), cats: make([]string, len(e.cats)), body: b.body(e.p)}
	for i, n := range e.cats {
		it.cats[i] = n.name
	}
	return it
}

func (it feedItem) rss() rssItem {
	p := it.e.p
	return rssItem{Title: p.Title, Link: it.link, GUID: rssGUID{"true", it.link},
		PubDate: it.e.date.Format(time.RFC1123Z), Creator: it.author, Categories: it.cats, Description: it.body}
}

func (it feedItem) atom() atomEntry {
	p := it.e.p
	links := []atomLink{{Rel: "alternate", Type: "text/html", Href: it.link}}
	if p.Link != "" {
		links = append(links, atomLink{Rel: "related", Type: "text/html", Href: p.Link})
	}
	ac := make([]atomCategory, len(it.cats))
	for i, c := range it.cats {
		ac[i] = atomCategory{c}
	}
	return atomEntry{ID: it.link, Title: p.Title, Updated: isoDate(it.e.updated), Published: isoDate(it.e.date),
		Links: links, Author: atomPerson{it.author}, Categories: ac, Content: atomText{"html", it.body}}
}

func (b *builder) jsonItem(it feedItem) jsonItem {
	p := it.e.p
	j := jsonItem{ID: it.link, URL: it.link, ExternalURL: p.Link, Title: p.Title, ContentHTML: it.body,
		Summary: it.e.desc, Image: b.absImage(p.Cover), DatePublished: isoDate(it.e.date),
		Authors: []jsonAuthor{{it.author}}, Tags: it.cats}
	if it.e.updated.After(it.e.date) {
		j.DateModified = isoDate(it.e.updated)
	}
	return j
}

// absImage makes a cover absolute against the site URL (feed readers have
// no base to resolve a relative one); "" for what is not an image URL.
func (b *builder) absImage(s string) string {
	u := string(safeImage(s))
	if u == "" || len(u) > 5 && u[:5] == "data:" {
		return ""
	}
	ref, err := url.Parse(u)
	if err != nil {
		return ""
	}
	base, err := url.Parse(b.base + "/")
	if err != nil {
		return ""
	}
	return base.ResolveReference(ref).String()
}

// writeJSON encodes v into buf without escaping <, > and &: the feeds
// carry HTML and are not embedded in a page.
func writeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("site: encode JSON: %w", err)
	}
	return nil
}

// feedJobs adds feed.xml, atom.xml and feed.json of a listing: dir and href
// are the listing's folder ("" for the root).
func (b *builder) feedJobs(dir, href, title string, entries []*entry) []job {
	es := entries[:min(len(entries), maxFeedItems)]
	home := b.abs(href)
	var newest, updated time.Time
	for _, e := range es {
		if e.date.After(newest) {
			newest = e.date
		}
		if e.updated.After(updated) {
			updated = e.updated
		}
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0).UTC() // an empty feed still needs a stable <updated>
	}
	items := func() []feedItem {
		out := make([]feedItem, len(es))
		for i, e := range es {
			out[i] = b.item(e)
		}
		return out
	}
	rss := func(buf *bytes.Buffer) error {
		doc := rssDoc{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", DC: "http://purl.org/dc/elements/1.1/",
			Channel: rssChannel{Title: title, Link: home, Description: title, Language: b.opt.Language,
				Generator: "feedpost", Self: atomLink{Rel: "self", Type: "application/rss+xml", Href: b.abs(href + "feed.xml")}}}
		if !newest.IsZero() {
			doc.Channel.LastBuildDate = newest.Format(time.RFC1123Z)
		}
		for _, it := range items() {
			doc.Channel.Items = append(doc.Channel.Items, it.rss())
		}
		return writeXML(buf, doc)
	}
	atom := func(buf *bytes.Buffer) error {
		f := atomFeed{Lang: b.opt.Language, ID: home, Title: title, Updated: isoDate(updated),
			Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: b.abs(href + "atom.xml")},
				{Rel: "alternate", Type: "text/html", Href: home}},
			Author: atomPerson{b.opt.Title}, Generator: "feedpost"}
		for _, it := range items() {
			f.Entries = append(f.Entries, it.atom())
		}
		return writeXML(buf, f)
	}
	jf := func(buf *bytes.Buffer) error {
		f := jsonFeed{Version: "https://jsonfeed.org/version/1.1", Title: title, HomePageURL: home,
			FeedURL: b.abs(href + "feed.json"), Language: b.opt.Language, Items: []jsonItem{}}
		for _, it := range items() {
			f.Items = append(f.Items, b.jsonItem(it))
		}
		return writeJSON(buf, f)
	}
	return []job{{dir + "feed.xml", rss}, {dir + "atom.xml", atom}, {dir + "feed.json", jf}}
}

func writeXML(buf *bytes.Buffer, v any) error {
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("site: encode XML: %w", err)
	}
	buf.WriteByte('\n')
	return nil
}

// maxSitemapURLs is the sitemaps.org limit of URLs in one file.
const maxSitemapURLs = 50000

type sitemapSet struct {
	XMLName xml.Name         `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapElement `xml:"url"`
}

type sitemapElement struct {
	Loc     string `xml:"loc"`
	Lastmod string `xml:"lastmod,omitempty"`
}

type sitemapIndex struct {
	XMLName  xml.Name         `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapElement `xml:"sitemap"`
}

// sitemapJobs writes sitemap.xml, or, past the 50,000-URL limit, an index
// sitemap.xml pointing at sitemap-1.xml, sitemap-2.xml, ….
func (b *builder) sitemapJobs(pages []sitemapURL) []job {
	set := func(ps []sitemapURL) func(*bytes.Buffer) error {
		return func(buf *bytes.Buffer) error {
			s := sitemapSet{URLs: make([]sitemapElement, len(ps))}
			for i, p := range ps {
				s.URLs[i].Loc = b.abs(p.href)
				if !p.lastmod.IsZero() {
					s.URLs[i].Lastmod = isoDate(p.lastmod)
				}
			}
			return writeXML(buf, s)
		}
	}
	if len(pages) <= maxSitemapURLs {
		return []job{{"sitemap.xml", set(pages)}}
	}
	var js []job
	var idx sitemapIndex
	for i := 0; i*maxSitemapURLs < len(pages); i++ {
		name := fmt.Sprintf("sitemap-%d.xml", i+1)
		part := pages[i*maxSitemapURLs : min((i+1)*maxSitemapURLs, len(pages))]
		js = append(js, job{name, set(part)})
		idx.Sitemaps = append(idx.Sitemaps, sitemapElement{Loc: b.abs(name)})
	}
	return append(js, job{"sitemap.xml", func(buf *bytes.Buffer) error { return writeXML(buf, idx) }})
}

type searchEntry struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	URL        string   `json:"url"`
	Source     string   `json:"source"`
	Date       string   `json:"date"`
	Categories []string `json:"categories,omitempty"`
}

// searchIndex writes search.json: every post, newest first, with the few
// fields the client-side search shows. url is root-relative (the site works
// without site.url).
func (b *builder) searchIndex(buf *bytes.Buffer) error {
	list := make([]searchEntry, len(b.entries))
	for i, e := range b.entries {
		cats := make([]string, len(e.cats))
		for j, n := range e.cats {
			cats[j] = n.name
		}
		list[i] = searchEntry{ID: e.p.ID, Title: e.p.Title, URL: b.path(e.href), Source: e.src.name,
			Date: isoDate(e.date), Categories: cats}
	}
	return writeJSON(buf, list)
}
