package parse

import (
	"cmp"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// The mapping from gofeed's per-format structs to Feed is done here, by
// hand, rather than through gofeed's universal translator: the translator
// re-parses every item's HTML to guess an image and copies every field,
// which costs more than the XML parsing itself on large items, and it does
// not keep the cover candidates in the order docs/post-format.md ("Cover")
// needs. (JSON Feed is read and mapped in one go, in jsonfeed.go.)

func (p *parser) fromRSS(f *rss.Feed, feedURL string) *Feed {
	language := f.Language
	if language == "" && f.DublinCoreExt != nil {
		language = first(f.DublinCoreExt.Language)
	}
	d := p.dates(language)
	feed := &Feed{
		Title: strings.TrimSpace(f.Title),
		TTL:   ttl(f.TTL, f.Extensions),
	}
	if feed.Title == "" && f.DublinCoreExt != nil {
		feed.Title = strings.TrimSpace(first(f.DublinCoreExt.Title))
	}
	feedBase := parseURL(feedURL)
	feed.Link = resolveLink(feedBase, f.Link)
	site := siteBase(feed.Link, feedBase)
	if f.Image != nil {
		feed.Icon = resolveLink(site, strings.TrimSpace(f.Image.URL))
	}

	feed.Items = make([]Item, 0, len(f.Items))
	for _, ri := range f.Items {
		dc := ri.DublinCoreExt
		if dc == nil {
			dc = &ext.DublinCoreExtension{}
		}
		it := Item{Title: ri.Title}
		if it.Title == "" {
			it.Title = first(dc.Title)
		}
		link := ri.Link
		if ri.GUID != nil {
			it.GUID = strings.TrimSpace(ri.GUID.Value)
			// RSS 2.0: a guid that is a permalink is the item's link.
			if link == "" && !strings.EqualFold(ri.GUID.IsPermalink, "false") && isHTTP(it.GUID) {
				link = it.GUID
			}
		}
		it.Link = resolveLink(site, link)

		description := ri.Description
		if description == "" {
			description = first(dc.Description)
		}
		if ri.Content != "" {
			it.Content, it.Summary = ri.Content, description
		} else {
			it.Content = description
		}
		if strings.TrimSpace(it.Content) == "" {
			it.Content = mediaDescription(ri.Extensions)
		}

		it.Author = first(dc.Creator)
		if it.Author == "" {
			it.Author = personName(ri.Author)
		}
		if it.Author == "" && ri.ITunesExt != nil {
			it.Author = ri.ITunesExt.Author
		}

		// Dates are read from their text (gofeed's own parse misses the
		// layouts dates reads, and reads zone-less dates as UTC); a renamed
		// <pubDate> (see cdata.go) is in Custom. A feed may also have only
		// dc:date.
		it.Published = d.first(ri.Custom[liftedDate], ri.PubDate,
			first(dc.Date), extValue(ri.Extensions, "atom", "published"))
		it.Updated = d.parse(extValue(ri.Extensions, "atom", "updated"))

		it.Base = itemBase(it.Link, site)
		b := p.newImageList(parseURL(it.Base))
		b.media(ri.Extensions)
		for _, e := range ri.Enclosures {
			if isImageType(e.Type) {
				b.add(e.URL)
			}
		}
		it.Images = b.urls

		for _, c := range ri.Categories {
			it.Categories = appendCategory(it.Categories, c.Value)
		}
		for _, c := range dc.Subject {
			it.Categories = appendCategory(it.Categories, c)
		}
		feed.Items = append(feed.Items, it)
	}
	return feed
}

func (p *parser) fromAtom(f *atom.Feed, feedURL string) *Feed {
	d := p.dates(f.Language)
	feed := &Feed{
		Title: strings.TrimSpace(f.Title),
		TTL:   ttl("", f.Extensions),
	}
	feedBase := parseURL(feedURL)
	// The site link: rel="alternate", else any link but the feed's own.
	for _, l := range f.Links {
		if l.Rel == "alternate" && l.Href != "" {
			feed.Link = resolveLink(feedBase, l.Href)
			break
		}
	}
	if feed.Link == "" {
		for _, l := range f.Links {
			if !notPage[l.Rel] && l.Href != "" {
				feed.Link = resolveLink(feedBase, l.Href)
				break
			}
		}
	}
	site := siteBase(feed.Link, feedBase)
	feed.Icon = resolveLink(feedBase, strings.TrimSpace(cmp.Or(f.Icon, f.Logo)))

	feed.Items = make([]Item, 0, len(f.Entries))
	for _, e := range f.Entries {
		it := Item{Title: e.Title, GUID: strings.TrimSpace(e.ID)}
		// gofeed has already resolved link hrefs against xml:base.
		for _, l := range e.Links {
			if l.Rel == "alternate" && l.Href != "" {
				it.Link = l.Href
				break
			}
		}
		if it.Link == "" {
			for _, l := range e.Links {
				if !notPage[l.Rel] && l.Href != "" {
					it.Link = l.Href
					break
				}
			}
		}
		it.Link = resolveLink(site, it.Link)

		// gofeed does not expose an entry's xml:base, but it has already
		// resolved the HTML content and link hrefs against it, so the entry
		// link is the best base left for what remains relative.
		it.Base = itemBase(it.Link, site)

		if c := e.Content; c != nil && c.Value != "" && c.Src == "" {
			it.Content, it.Summary = c.Value, e.Summary
			it.IsText = atomIsText(c.Type, c.Value)
		} else {
			// gofeed drops the summary's type; HTML is the safer reading
			// (plain text shows the same, only without its line breaks).
			it.Content = e.Summary
		}
		if strings.TrimSpace(it.Content) == "" {
			it.Content, it.IsText = mediaDescription(e.Extensions), false
		}

		authors := e.Authors
		if len(authors) == 0 {
			authors = f.Authors
		}
		for _, a := range authors {
			if a.Name != "" {
				it.Author = a.Name
				break
			}
		}

		// Read from the text, as for RSS.
		it.Published = d.parse(e.Published)
		it.Updated = d.parse(e.Updated)

		b := p.newImageList(parseURL(it.Base))
		b.media(e.Extensions)
		for _, l := range e.Links {
			if l.Rel == "enclosure" && isImageType(l.Type) {
				b.add(l.Href)
			}
		}
		it.Images = b.urls

		for _, c := range e.Categories {
			if c.Label != "" {
				it.Categories = appendCategory(it.Categories, c.Label)
			} else {
				it.Categories = appendCategory(it.Categories, c.Term)
			}
		}
		feed.Items = append(feed.Items, it)
	}
	return feed
}

// notPage lists the Atom link relations that never point to the entry's
// (or site's) web page, so they cannot stand in for a missing "alternate".
var notPage = map[string]bool{"self": true, "edit": true, "enclosure": true, "replies": true, "license": true, "hub": true}

// atomIsText: an Atom content's type is "text" unless it says otherwise
// (RFC 4287 §3.1.1; Atom 0.3's default is text/plain). Untyped content that
// plainly holds markup is taken as HTML, as sloppy feeds mean it.
func atomIsText(typ, value string) bool {
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "text", "text/plain":
		return true
	case "":
		return !looksLikeHTML(value)
	}
	return false
}

func looksLikeHTML(s string) bool {
	s = strings.ToLower(s)
	for _, tag := range []string{"</", "/>", "<br", "<p>", "<img", "<a ", "<div"} {
		if strings.Contains(s, tag) {
			return true
		}
	}
	return false
}

// ttl is the feed's own refresh hint: RSS <ttl> minutes, else
// sy:updatePeriod divided by sy:updateFrequency.
func ttl(minutes string, exts ext.Extensions) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(minutes)); err == nil && n > 0 {
		return time.Duration(n) * time.Minute
	}
	var period time.Duration
	switch strings.ToLower(extValue(exts, "sy", "updatePeriod")) {
	case "hourly":
		period = time.Hour
	case "daily":
		period = 24 * time.Hour
	case "weekly":
		period = 7 * 24 * time.Hour
	case "monthly":
		period = 30 * 24 * time.Hour
	case "yearly":
		period = 365 * 24 * time.Hour
	default:
		return 0
	}
	if n, err := strconv.Atoi(extValue(exts, "sy", "updateFrequency")); err == nil && n > 0 {
		return period / time.Duration(n)
	}
	return period
}

// extValue returns the text of the first prefix:name extension element.
func extValue(exts ext.Extensions, prefix, name string) string {
	if es := exts[prefix][name]; len(es) > 0 {
		return strings.TrimSpace(es[0].Value)
	}
	return ""
}

// imageList collects cover candidates: absolute, http(s) only, no repeats.
type imageList struct {
	base  *url.URL
	local *url.URL // Options.LocalBase
	urls  []string
}

func (p *parser) newImageList(base *url.URL) *imageList {
	l := &imageList{base: base}
	if p.opts.LocalBase != "" {
		if u, err := url.Parse(p.opts.LocalBase); err == nil && u.Scheme == "file" {
			l.local = u
		}
	}
	return l
}

func (l *imageList) add(raw string) {
	u := resolve(l.base, raw)
	if l.local != nil {
		// A local feed's relative and file: images are files beside it.
		raw = strings.TrimSpace(raw)
		if ref, err := url.Parse(raw); err == nil && raw != "" && !strings.HasPrefix(raw, "//") &&
			(ref.Scheme == "" || strings.EqualFold(ref.Scheme, "file")) {
			if r := l.local.ResolveReference(ref); strings.EqualFold(r.Scheme, "file") && (r.Host == "" || r.Host == "localhost") {
				u = r.String()
			}
		}
	}
	if !isHTTP(u) && !(l.local != nil && strings.HasPrefix(u, "file:")) {
		return
	}
	for _, seen := range l.urls {
		if seen == u {
			return
		}
	}
	l.urls = append(l.urls, u)
}

// media adds Media RSS images: every media:thumbnail first — of the item,
// of its media:group, then those inside a media:content (a video's poster
// frame) —, then the media:content of an image kind, looking inside
// media:group too.
func (l *imageList) media(exts ext.Extensions) {
	m := exts["media"]
	if m == nil {
		return
	}
	groups := m["group"]
	for _, t := range m["thumbnail"] {
		l.add(t.Attrs["url"])
	}
	for _, g := range groups {
		for _, t := range g.Children["thumbnail"] {
			l.add(t.Attrs["url"])
		}
	}
	contents := m["content"]
	for _, g := range groups {
		contents = append(contents, g.Children["content"]...)
	}
	for _, c := range contents {
		for _, t := range c.Children["thumbnail"] {
			l.add(t.Attrs["url"])
		}
	}
	for _, c := range contents {
		if isImageMedia(c.Attrs["medium"], c.Attrs["type"], c.Attrs["url"]) {
			l.add(c.Attrs["url"])
		}
	}
}

// isImageMedia: medium="image", or an image/* type, or — with neither
// given — a URL that ends like an image file.
func isImageMedia(medium, typ, u string) bool {
	switch {
	case strings.EqualFold(medium, "image"), isImageType(typ):
		return true
	case medium != "" || typ != "":
		return false
	}
	if p, err := url.Parse(u); err == nil {
		switch strings.ToLower(path.Ext(p.Path)) {
		case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp":
			return true
		}
	}
	return false
}

func isImageType(t string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "image/")
}

func appendCategory(cats []string, c string) []string {
	if c = strings.TrimSpace(c); c != "" {
		cats = append(cats, c)
	}
	return cats
}

// personName takes the name out of an RSS <author>, which RSS 2.0 wants as
// "email (Name)"; anything else is returned as it is.
func personName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, " ("); i > 0 && strings.HasSuffix(s, ")") && strings.Contains(s[:i], "@") {
		return strings.TrimSpace(s[i+2 : len(s)-1])
	}
	return s
}

func first(s []string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

func parseURL(s string) *url.URL {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || !u.IsAbs() {
		return nil
	}
	return u
}

// resolve makes ref absolute against base (when there is one). A reference
// that does not parse is returned trimmed, as it is.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	if u.IsAbs() {
		return ref
	}
	return base.ResolveReference(u).String()
}

// resolveLink is resolve for page links, which end up as hrefs and in post
// front matter: a link with a scheme other than http(s) (javascript:,
// data:...) is dropped.
func resolveLink(base *url.URL, ref string) string {
	s := resolve(base, ref)
	if u, err := url.Parse(s); err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return s
}

// siteBase is what item links resolve against: the feed's site link when
// absolute, else the URL the feed came from.
func siteBase(feedLink string, feedBase *url.URL) *url.URL {
	if u := parseURL(feedLink); u != nil {
		return u
	}
	return feedBase
}

// itemBase: the item link when absolute, else the site link / feed URL.
func itemBase(link string, site *url.URL) string {
	if parseURL(link) != nil {
		return link
	}
	if site != nil {
		return site.String()
	}
	return ""
}

func isHTTP(s string) bool {
	return len(s) > 7 && (strings.EqualFold(s[:7], "http://") || (len(s) > 8 && strings.EqualFold(s[:8], "https://")))
}
