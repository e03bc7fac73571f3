// Package post holds the post model shared by the pipeline and the outputs,
// and the rule that names a post.
package post

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Post is one item made ready for the outputs. Body is the cleaned HTML of
// docs/post-format.md ("Body", steps 1–5); output-specific escaping (braces)
// is the writers' job.
type Post struct {
	ID         string // first 16 hex digits of SHA-256 of the identity; see ID
	SourceKey  string
	SourceName string // the source's display name (name, else key)
	Title      string
	Categories []string
	Cover      string // final URL (proxied when in scope)
	// Thumbnail is a small copy of the cover for a theme's card (mirror
	// mode with images.thumbnail); "" when there is none.
	Thumbnail string `json:",omitempty"`
	Author    string
	Date      time.Time // already in the site's time zone
	Updated   time.Time // zero when the feed gives none
	Link      string    // the item's link ("" when none)
	Body      string
}

// SortDate is the one rule for a post's date: the time the feed says the
// item was published, else when it was last updated, else when feedpost
// first saw it (kept in the store, so it never moves). Posts are dated,
// listed newest first and kept by retention by it; the store keeps it in
// a column of its own so that those listings are index walks.
func SortDate(published, updated, firstSeen time.Time) time.Time {
	switch {
	case !published.IsZero():
		return published
	case !updated.IsZero():
		return updated
	}
	return firstSeen
}

// ID names an item: the first 16 hex digits of the SHA-256 of the source key
// and the guid; else of the key and the link; else of the key, the title and
// the content. The same item always gets the same ID, wherever the project
// folder lives, because the key is the config text, not a resolved path.
func ID(sourceKey, guid, link, title, content string) string {
	h := sha256.New()
	h.Write([]byte(sourceKey))
	h.Write([]byte{0})
	switch {
	case guid != "":
		h.Write([]byte("guid\x00" + guid))
	case link != "":
		h.Write([]byte("link\x00" + link))
	default:
		h.Write([]byte("text\x00" + title + "\x00" + content))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}
