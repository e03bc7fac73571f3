// Package parse turns feed bytes (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed
// 1.0/1.1, in any charset the prolog or HTTP header declares, or none) into
// a Feed, as forgiving as the best feed readers: damaged feeds are repaired
// as far as they can be, and the repairs noted.
package parse

import "time"

// Feed is the part of a parsed feed that feedpost uses.
type Feed struct {
	Title string
	Link  string        // the site link (absolute when the feed gives one)
	TTL   time.Duration // RSS <ttl> or sy:updatePeriod/sy:updateFrequency; 0 when absent
	// Icon is the feed's image (RSS <image><url>, Atom icon/logo, JSON Feed
	// icon/favicon), absolute; "" when none. Theme author entries show it.
	Icon  string
	Items []Item
	// Notes say what had to be repaired or guessed to read the feed, for
	// the run summary: a charset other than the declared one, invalid
	// UTF-8 replaced by U+FFFD or illegal characters dropped, JSON Feed
	// fields of the wrong type coerced or dropped, malformed XML recovered
	// (with the items kept). Empty for a clean feed.
	Notes []string
}

// Item is one entry of a feed, in feed order.
type Item struct {
	GUID    string
	Link    string // absolute when it could be resolved; "" for non-http(s) schemes (javascript:...)
	Title   string // raw: may hold HTML and entities; content.Title cleans it
	Content string // HTML: content:encoded / Atom content / content_html, else description / summary
	IsText  bool   // Content is plain text (JSON content_text, Atom type="text"): escape and wrap in <p>
	Summary string // description / summary when Content came from elsewhere
	Author  string
	// Base is the base URL for relative links in Content: the item link,
	// else the feed link, else the feed URL. gofeed does not expose
	// xml:base, but it resolves Atom HTML content and links against it
	// itself.
	Base      string
	Published time.Time
	Updated   time.Time
	// Images are the feed's own image candidates for the cover, in the order
	// of docs/post-format.md ("Cover"): media:thumbnail (the item's, its
	// media:group's, then those inside a media:content), media:content of
	// an image type, image enclosures, JSON Feed image, banner_image and
	// image attachments.
	Images     []string
	Categories []string
}
