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
}
