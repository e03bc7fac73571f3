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
// disk cache when it can (the cached file itself is handed to
// http.ServeContent, so hits go out with sendfile(2)); answer a failure
// remembered by the negative cache (an hour for 404/410/not an image, a
// minute for 5xx and timeouts); otherwise fetch the upstream once
// (concurrent requests for the same URL share one fetch) with the shared
// downloader of internal/imagefetch — per-host Referer table, SSRF guard at
// dial time, size, time and pixel caps, sniffing that passes only raster
// images — and serve the result with long-lived caching headers and a
// strict Content-Security-Policy. Errors tell the client a status and a
// short reason ("upstream 404", "not an image", "too large"); addresses and
// dial errors go to the log only.
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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/feedpost/feedpost/internal/imagefetch"
	"github.com/feedpost/feedpost/internal/netguard"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout   = imagefetch.DefaultTimeout
	DefaultMaxBytes  = imagefetch.DefaultMaxBytes
	DefaultCacheSize = 512 << 20 // 512 MiB, as images.cache_size
	DefaultUserAgent = imagefetch.DefaultUserAgent
)

// Response header values. The CSP matters when someone opens an image URL
// directly: even if a type check were ever fooled, the document can run no
// script and load nothing.
const (
	headerCSP          = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
	headerCacheControl = "public, max-age=2592000, immutable" // 30 days: a signed URL names one image forever
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
	// MaxPixels caps width × height as the image's header declares them
	// (default imagefetch.DefaultMaxPixels).
	MaxPixels int64
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
	// WriteTimeout is how long sending one image to the client may take
	// (0: the server's own write timeout applies). The proxy sets the
	// connection's write deadline to now + Timeout + WriteTimeout when a
	// request arrives, and to now + WriteTimeout once the image is ready,
	// so the upstream fetch does not eat into the client's time.
	WriteTimeout time.Duration

	// Guard holds the SSRF guard's test hooks (Resolve, Dial, Allow).
	Guard netguard.Dialer
	// Transport replaces the whole upstream network stack, SSRF guard
	// included. Tests use it to answer from memory; leave nil otherwise.
	Transport http.RoundTripper

	// Metrics receives request and cache figures; nil records nothing.
	Metrics *Metrics
	// Logger receives the details of upstream failures (addresses, dial
	// errors), which clients never see; nil logs nothing.
	Logger *slog.Logger
}

// Proxy serves /img/<signature>/<base64url(URL)>. It is safe for concurrent
// use. Create it with New.
type Proxy struct {
	secret       []byte
	dl           *imagefetch.Downloader
	writeTimeout time.Duration
	cache        *diskCache // nil: no disk cache
	flight       flightGroup
	failures     negativeCache
	macs         sync.Pool // of hash.Hash: HMAC-SHA256 under secret
	metrics      *Metrics
	log          *slog.Logger
}

// New checks opt, applies defaults and opens (or creates) the disk cache,
// rebuilding its LRU index from the files already there.
func New(opt Options) (*Proxy, error) {
	if len(opt.Secret) == 0 {
		return nil, errors.New("mediaproxy: empty secret: proxy URLs could be forged")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.UserAgent == "" {
		opt.UserAgent = DefaultUserAgent
	}
	dl, err := imagefetch.New(imagefetch.Options{
		Timeout: opt.Timeout, MaxBytes: opt.MaxBytes, MaxPixels: opt.MaxPixels, Referers: opt.Referers,
		UserAgent: opt.UserAgent, AllowPrivate: opt.AllowPrivate, Guard: opt.Guard, Transport: opt.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("mediaproxy: %w", err)
	}
	p := &Proxy{
		secret:       opt.Secret,
		dl:           dl,
		writeTimeout: opt.WriteTimeout,
		metrics:      opt.Metrics,
		log:          opt.Logger,
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
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
func (p *Proxy) Close() error { return p.dl.Close() }

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

// proxyError is a failure with the HTTP status it is answered with, the
// outcome label it is counted under and the short reason the client reads.
// maxAge > 0 marks a failure remembered by the negative cache: the answer
// then carries Cache-Control: max-age so that browsers stop asking too.
type proxyError struct {
	status  int
	outcome string
	msg     string
	maxAge  time.Duration
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

// Header values shared by every response: assigned, not Set, so that a hit
// allocates none of them (net/http only reads them).
var (
	hdrNosniff      = []string{"nosniff"}
	hdrCSP          = []string{headerCSP}
	hdrNoReferrer   = []string{"no-referrer"}
	hdrAnyOrigin    = []string{"*"}
	hdrCacheControl = []string{headerCacheControl}
)

func (p *Proxy) serve(w *statusWriter, r *http.Request) string {
	h := w.Header()
	h["X-Content-Type-Options"] = hdrNosniff
	h["Content-Security-Policy"] = hdrCSP
	h["Referrer-Policy"] = hdrNoReferrer
	h["Access-Control-Allow-Origin"] = hdrAnyOrigin
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		return fail(w, errorf(http.StatusMethodNotAllowed, "bad_request", "method %s not allowed: use GET or HEAD", r.Method))
	}
	rawURL, err := p.parsePath(r.URL.Path)
	if err != nil {
		return fail(w, err)
	}
	key := cacheKey(rawURL)
	if b := p.cache.open(key); b != nil {
		defer b.release()
		// A hit has a file of its own: ServeContent on it sends the bytes
		// with sendfile(2), not through a buffer. The server's write
		// timeout, which started with the request, is the hit's own.
		return p.send(w, r, b, newFileContent(b.f, b.meta.Size), "hit")
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(w, errorf(http.StatusBadRequest, "bad_request", "only absolute http(s) URLs can be proxied"))
	}
	if pe := p.failures.get(key); pe != nil {
		return fail(w, pe)
	}
	rc := http.NewResponseController(w)
	if p.writeTimeout > 0 {
		// Room for the upstream fetch (ours or the one we wait for) and
		// then for sending. Not every ResponseWriter supports deadlines.
		_ = rc.SetWriteDeadline(time.Now().Add(p.dl.Timeout() + p.writeTimeout))
	}
	b, err := p.flight.do(key, func() (*blob, error) { return p.fetch(rawURL, key) })
	if err != nil {
		return fail(w, err)
	}
	defer b.release()
	if p.writeTimeout > 0 {
		_ = rc.SetWriteDeadline(time.Now().Add(p.writeTimeout))
	}
	// The blob may be shared by collapsed requests: each reads it at its
	// own offsets.
	return p.send(w, r, b, io.NewSectionReader(b.f, 0, b.meta.Size), "miss")
}

// send answers with the image: http.ServeContent answers If-None-Match and
// If-Modified-Since with 304 and handles HEAD and Range.
func (p *Proxy) send(w *statusWriter, r *http.Request, b *blob, content io.ReadSeeker, outcome string) string {
	h := w.Header()
	h["Content-Type"] = b.meta.typeHeader
	h["Etag"] = b.meta.etagHeader
	h["Cache-Control"] = hdrCacheControl
	http.ServeContent(w, r, "", b.meta.Modified, content)
	if w.status == http.StatusNotModified {
		return "not_modified"
	}
	return outcome
}

// fileContent is a cache file as http.ServeContent should see it: the
// image bytes only, not the trailer after them. It keeps the *os.File's
// SyscallConn, which is what lets net/http hand the file to sendfile(2).
//
// It also spares a hit the two lseek(2) calls ServeContent makes to learn
// the size (Seek to the end, then back to the start): it knows the size,
// and it knows where the file's offset is until the file is handed to the
// kernel, so a Seek that would not move the offset is not made.
type fileContent struct {
	*os.File
	size int64
	pos  int64 // the offset Read reads from next, as ServeContent sees it
	real int64 // the file's own offset; -1 once unknown
}

func newFileContent(f *os.File, size int64) *fileContent {
	return &fileContent{File: f, size: size}
}

func (f *fileContent) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.pos + offset
	case io.SeekEnd:
		abs = f.size + offset
	default:
		return 0, errors.New("fileContent.Seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("fileContent.Seek: negative position")
	}
	f.pos = abs
	return abs, nil
}

func (f *fileContent) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, io.EOF
	}
	if err := f.sync(); err != nil {
		return 0, err
	}
	n, err := f.File.Read(p[:min(int64(len(p)), f.size-f.pos)])
	f.pos += int64(n)
	f.real = f.pos
	return n, err
}

// SyscallConn is how net/http reaches the descriptor for sendfile(2),
// which reads from the file's own offset and moves it: the offset is set
// first, and unknown after.
func (f *fileContent) SyscallConn() (syscall.RawConn, error) {
	if err := f.sync(); err != nil {
		return nil, err
	}
	f.real = -1
	return f.File.SyscallConn()
}

// sync moves the file's offset to pos when it is elsewhere.
func (f *fileContent) sync() error {
	if f.real == f.pos {
		return nil
	}
	if _, err := f.File.Seek(f.pos, io.SeekStart); err != nil {
		return err
	}
	f.real = f.pos
	return nil
}

// fail writes err's short reason as a plain-text error and returns its
// outcome label. Remembered failures say for how long.
func fail(w http.ResponseWriter, err error) string {
	var pe *proxyError
	if !errors.As(err, &pe) {
		pe = errorf(http.StatusInternalServerError, "internal_error", "internal error")
	}
	if pe.maxAge > 0 {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(pe.maxAge.Round(time.Second)/time.Second)))
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	http.Error(w, pe.msg, pe.status)
	return pe.outcome
}

// parsePath returns the original URL of a proxy path, its signature
// verified.
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
	if err != nil || !p.verify(mac, raw) {
		return "", errorf(http.StatusForbidden, "forbidden", "invalid signature")
	}
	// Whether it is an http(s) URL is checked on a miss only: a cached
	// one was checked when it was fetched.
	return string(raw), nil
}

// verify reports whether mac is the signature of msg. The HMAC states are
// pooled: a cache hit is cheap enough that allocating one per request
// shows.
func (p *Proxy) verify(mac, msg []byte) bool {
	h, _ := p.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, p.secret)
	}
	h.Reset()
	h.Write(msg)
	var buf [sha256.Size]byte
	ok := hmac.Equal(mac, h.Sum(buf[:0]))
	p.macs.Put(h)
	return ok
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

// ReadFrom keeps the underlying writer's ReadFrom reachable, so that
// http.ServeContent's copy of a cache file becomes a sendfile(2).
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
	}
	w.bytes += n
	return n, err
}
