// Package fetch gets feed bytes from http(s) URLs, file:// URLs and local
// paths, politely (per-host limits, conditional GET) and defensively (timeouts,
// size caps, retries with backoff), and says clearly what went wrong.
//
// It is built on net/http: the only hand-written parts are what net/http does
// not do for a feed fetcher — retry policy, a per-host in-flight limit, a
// streaming size cap on the decoded body, and error messages a user can act on.
package fetch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/netguard"
	"github.com/feedpost/feedpost/internal/schedule"
)

// Request is one fetch of a source.
type Request struct {
	URL          string            // http(s) URL, file:// URL or absolute local path
	ETag         string            // sent as If-None-Match when not empty
	LastModified string            // sent as If-Modified-Since when not empty
	Headers      map[string]string // extra request headers (the source's `headers`)
}

// Response is a successful fetch.
type Response struct {
	URL          string // final URL after redirects
	StatusCode   int    // 200 for local files
	NotModified  bool   // 304: Body is empty and nothing needs parsing
	Body         []byte
	ContentType  string // the Content-Type header ("" for local files)
	ETag         string
	LastModified string
	MaxAge       time.Duration // from Cache-Control: max-age (0 when absent)
	Tries        int           // attempts made
}

// Defaults used when an Options field is zero. They match the `fetch:`
// defaults of docs/config.md so that a zero Options is already a sane client.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxBytes      = 20 << 20
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultUserAgent     = "feedpost (+https://github.com/feedpost/feedpost)"

	// maxRedirects is how many redirects one attempt follows, like browsers
	// and Miniflux (through net/http's default of 10).
	maxRedirects = 10
	// maxDialTimeout bounds the TCP connect and TLS handshake: a host that
	// does not even accept within 10s is down, whatever the overall Timeout.
	maxDialTimeout = 10 * time.Second
	// maxBackoff caps the default exponential backoff.
	maxBackoff = 30 * time.Second
)

// acceptHeader prefers feed types but takes anything: RSSHub and many sites
// label feeds text/html or application/octet-stream, and the parser sniffs.
const acceptHeader = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// Options configures a Client. Zero fields take the defaults named on them.
type Options struct {
	Timeout   time.Duration // per attempt, headers and body together (default 30s)
	Retries   int           // extra attempts after a transient failure (negative = 0)
	MaxBytes  int64         // cap on the decoded body (default 20MB)
	UserAgent string        // default DefaultUserAgent
	PerHost   int           // requests in flight to one host:port at once (<= 0: no limit)

	// Backoff is the wait before attempt+1 after attempt (counted from 1)
	// failed. nil: 1s, 2s, 4s… capped at 30s, with ±20% jitter so that many
	// sources failing together do not come back in lockstep.
	Backoff func(attempt int) time.Duration
	// MaxRetryAfter caps an honoured Retry-After (default 60s): a server
	// asking for an hour gets the cap, not a hung run.
	MaxRetryAfter time.Duration
	// Transport replaces the default transport (tests inject one).
	Transport http.RoundTripper
	// AcquireHost, when set, replaces the client's own per-host semaphore:
	// it waits for one of PerHost slots of host (host:port) and returns
	// the function that gives it back. Processes sharing a PostgreSQL
	// store lease the slots there, so that per_host holds across them.
	AcquireHost func(ctx context.Context, host string) (release func(), err error)
}

// Client fetches sources. It is safe for concurrent use; the per-host limit
// is shared by every goroutine using the same Client.
type Client struct {
	opt   Options
	hc    *http.Client
	hosts *hostSlots // shared with the clients made by Guarded

	// sleep waits between attempts; tests replace it to observe the waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Client with opt's zero fields set to their defaults.
func New(opt Options) *Client {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.UserAgent == "" {
		opt.UserAgent = DefaultUserAgent
	}
	if opt.Backoff == nil {
		opt.Backoff = defaultBackoff
	}
	if opt.MaxRetryAfter <= 0 {
		opt.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opt.Transport == nil {
		opt.Transport = newTransport(opt)
	}
	return &Client{
		opt: opt,
		hc: &http.Client{
			Transport:     opt.Transport,
			CheckRedirect: checkRedirect,
			// No Client.Timeout: each attempt gets its own context deadline,
			// which also covers the body read and tells us which phase stalled.
		},
		hosts: &hostSlots{m: make(map[string]chan struct{})},
		sleep: schedule.Sleep,
	}
}

// hostSlots are the per-host semaphores, created lazily.
type hostSlots struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// Guarded returns a client for URLs that come from feed content (article
// pages): the same options and the same per-host slots as c — so
// fetch.per_host holds across both — but dialling through g, which refuses
// loopback, private, link-local and similar addresses, redirects included.
// It ignores HTTP_PROXY and friends: behind a proxy the guard would only
// see the proxy's address. A Transport given in Options that is not an
// *http.Transport (a test's in-memory one) is used as it is.
func (c *Client) Guarded(g *netguard.Dialer) *Client {
	opt := c.opt
	dial := (&net.Dialer{Timeout: min(maxDialTimeout, opt.Timeout), KeepAlive: 30 * time.Second}).DialContext
	guard := *g
	if guard.Dial == nil {
		guard.Dial = dial
	}
	if base, ok := opt.Transport.(*http.Transport); ok {
		t := base.Clone()
		t.Proxy = nil
		t.DialContext = guard.DialContext
		t.DialTLSContext = nil
		opt.Transport = t
	}
	return &Client{
		opt:   opt,
		hc:    &http.Client{Transport: opt.Transport, CheckRedirect: checkRedirect},
		hosts: c.hosts,
		sleep: c.sleep,
	}
}

// Get fetches req.URL: local paths and file:// URLs from disk, http(s) over
// the network with retries. Every error it returns is an *Error.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	if IsLocal(req.URL) {
		return c.getFile(ctx, req.URL)
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, &Error{URL: req.URL, Kind: KindURL, Err: err, msg: "invalid URL: " + unwrapURLError(err).Error()}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &Error{URL: req.URL, Kind: KindURL, msg: fmt.Sprintf("unsupported URL scheme %q (want http, https, file or an absolute path)", u.Scheme)}
	}
	if u.Host == "" {
		return nil, &Error{URL: req.URL, Kind: KindURL, msg: "URL has no host"}
	}
	return c.getHTTP(ctx, req, u)
}

// IsLocal reports whether raw names a file on disk rather than a URL.
func IsLocal(raw string) bool {
	return strings.HasPrefix(raw, "file:") || filepath.IsAbs(raw)
}

// acquire takes a slot of host's semaphore, waiting while PerHost requests to
// it are in flight, and returns the function that gives the slot back.
func (c *Client) acquire(ctx context.Context, host string) (release func(), err error) {
	if c.opt.PerHost <= 0 {
		return func() {}, nil
	}
	if c.opt.AcquireHost != nil {
		return c.opt.AcquireHost(ctx, host)
	}
	c.hosts.mu.Lock()
	sem, ok := c.hosts.m[host]
	if !ok {
		sem = make(chan struct{}, c.opt.PerHost)
		c.hosts.m[host] = sem
	}
	c.hosts.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// hostKey is the per-host limit's key: lower-case host and explicit port, so
// that example.com and example.com:443 share a slot for https.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// defaultBackoff is 1s·2^(attempt-1), capped at 30s, ±20% jitter.
func defaultBackoff(attempt int) time.Duration {
	attempt = max(attempt, 1)
	d := maxBackoff
	if attempt <= 5 { // 2^5 s is past the cap already
		d = min(time.Second<<(attempt-1), maxBackoff)
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}
