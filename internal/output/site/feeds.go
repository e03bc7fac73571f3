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
	"io"
	"net/url"
	"strings"
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
	Description xmlText  `xml:"description"`
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
	Body string `xml:",innerxml"` // escaped: see xmlText
}

// xmlText is an element's text escaped beforehand (xmlEscape): a post's body
// goes into the RSS and Atom feeds, escaped once for both, which gives the
// bytes encoding/xml gives for the plain text.
type xmlText struct {
	Text string `xml:",innerxml"`
}

// xmlEscape escapes s as encoding/xml escapes character data; scratch
// holds s as bytes for xml.EscapeText, reused from call to call.
func xmlEscape(s string, scratch *[]byte) string {
	*scratch = append((*scratch)[:0], s...)
	var sb strings.Builder
	sb.Grow(len(s) + len(s)/8)
	xml.EscapeText(&sb, *scratch) // a strings.Builder does not fail
	return sb.String()
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
// built when its three files render, so each body is loaded once for all
// three, and encoded straight into the buffer: a post sits in up to
// levels+1 feeds, but caching encoded items held ~90 MB for 10,000 posts,
// to save a small cost.
type feedItem struct {
	e            *entry
	m            meta
	link, author string
	cats         []string
	body, desc   string
	xmlBody      string // body escaped for XML
}

func (b *builder) item(e *entry, m meta, scratch *[]byte) feedItem {
	body := b.body(e)
	if b.opt.MirrorURL != "" {
		// The site's own images, named relative to its root in pages:
		// a feed reader has no <base href>.
		body = rebaseImages(body, "images/", b.abs("images/"))
	}
	return feedItem{e: e, m: m, link: b.abs(e.href("")), author: cmp.Or(m.author, e.src().name), cats: e.catNames(),
		body: body, desc: excerpt(body, 140), xmlBody: xmlEscape(body, scratch)}
}

func (it feedItem) rss() rssItem {
	p := it.m
	return rssItem{Title: p.title, Link: it.link, GUID: rssGUID{"true", it.link},
		PubDate: it.e.date.Format(time.RFC1123Z), Creator: it.author, Categories: it.cats, Description: xmlText{it.xmlBody}}
}

func (it feedItem) atom() atomEntry {
	p := it.m
	links := []atomLink{{Rel: "alternate", Type: "text/html", Href: it.link}}
	if p.link != "" {
		links = append(links, atomLink{Rel: "related", Type: "text/html", Href: p.link})
	}
	ac := make([]atomCategory, len(it.cats))
	for i, c := range it.cats {
		ac[i] = atomCategory{c}
	}
	return atomEntry{ID: it.link, Title: p.title, Updated: isoDate(it.e.updated), Published: isoDate(it.e.date),
		Links: links, Author: atomPerson{it.author}, Categories: ac, Content: atomText{"html", it.xmlBody}}
}

func (b *builder) jsonItem(it feedItem) jsonItem {
	p := it.m
	j := jsonItem{ID: it.link, URL: it.link, ExternalURL: p.link, Title: p.title, ContentHTML: it.body,
		Summary: it.desc, Image: b.absImage(p.cover), DatePublished: isoDate(it.e.date),
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

// feedJob writes feed.xml, atom.xml and feed.json of a listing: dir and
// href are the listing's folder ("" for the root).
func (b *builder) feedJob(dir, href, title string, entries []*entry) job {
	return func(buf *bytes.Buffer) error {
		es := entries[:min(len(entries), maxFeedItems)]
		items := make([]feedItem, len(es))
		ms := b.metas(es...)
		var scratch []byte
		for i, e := range es {
			items[i] = b.item(e, ms[i], &scratch)
		}
		for _, f := range []struct {
			name  string
			write func(*bytes.Buffer, string, string, []feedItem) error
		}{{"feed.xml", b.rss}, {"atom.xml", b.atom}, {"feed.json", b.jsonFeed}} {
			buf.Reset()
			if err := f.write(buf, href, title, items); err != nil {
				return fmt.Errorf("site: render %s: %w", dir+f.name, err)
			}
			if err := b.out.put(dir+f.name, buf.Bytes()); err != nil {
				return err
			}
		}
		return nil
	}
}

func (b *builder) rss(buf *bytes.Buffer, href, title string, items []feedItem) error {
	doc := rssDoc{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", DC: "http://purl.org/dc/elements/1.1/",
		Channel: rssChannel{Title: title, Link: b.abs(href), Description: title, Language: b.opt.Language,
			Generator: "feedpost", Self: atomLink{Rel: "self", Type: "application/rss+xml", Href: b.abs(href + "feed.xml")}}}
	var newest time.Time
	for _, it := range items {
		if it.e.date.After(newest) {
			newest = it.e.date
		}
		doc.Channel.Items = append(doc.Channel.Items, it.rss())
	}
	if !newest.IsZero() {
		doc.Channel.LastBuildDate = newest.Format(time.RFC1123Z)
	}
	return writeXML(buf, doc)
}

func (b *builder) atom(buf *bytes.Buffer, href, title string, items []feedItem) error {
	var updated time.Time
	for _, it := range items {
		if it.e.updated.After(updated) {
			updated = it.e.updated
		}
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0).UTC() // an empty feed still needs a stable <updated>
	}
	home := b.abs(href)
	f := atomFeed{Lang: b.opt.Language, ID: home, Title: title, Updated: isoDate(updated),
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: b.abs(href + "atom.xml")},
			{Rel: "alternate", Type: "text/html", Href: home}},
		Author: atomPerson{b.opt.Title}, Generator: "feedpost"}
	for _, it := range items {
		f.Entries = append(f.Entries, it.atom())
	}
	return writeXML(buf, f)
}

func (b *builder) jsonFeed(buf *bytes.Buffer, href, title string, items []feedItem) error {
	f := jsonFeed{Version: "https://jsonfeed.org/version/1.1", Title: title, HomePageURL: b.abs(href),
		FeedURL: b.abs(href + "feed.json"), Language: b.opt.Language, Items: []jsonItem{}}
	for _, it := range items {
		f.Items = append(f.Items, b.jsonItem(it))
	}
	return writeJSON(buf, f)
}

func writeXML(buf *bytes.Buffer, v any) error {
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("site: encode XML: %w", err)
	}
	buf.WriteByte('\n')
	return nil
}

// maxSitemapURLs is the sitemaps.org limit of URLs in one file (a
// variable for tests).
var maxSitemapURLs = 50000

const sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

type sitemapElement struct {
	Loc     string `xml:"loc"`
	Lastmod string `xml:"lastmod,omitempty"`
}

type sitemapIndex struct {
	XMLName  xml.Name         `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapElement `xml:"sitemap"`
}

// sitemapJobs writes sitemap.xml, or, past the 50,000-URL limit, an index
// sitemap.xml pointing at sitemap-1.xml, sitemap-2.xml, …. The sitemap
// lists every listing page (b.pages, which jobs fills before any job
// runs), every post page and the category index.
func (b *builder) sitemapJobs() []job {
	// url is the i-th page of the sitemap, computed when it is written
	// rather than kept in a list.
	url := func(i int) sitemapElement {
		var href string
		var lastmod time.Time
		switch {
		case i < len(b.pages):
			href, lastmod = b.pages[i].href(), b.pages[i].lastmod()
		case i < len(b.pages)+len(b.entries):
			e := b.entries[i-len(b.pages)]
			href, lastmod = e.href(""), e.updated
		default:
			href = "categories/"
		}
		el := sitemapElement{Loc: b.abs(href)}
		if !lastmod.IsZero() {
			el.Lastmod = isoDate(lastmod)
		}
		return el
	}
	set := func(name string, lo, hi int) job {
		return b.stream(name, func(w io.Writer) error {
			// One URL at a time: the same bytes as encoding a struct of
			// all the URLs, written as they come.
			if _, err := io.WriteString(w, xml.Header); err != nil {
				return err
			}
			enc := xml.NewEncoder(w)
			urlset := xml.StartElement{Name: xml.Name{Space: sitemapNS, Local: "urlset"}}
			if err := enc.EncodeToken(urlset); err != nil {
				return fmt.Errorf("site: encode XML: %w", err)
			}
			for i := lo; i < hi; i++ {
				if err := enc.EncodeElement(url(i), xml.StartElement{Name: xml.Name{Local: "url"}}); err != nil {
					return fmt.Errorf("site: encode XML: %w", err)
				}
			}
			if err := enc.EncodeToken(urlset.End()); err != nil {
				return fmt.Errorf("site: encode XML: %w", err)
			}
			if err := enc.Close(); err != nil {
				return fmt.Errorf("site: encode XML: %w", err)
			}
			_, err := io.WriteString(w, "\n")
			return err
		})
	}
	total := len(b.pages) + len(b.entries) + 1
	if total <= maxSitemapURLs {
		return []job{set("sitemap.xml", 0, total)}
	}
	var js []job
	var idx sitemapIndex
	for i := 0; i*maxSitemapURLs < total; i++ {
		name := fmt.Sprintf("sitemap-%d.xml", i+1)
		js = append(js, set(name, i*maxSitemapURLs, min((i+1)*maxSitemapURLs, total)))
		idx.Sitemaps = append(idx.Sitemaps, sitemapElement{Loc: b.abs(name)})
	}
	return append(js, b.file("sitemap.xml", func(buf *bytes.Buffer) error { return writeXML(buf, idx) }))
}

// searchBatch is how many posts' titles searchIndex reads at a time.
const searchBatch = 128

type searchEntry struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	URL        string   `json:"url"`
	Source     string   `json:"source"`
	Date       string   `json:"date"`
	Categories []string `json:"categories,omitempty"`
}

// searchIndex writes search.json: every post, newest first, with the few
// fields the client-side search shows. url is relative to the site root,
// as every href of the pages (builder.path), so the site works without
// site.url. The entries are encoded one at a time, the same bytes
// as the whole list at once, and written as they come.
func (b *builder) searchIndex(w io.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('[')
	var ms []meta
	for i, e := range b.entries {
		if i > 0 {
			buf.WriteByte(',')
		}
		if i%searchBatch == 0 { // the titles of the next posts, read together
			ms = b.metas(b.entries[i:min(i+searchBatch, len(b.entries))]...)
		}
		s := searchEntry{ID: e.id, Title: ms[i%searchBatch].title, URL: b.path(e.href("")), Source: e.src().name,
			Date: isoDate(e.date), Categories: e.catNames()}
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("site: encode JSON: %w", err)
		}
		buf.Truncate(buf.Len() - 1) // the newline Encode ends each value with
		if err := flushOver(w, &buf, 32<<10); err != nil {
			return err
		}
	}
	buf.WriteString("]\n")
	return flushOver(w, &buf, 0)
}
