// Package imagefetch downloads images whose URLs come from feed content,
// for every part of feedpost that needs the bytes: the builtin image proxy
// (internal/mediaproxy) and image mirroring. There is one downloader so that
// each of them gets the same defences:
//
//   - no Referer, or the one a per-host table of hotlink-protected CDNs names
//     (images.referers extends it), reset on every redirect hop;
//   - the SSRF guard of internal/netguard at dial time, redirects included;
//   - a time cap per attempt and a size cap on the body (the Content-Length
//     is checked before anything is read);
//   - sniffing of the bytes, never the upstream's Content-Type: only real
//     raster images pass (JPEG, PNG, GIF, WebP, AVIF); SVG, HTML and the
//     rest are refused;
//   - decompression-bomb checks: the dimensions are read from the image's
//     header (image.DecodeConfig, or the AVIF 'ispe' box) and checked
//     against a pixel cap, without decoding the pixels;
//   - optionally the fetcher's politeness: a per-host limit and retries
//     with backoff (honouring Retry-After) on transient failures.
//
// Fetch writes the body into a file the caller gives (the proxy's cache
// temp file, the mirror's temp file) and returns what it learnt about the
// image; failures are *Error with a Kind, a short public Reason and the
// full detail for the log.
package imagefetch

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/netguard"
	"github.com/feedpost/feedpost/internal/schedule"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout   = 15 * time.Second
	DefaultMaxBytes  = 20 << 20 // 20 MiB
	DefaultMaxPixels = 64_000_000
	DefaultUserAgent = "Mozilla/5.0 (compatible; feedpost-mediaproxy/1.0)"

	// MaxRedirects is how many redirects an upstream may answer with; every
	// hop goes through the SSRF guard again.
	MaxRedirects = 5
	// maxRetryAfter caps an honoured Retry-After.
	maxRetryAfter = 60 * time.Second
)

const headerAccept = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"

// Options configures a Downloader; the zero value is a guarded downloader
// with the defaults above.
type Options struct {
	// Timeout bounds one attempt: connect, redirects, headers and body.
	Timeout time.Duration
	// MaxBytes caps the body (default 20 MiB).
	MaxBytes int64
	// MaxPixels caps width × height as the image's header declares them
	// (default 64 megapixels): a 50,000 × 50,000 PNG of a few kilobytes
	// would need 10 GB to decode.
	MaxPixels int64
	// Referers maps a host ("mmbiz.qpic.cn") or a host pattern
	// ("*.sinaimg.cn", which also matches sinaimg.cn itself) to the Referer
	// sent upstream. It is merged over the built-in table; an empty value
	// means "send no Referer" for that host.
	Referers map[string]string
	// UserAgent sent upstream (default DefaultUserAgent).
	UserAgent string
	// AllowPrivate turns the SSRF guard off (images.allow_private: tests,
	// intranets).
	AllowPrivate bool
	// PerHost bounds the downloads in flight to one host (0: no bound).
	PerHost int
	// Retries is how many more attempts a transient failure (timeout,
	// network error, 429, 5xx) gets; 0 for the proxy, whose client waits.
	Retries int
	// Backoff is the wait before attempt+1 (default 1s, 2s, 4s… capped at
	// 30s, ±20% jitter); a Retry-After (capped at 60s) wins over it.
	Backoff func(attempt int) time.Duration

	// Guard holds the SSRF guard's hooks (Resolve, Dial, Allow) for tests;
	// its AllowPrivate is ORed with the one above.
	Guard netguard.Dialer
	// Transport replaces the whole network stack, SSRF guard included.
	// Tests use it to answer from memory; leave nil otherwise.
	Transport http.RoundTripper
}

// Downloader fetches images. It is safe for concurrent use; create it with
// New.
type Downloader struct {
	opt      Options
	referers map[string]string
	client   *http.Client

	mu    sync.Mutex
	hosts map[string]chan struct{} // per-host semaphores when PerHost > 0
}

// New checks opt and applies defaults.
func New(opt Options) (*Downloader, error) {
	referers, err := mergeReferers(opt.Referers)
	if err != nil {
		return nil, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = DefaultMaxPixels
	}
	if opt.UserAgent == "" {
		opt.UserAgent = DefaultUserAgent
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	}
	if opt.Backoff == nil {
		opt.Backoff = defaultBackoff
	}
	d := &Downloader{opt: opt, referers: referers, hosts: map[string]chan struct{}{}}
	transport := opt.Transport
	if transport == nil {
		guard := opt.Guard
		guard.AllowPrivate = guard.AllowPrivate || opt.AllowPrivate
		transport = &http.Transport{
			// No Proxy from the environment: the guard must see the
			// upstream's own address, not a proxy's.
			Proxy:                 nil,
			DialContext:           guard.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	d.client = &http.Client{Transport: transport, CheckRedirect: d.checkRedirect}
	return d, nil
}

// Close drops idle upstream connections. Downloads in flight go on.
func (d *Downloader) Close() error {
	d.client.CloseIdleConnections()
	return nil
}

// MaxBytes is the body cap in effect.
func (d *Downloader) MaxBytes() int64 { return d.opt.MaxBytes }

// Timeout is the per-attempt time cap in effect.
func (d *Downloader) Timeout() time.Duration { return d.opt.Timeout }

// Image is what Fetch learnt about a downloaded image.
type Image struct {
	URL           string    // final URL, after redirects
	Type          string    // sniffed: image/jpeg, image/png, image/gif, image/webp or image/avif
	Width, Height int       // from the image's header
	Size          int64     // bytes written to the file
	SHA256        [32]byte  // of those bytes (content addressing, ETags)
	Modified      time.Time // the upstream's Last-Modified in UTC; zero when absent or in the future
}

// Fetch downloads rawURL into dst, which must be empty, readable and
// writable (a fresh temporary file): the body is written from offset 0 and
// read back for the dimension check. dst is not synced, closed or removed:
// the caller decides whether it becomes a cache entry, a mirrored file or
// nothing. After a failure dst holds no meaningful bytes.
//
// ctx bounds the whole call, retries included; Timeout bounds each attempt.
// Every error is an *Error.
func (d *Downloader) Fetch(ctx context.Context, rawURL string, dst *os.File) (*Image, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Kind: KindBadURL, URL: rawURL, Err: errors.New("only absolute http(s) URLs can be fetched")}
	}
	if d.opt.PerHost > 0 {
		release, err := d.acquire(ctx, strings.ToLower(u.Host))
		if err != nil {
			return nil, &Error{Kind: KindCanceled, URL: rawURL, Err: err}
		}
		defer release()
	}
	for attempt := 1; ; attempt++ {
		img, retryAfter, err := d.attempt(ctx, rawURL, dst)
		if err == nil {
			return img, nil
		}
		if attempt > d.opt.Retries || !err.Transient() || ctx.Err() != nil {
			return nil, err
		}
		if _, serr := dst.Seek(0, io.SeekStart); serr != nil {
			return nil, &Error{Kind: KindLocal, URL: rawURL, Err: serr}
		}
		if terr := dst.Truncate(0); terr != nil {
			return nil, &Error{Kind: KindLocal, URL: rawURL, Err: terr}
		}
		wait := min(retryAfter, maxRetryAfter)
		if retryAfter < 0 {
			wait = d.opt.Backoff(attempt)
		}
		if schedule.Sleep(ctx, wait) != nil {
			return nil, err
		}
	}
}

// attempt is one download. retryAfter is the upstream's Retry-After on a
// 429/503, else -1.
func (d *Downloader) attempt(ctx context.Context, rawURL string, dst *os.File) (img *Image, retryAfter time.Duration, ferr *Error) {
	retryAfter = -1
	ctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	fail := func(kind Kind, err error) (*Image, time.Duration, *Error) {
		return nil, retryAfter, &Error{Kind: kind, URL: rawURL, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fail(KindBadURL, err)
	}
	req.Header.Set("Accept", headerAccept)
	req.Header.Set("User-Agent", d.opt.UserAgent)
	if ref := lookupReferer(d.referers, req.URL.Hostname()); ref != "" {
		req.Header.Set("Referer", ref)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fail(d.classify(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if ra, ok := fetch.RetryAfter(resp.Header, time.Now()); ok {
			retryAfter = ra
		}
		return nil, retryAfter, &Error{Kind: KindStatus, Status: resp.StatusCode, URL: rawURL,
			Err: fmt.Errorf("upstream answered %s", resp.Status)}
	}
	tooLarge := fmt.Errorf("image larger than %s", FormatSize(d.opt.MaxBytes))
	if resp.ContentLength > d.opt.MaxBytes {
		return fail(KindTooLarge, tooLarge) // don't download what would be thrown away
	}

	img, ferr = d.receive(rawURL, resp.Body, dst)
	if ferr != nil {
		return nil, retryAfter, ferr
	}
	img.URL = resp.Request.URL.String()
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil && !t.After(time.Now()) {
		img.Modified = t.UTC()
	}
	return img, retryAfter, nil
}

// receive copies an image body into dst and checks it: sniffed type, size
// cap, dimensions from the header and the pixel cap. It is the part of a
// download that does not depend on where the bytes come from.
func (d *Downloader) receive(rawURL string, body io.Reader, dst *os.File) (*Image, *Error) {
	fail := func(kind Kind, err error) (*Image, *Error) {
		return nil, &Error{Kind: kind, URL: rawURL, Err: err}
	}
	tooLarge := fmt.Errorf("image larger than %s", FormatSize(d.opt.MaxBytes))
	head := make([]byte, 512)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(d.classify(err))
	}
	head = head[:n]
	if n == 0 {
		return fail(KindNotImage, errors.New("upstream sent an empty body"))
	}
	ctype, err := sniff(head)
	if err != nil {
		return fail(KindNotImage, err)
	}

	sum := sha256.New()
	w := io.MultiWriter(dst, sum)
	if _, err := w.Write(head); err != nil {
		return fail(KindLocal, err)
	}
	rest, err := io.Copy(w, io.LimitReader(body, d.opt.MaxBytes-int64(n)+1))
	if err != nil {
		var pe *os.PathError // a failed write to our file, not to the network
		if errors.As(err, &pe) {
			return fail(KindLocal, err)
		}
		return fail(d.classify(err))
	}
	size := int64(n) + rest
	if size > d.opt.MaxBytes {
		return fail(KindTooLarge, tooLarge)
	}
	width, height, err := dimensions(ctype, io.NewSectionReader(dst, 0, size))
	if err != nil {
		return fail(KindNotImage, err)
	}
	if width <= 0 || height <= 0 {
		return fail(KindNotImage, fmt.Errorf("%s declares %d×%d pixels", ctype, width, height))
	}
	if int64(width)*int64(height) > d.opt.MaxPixels {
		return fail(KindTooManyPixels, fmt.Errorf("%s declares %d×%d pixels, over the cap of %d", ctype, width, height, d.opt.MaxPixels))
	}
	img := &Image{URL: rawURL, Type: ctype, Width: width, Height: height, Size: size}
	copy(img.SHA256[:], sum.Sum(nil))
	return img, nil
}

// ReadFile is Fetch for an image on the local disk: the same checks (a
// regular file, the size cap, sniffing, the pixel cap) on a file instead
// of a response. Only callers that know the operator named the file — an
// image of a feed the config reads from a local file — may call it; an
// image URL from a feed fetched over HTTP must never reach it.
func (d *Downloader) ReadFile(ctx context.Context, path string, dst *os.File) (*Image, error) {
	name := (&url.URL{Scheme: "file", Path: path}).String()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: KindCanceled, URL: name, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Kind: KindStatus, Status: http.StatusNotFound, URL: name, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, &Error{Kind: KindNotImage, URL: name, Err: errors.New("not a regular file")}
	}
	if fi.Size() > d.opt.MaxBytes {
		return nil, &Error{Kind: KindTooLarge, URL: name, Err: fmt.Errorf("image larger than %s", FormatSize(d.opt.MaxBytes))}
	}
	img, ferr := d.receive(name, f, dst)
	if ferr != nil {
		return nil, ferr
	}
	img.Modified = fi.ModTime().UTC()
	return img, nil
}

var errTooManyRedirects = fmt.Errorf("upstream redirected more than %d times", MaxRedirects)

// checkRedirect caps the redirect chain and resets the Referer for each hop:
// net/http would otherwise send the previous URL as Referer, which is just
// what hotlink protection looks at. The new address is checked by the
// guarded dialer when the hop connects.
func (d *Downloader) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return errTooManyRedirects
	}
	req.Header.Del("Referer")
	if ref := lookupReferer(d.referers, req.URL.Hostname()); ref != "" {
		req.Header.Set("Referer", ref)
	}
	return nil
}

// classify sorts a client or body-read error.
func (d *Downloader) classify(err error) (Kind, error) {
	var blocked *netguard.BlockedError
	var netErr net.Error
	switch {
	case errors.As(err, &blocked):
		return KindBlocked, blocked
	case errors.Is(err, errTooManyRedirects):
		return KindNetwork, errTooManyRedirects
	case errors.Is(err, context.Canceled):
		return KindCanceled, err
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return KindTimeout, fmt.Errorf("timed out after %v", d.opt.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is in Error.URL already
	}
	return KindNetwork, err
}

// acquire takes a slot of host's semaphore.
func (d *Downloader) acquire(ctx context.Context, host string) (func(), error) {
	d.mu.Lock()
	sem, ok := d.hosts[host]
	if !ok {
		sem = make(chan struct{}, d.opt.PerHost)
		d.hosts[host] = sem
	}
	d.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// defaultBackoff is 1s·2^(attempt-1), capped at 30s, ±20% jitter.
func defaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	if attempt >= 1 && attempt <= 5 {
		d = min(time.Second<<(attempt-1), d)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Kind is the class of a failed download.
type Kind int

// The kinds of failure. Each has a short public reason (Error.Reason).
const (
	KindBadURL        Kind = iota + 1 // not an absolute http(s) URL
	KindBlocked                       // the SSRF guard refused the address
	KindStatus                        // the upstream answered something else than 200 (Error.Status)
	KindNotImage                      // not a JPEG, PNG, GIF, WebP or AVIF (or empty, or a broken header)
	KindTooLarge                      // more bytes than MaxBytes
	KindTooManyPixels                 // more pixels than MaxPixels
	KindTimeout                       // an attempt took longer than Timeout
	KindNetwork                       // DNS, refused, reset, TLS, too many redirects
	KindCanceled                      // the caller's context ended
	KindLocal                         // writing or reading the destination file failed
)

// Error is every error Fetch returns. Error() is the full story for the
// log (URL, addresses, dial errors); Reason() is what a client may see.
type Error struct {
	Kind   Kind
	Status int // the upstream's status for KindStatus
	URL    string
	Err    error
}

func (e *Error) Error() string {
	return "image " + fetch.Redact(e.URL) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Reason is a short public description that names no address: "upstream
// 404", "not an image", "too large", "address not allowed", …
func (e *Error) Reason() string {
	switch e.Kind {
	case KindBadURL:
		return "invalid image URL"
	case KindBlocked:
		return "address not allowed"
	case KindStatus:
		return fmt.Sprintf("upstream %d", e.Status)
	case KindNotImage:
		return "not an image"
	case KindTooLarge:
		return "too large"
	case KindTooManyPixels:
		return "too many pixels"
	case KindTimeout:
		return "upstream timeout"
	case KindNetwork:
		return "upstream unreachable"
	case KindCanceled:
		return "canceled"
	}
	return "internal error"
}

// Transient reports whether the failure may go away by itself: timeouts,
// network errors (not a host that does not exist), 429 and 5xx.
func (e *Error) Transient() bool {
	switch e.Kind {
	case KindTimeout:
		return true
	case KindStatus:
		return e.Status == http.StatusTooManyRequests || e.Status >= 500
	case KindNetwork:
		var dns *net.DNSError
		if errors.As(e.Err, &dns) {
			return !dns.IsNotFound
		}
		return !errors.Is(e.Err, errTooManyRedirects)
	}
	return false
}

// FormatSize writes a byte count for people: "20 MiB", "1000 bytes".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
