// Package rsshub holds what feedpost knows about RSSHub: how a route becomes
// a URL on an instance (with the access key), how a full RSSHub URL is
// recognised as a route, how a list of instances is tried in order, and how
// `category: auto` is read from an instance's route metadata API.
//
// It does not import config: callers pass the instance list (config.RSSHub),
// the key (config.RSSHubKey) and the route (config.Source.Route).
package rsshub

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/feedpost/feedpost/internal/fetch"
)

// PublicInstance is RSSHub's own public instance. A `url:` on it is
// recognised as a route even when it is not among the configured instances,
// because that is the URL RSSHub's docs and RSSHub Radar hand out.
const PublicInstance = "https://rsshub.app"

// RouteURL returns the URL of route on instance.
//
//   - instance is a base URL, possibly with a path (https://example.com/rsshub);
//     a trailing slash is ignored.
//   - route is a path such as /qutoutiao/category/1, possibly with its own
//     query (?limit=10&mode=fulltext, RSSHub's common parameters): that query
//     is kept exactly as written.
//   - params are added after it, except those the route already sets (what the
//     user wrote in the route wins).
//   - key, when not empty, is sent as `key=`: RSSHub's access control
//     (ACCESS_KEY, lib/middleware/access-control.ts) accepts either
//     ?key=<ACCESS_KEY> or ?code=<md5(path + ACCESS_KEY)>; the plain key is
//     used because it works for every route and the API alike. It replaces a
//     key= already in the route.
func RouteURL(instance, route, key string, params url.Values) string {
	base := strings.TrimRight(instance, "/")
	path, query, _ := strings.Cut(route, "?")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	var pairs []string
	have := map[string]bool{}
	for _, p := range strings.Split(query, "&") {
		if p == "" {
			continue
		}
		name := pairName(p)
		if key != "" && name == "key" {
			continue
		}
		have[name] = true
		pairs = append(pairs, p)
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if have[n] || (key != "" && n == "key") {
			continue
		}
		for _, v := range params[n] {
			pairs = append(pairs, url.QueryEscape(n)+"="+url.QueryEscape(v))
		}
	}
	if key != "" {
		pairs = append(pairs, "key="+url.QueryEscape(key))
	}
	if len(pairs) == 0 {
		return base + path
	}
	return base + path + "?" + strings.Join(pairs, "&")
}

// pairName is the decoded name of a query pair "name=value".
func pairName(p string) string {
	name, _, _ := strings.Cut(p, "=")
	if n, err := url.QueryUnescape(name); err == nil {
		return n
	}
	return name
}

// RouteOf recognises rawURL as a route on one of instances or on
// PublicInstance: it returns the route (path and query, as written, with the
// instance's own path prefix removed) and true. Scheme and a default port do
// not matter (http://rsshub.app/x is the route /x); the instance root itself
// is not a route.
func RouteOf(rawURL string, instances []string) (route string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || !isHTTP(u) {
		return "", false
	}
	for _, inst := range append(slices.Clip(instances), PublicInstance) {
		iu, err := url.Parse(inst)
		if err != nil || !isHTTP(iu) || hostPort(iu) != hostPort(u) {
			continue
		}
		prefix := strings.TrimRight(iu.EscapedPath(), "/")
		path := u.EscapedPath()
		if !strings.HasPrefix(path, prefix+"/") {
			continue
		}
		route = path[len(prefix):]
		if strings.Trim(route, "/") == "" {
			continue
		}
		if u.RawQuery != "" {
			route += "?" + u.RawQuery
		}
		return route, true
	}
	return "", false
}

// InstanceOf returns the instance of instances (as given) that rawURL is a
// URL on, or "" when none is. The pipeline uses it to tell which instance the
// stored conditional-GET validators came from (store.Source.URL is the URL
// last fetched).
func InstanceOf(rawURL string, instances []string) string {
	u, err := url.Parse(rawURL)
	if err != nil || !isHTTP(u) {
		return ""
	}
	for _, inst := range instances {
		iu, err := url.Parse(inst)
		if err != nil || !isHTTP(iu) || hostPort(iu) != hostPort(u) {
			continue
		}
		prefix := strings.TrimRight(iu.EscapedPath(), "/")
		if p := u.EscapedPath(); p == prefix || strings.HasPrefix(p, prefix+"/") {
			return inst
		}
	}
	return ""
}

// Instances returns the instances to try for a route source: the configured
// ones, else — for a `url:` on rsshub.app recognised as a route while no
// `rsshub:` is configured — the public instance its FetchURL points to.
func Instances(configured []string, fetchURL string) []string {
	if len(configured) > 0 {
		return configured
	}
	if InstanceOf(fetchURL, []string{PublicInstance}) != "" {
		return []string{PublicInstance}
	}
	return nil
}

func isHTTP(u *url.URL) bool {
	s := strings.ToLower(u.Scheme)
	return (s == "http" || s == "https") && u.Host != ""
}

// hostPort is the lower-case host with the port left out when it is the
// default of either scheme, so that http and https URLs of one instance
// compare equal.
func hostPort(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		return h + ":" + p
	}
	return h
}

// Error is returned by Get when every instance failed. Its message lists each
// instance's error in order; errors.As finds the underlying *fetch.Error of
// the first one.
type Error struct {
	Route string
	Errs  []error // one per instance tried, in order
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "route %s: all %d RSSHub instances failed: ", e.Route, len(e.Errs))
	for i, err := range e.Errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() []error { return e.Errs }

// Get fetches route from instances in order and returns the response and the
// instance that gave it.
//
// It moves on to the next instance after any failure that may be that
// instance's own: network and TLS trouble, timeouts, and every HTTP error
// status — 5xx and 429 (overloaded or down), 403 (RSSHub's access control
// refused the key: instances have their own keys) and 404 (an older instance
// without the route). It stops at once when ctx ends or the body is over
// the size cap, which no other instance would change.
//
// req carries the headers and the conditional-GET validators; its URL is
// ignored. The validators are only sent to etagInstance, the instance they
// came from (InstanceOf the stored URL): an ETag of one instance means
// nothing to another, and a foreign Last-Modified could wrongly get a 304.
//
// With one instance the error is that instance's *fetch.Error; with several
// it is an *Error listing each.
func Get(ctx context.Context, c *fetch.Client, instances []string, route, key string, req fetch.Request, etagInstance string) (*fetch.Response, string, error) {
	if len(instances) == 0 {
		return nil, "", fmt.Errorf("route %s: no RSSHub instance configured (set rsshub:)", route)
	}
	var errs []error
	for _, inst := range instances {
		r := req
		r.URL = RouteURL(inst, route, key, nil)
		if strings.TrimRight(inst, "/") != strings.TrimRight(etagInstance, "/") {
			r.ETag, r.LastModified = "", ""
		}
		resp, err := c.Get(ctx, r)
		if err == nil {
			return resp, inst, nil
		}
		errs = append(errs, err)
		if !fallOver(ctx, err) {
			break
		}
	}
	if len(errs) == 1 {
		return nil, "", errs[0]
	}
	return nil, "", &Error{Route: route, Errs: errs}
}

// fallOver reports whether another instance may succeed where this one failed.
func fallOver(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		switch fe.Kind {
		case fetch.KindCanceled, fetch.KindTooLarge:
			return false
		}
	}
	return true
}
