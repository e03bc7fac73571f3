// Package mediaproxy is feedpost's own signed image proxy, mounted by `serve`
// at /img/.
//
// Posts written with `images.proxy: builtin` point their <img> at
//
//	<base>/img/<signature>/<base64url(original URL)>
//
// where the signature is an HMAC-SHA256 of the original URL under a secret
// only feedpost knows. The proxy serves nothing else, so unlike the open
// Cloudflare-worker proxies it replaces it cannot be used by strangers to
// fetch arbitrary URLs (issue 4).
//
// What it does with a request, in order: check the signature; answer from the
// disk cache when it can; otherwise fetch the upstream once (concurrent
// requests for the same URL share one fetch) with no Referer or the per-host
// Referer of a table of hotlink-protected CDNs, through a dialer that refuses
// private, loopback, link-local and similar addresses after DNS resolution;
// buffer the body into a cache file up to MaxBytes, sniff its type (only
// raster images pass), and serve it with long-lived caching headers and a
// strict Content-Security-Policy.
//
// The body is buffered to disk before the first byte is sent, not streamed
// straight through: that is what lets an oversize or non-image upstream be
// answered with a clean 502/415 instead of a truncated 200, and the cache
// needs the file anyway.
//
// The design follows Miniflux's media proxy (HMAC-SHA256 over the URL,
// base64url path segments) with what feedpost needs on top: a disk cache,
// type sniffing, a size cap and an SSRF guard at dial time.
package mediaproxy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout   = 15 * time.Second
	DefaultMaxBytes  = 20 << 20  // 20 MiB
	DefaultCacheSize = 512 << 20 // 512 MiB, as images.cache_size
	DefaultUserAgent = "Mozilla/5.0 (compatible; feedpost-mediaproxy/1.0)"

	// MaxRedirects is how many redirects an upstream may answer with; every
	// hop goes through the SSRF guard again.
	MaxRedirects = 5
)

// Response header values. The CSP matters when someone opens an image URL
// directly: even if a type check were ever fooled, the document can run no
// script and load nothing.
const (
	headerCSP          = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
	headerCacheControl = "public, max-age=2592000, immutable" // 30 days: a signed URL names one image forever
	headerAccept       = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
)

// Options configures a Proxy. Only Secret is required.
type Options struct {
	// Secret is the HMAC key; the same key must be given to Sign/URL when
	// posts are written.
	Secret []byte
	// Timeout bounds one upstream fetch, redirects and body included
	// (default 15s).
	Timeout time.Duration
	// MaxBytes caps an upstream body; a larger one is answered with 502
	// (default 20 MiB).
	MaxBytes int64
	// CacheDir holds the disk cache; "" disables it (bodies are then buffered
	// in a temporary file that is removed once served).
	CacheDir string
	// CacheSize bounds the total size of CacheDir in bytes; the least
	// recently used images are removed beyond it (default 512 MiB).
	CacheSize int64
	// Referers maps a host ("mmbiz.qpic.cn") or a host pattern
	// ("*.sinaimg.cn", which also matches sinaimg.cn itself) to the Referer
	// sent upstream. It is merged over the built-in table; an empty value
	// means "send no Referer" for that host.
	Referers map[string]string
	// AllowPrivate turns the SSRF guard off (tests, intranets).
	AllowPrivate bool
	// UserAgent sent upstream (default DefaultUserAgent).
	UserAgent string

	// Transport replaces the whole upstream network stack, SSRF guard
	// included. Tests use it to answer from memory; leave nil otherwise.
	Transport http.RoundTripper
	// LookupIP resolves an upstream host name for the guarded dialer
	// (default net.DefaultResolver). Tests map made-up names to addresses.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an address the guard has approved; it is only ever
	// given a literal "ip:port" (default net.Dialer). Tests record calls.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// Metrics receives request and cache figures; nil records nothing.
	Metrics *Metrics

	// allowAddr lets exactly one otherwise blocked address through the
	// guard, so a test can reach its loopback upstream while everything
	// else private stays refused.
	allowAddr netip.AddrPort
}

// Proxy serves /img/<signature>/<base64url(URL)>. It is safe for concurrent
// use. Create it with New.
type Proxy struct {
	secret    []byte
	timeout   time.Duration
	maxBytes  int64
	referers  map[string]string
	userAgent string
	client    *http.Client
	cache     *diskCache // nil: no disk cache
	flight    flightGroup
	metrics   *Metrics

	allowPrivate bool
	allowAddr    netip.AddrPort
	lookupIP     func(ctx context.Context, host string) ([]netip.Addr, error)
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
}

// New checks opt, applies defaults and opens (or creates) the disk cache,
// rebuilding its LRU index from the files already there.
func New(opt Options) (*Proxy, error) {
	if len(opt.Secret) == 0 {
		return nil, errors.New("mediaproxy: empty secret: proxy URLs could be forged")
	}
	referers, err := mergeReferers(opt.Referers)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		secret:       opt.Secret,
		timeout:      opt.Timeout,
		maxBytes:     opt.MaxBytes,
		referers:     referers,
		userAgent:    opt.UserAgent,
		metrics:      opt.Metrics,
		allowPrivate: opt.AllowPrivate,
		allowAddr:    opt.allowAddr,
		lookupIP:     opt.LookupIP,
		dial:         opt.Dial,
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.maxBytes <= 0 {
		p.maxBytes = DefaultMaxBytes
	}
	if p.userAgent == "" {
		p.userAgent = DefaultUserAgent
	}
	if p.lookupIP == nil {
		p.lookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if p.dial == nil {
		p.dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	transport := opt.Transport
	if transport == nil {
		transport = &http.Transport{
			// No Proxy from the environment: the guard must see the
			// upstream's own address, not a proxy's.
			Proxy:                 nil,
			DialContext:           p.guardedDial,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	p.client = &http.Client{Transport: transport, CheckRedirect: p.checkRedirect}
	if opt.CacheDir != "" {
		size := opt.CacheSize
		if size <= 0 {
			size = DefaultCacheSize
		}
		p.cache, err = openCache(opt.CacheDir, size, p.metrics.setCacheBytes)
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Close drops idle upstream connections. Requests in flight are not affected.
func (p *Proxy) Close() error {
	p.client.CloseIdleConnections()
	return nil
}

// Sign returns the signature of rawURL under secret: the full HMAC-SHA256
// (32 bytes, not truncated: the 43 characters cost nothing next to the URL
// itself) in unpadded base64url.
func Sign(secret []byte, rawURL string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(rawURL))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// URL returns the proxy URL of rawURL: base + "/img/<signature>/<base64url(rawURL)>".
// base is the public address of `serve` (a trailing slash is ignored); ""
// gives a root-relative "/img/…" path.
func URL(base string, secret []byte, rawURL string) string {
	return strings.TrimRight(base, "/") + "/img/" + Sign(secret, rawURL) + "/" +
		base64.RawURLEncoding.EncodeToString([]byte(rawURL))
}

// proxyError is a failure with the HTTP status it is answered with and the
// outcome label it is counted under.
type proxyError struct {
	status  int
	outcome string
	msg     string
}

func (e *proxyError) Error() string { return e.msg }

func errorf(status int, outcome, format string, args ...any) *proxyError {
	return &proxyError{status: status, outcome: outcome, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers GET and HEAD for ".../img/<signature>/<base64url(URL)>".
// Anything before "/img/" is ignored, so the handler works under any mount
// point; a path without "/img/" (http.StripPrefix) is read as
// "/<signature>/<base64url(URL)>".
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	outcome := p.serve(sw, r)
	p.metrics.request(outcome, sw.bytes)
}

func (p *Proxy) serve(w *statusWriter, r *http.Request) string {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", headerCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		return fail(w, errorf(http.StatusMethodNotAllowed, "bad_request", "method %s not allowed: use GET or HEAD", r.Method))
	}
	rawURL, err := p.parsePath(r.URL.Path)
	if err != nil {
		return fail(w, err)
	}
	key := cacheKey(rawURL)
	outcome := "hit"
	b := p.cache.open(key)
	if b == nil {
		outcome = "miss"
		b, err = p.flight.do(key, func() (*blob, error) { return p.fetch(rawURL, key) })
		if err != nil {
			return fail(w, err)
		}
	}
	defer b.release()
	h.Set("Content-Type", b.meta.Type)
	h.Set("ETag", b.meta.ETag)
	h.Set("Cache-Control", headerCacheControl)
	// ServeContent answers If-None-Match / If-Modified-Since with 304 and
	// handles HEAD and Range.
	http.ServeContent(w, r, "", b.meta.Modified, io.NewSectionReader(b.f, 0, b.meta.Size))
	if w.status == http.StatusNotModified {
		return "not_modified"
	}
	return outcome
}

// fail writes err as a plain-text error and returns its outcome label.
func fail(w http.ResponseWriter, err error) string {
	var pe *proxyError
	if !errors.As(err, &pe) {
		pe = errorf(http.StatusBadGateway, "upstream_error", "%v", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, pe.msg, pe.status)
	return pe.outcome
}

// parsePath returns the verified original URL of a proxy path.
func (p *Proxy) parsePath(path string) (string, error) {
	if i := strings.Index(path, "/img/"); i >= 0 {
		path = path[i+len("/img/"):]
	} else {
		path = strings.TrimPrefix(path, "/")
	}
	sig, enc, ok := strings.Cut(path, "/")
	if !ok || sig == "" {
		return "", errorf(http.StatusForbidden, "forbidden", "invalid signature: the path has none")
	}
	raw, err := decodeSegment(enc)
	if err != nil || len(raw) == 0 {
		return "", errorf(http.StatusBadRequest, "bad_request", "malformed proxy path: the URL segment is not base64url")
	}
	mac, err := decodeSegment(sig)
	if err != nil || !hmac.Equal(mac, hmacSum(p.secret, raw)) {
		return "", errorf(http.StatusForbidden, "forbidden", "invalid signature")
	}
	u, err := url.Parse(string(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errorf(http.StatusBadRequest, "bad_request", "only absolute http(s) URLs can be proxied, not %q", raw)
	}
	return string(raw), nil
}

func hmacSum(secret, msg []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(msg)
	return mac.Sum(nil)
}

// decodeSegment decodes unpadded base64url, tolerating padding that some
// URL builders add.
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// statusWriter remembers the status and counts body bytes for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
