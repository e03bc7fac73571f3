// Package content turns an item's raw HTML into the body of a post
// (docs/post-format.md, "Body", steps 1–5: lazy images, absolute URLs,
// sanitising, image proxy and referrer policy, safe links), cleans titles
// and picks covers.
package content

// Options drive Clean. The zero value sanitises with no proxy and no
// referrer policy.
type Options struct {
	// ProxyURL rewrites an image URL through the configured proxy; nil means
	// no proxy. Clean calls it only for URLs inside ProxyScope.
	ProxyURL func(string) string
	// ProxyScope: "http" (plain-http URLs only), "all" or "none"; "" means
	// "http", the documented default (docs/config.md).
	ProxyScope string
	// NoReferrer adds referrerpolicy="no-referrer" to every <img>.
	NoReferrer bool
	// IframeHosts are the hosts whose https iframes survive (exact match).
	IframeHosts []string
	// LocalBase is the file: URL of the feed, set only for a feed the
	// operator configured as a local file. Only then may an image name a
	// local file: a relative image URL resolves against it (the pictures
	// of a local feed sit beside it), and file: image URLs are accepted.
	// Such URLs reach LocalImage, never a post as they are: an image URL
	// of a feed fetched over HTTP can never read the local disk.
	LocalBase string
	// LocalImage maps a local image's file: URL to the URL a post shows
	// (its mirrored copy); "" drops the image, as does a nil LocalImage.
	LocalImage func(fileURL string) string
}
