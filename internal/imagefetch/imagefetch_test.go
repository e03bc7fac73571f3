package imagefetch

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/imagetest"
	"github.com/feedpost/feedpost/internal/netguard"
)

func TestNewErrors(t *testing.T) {
	for name, refs := range map[string]map[string]string{
		"bad pattern":     {"https://x.com/": "https://x.com/"},
		"double wildcard": {"*.*.x.com": "https://x.com/"},
		"relative value":  {"x.com": "x.com"},
	} {
		if _, err := New(Options{Referers: refs}); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestFetch(t *testing.T) {
	lastMod := time.Date(2021, 8, 17, 6, 56, 6, 0, time.UTC)
	images := map[string][]byte{
		"/a.png":  imagetest.Encode(t, "png", 40, 30, 1),
		"/b.jpg":  imagetest.Encode(t, "jpeg", 41, 29, 2),
		"/c.gif":  imagetest.Encode(t, "gif", 10, 11, 3),
		"/d.webp": imagetest.WebP(64, 48),
		"/e.avif": imagetest.AVIF(320, 200),
	}
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/a.png", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html") // a lying type: the bytes decide
		w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
		w.Write(images[r.URL.Path])
	})
	d := newDownloader(t, Options{AllowPrivate: true})
	for path, want := range map[string]struct {
		ctype string
		w, h  int
	}{
		"/a.png": {"image/png", 40, 30}, "/b.jpg": {"image/jpeg", 41, 29}, "/c.gif": {"image/gif", 10, 11},
		"/d.webp": {"image/webp", 64, 48}, "/e.avif": {"image/avif", 320, 200},
	} {
		img, body, err := fetchBytes(t, d, up.URL+path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if string(body) != string(images[path]) {
			t.Errorf("%s: the file differs from the upstream bytes", path)
		}
		if img.Type != want.ctype || img.Width != want.w || img.Height != want.h || img.Size != int64(len(body)) ||
			img.SHA256 != sha256.Sum256(body) || !img.Modified.Equal(lastMod) || img.URL != up.URL+path {
			t.Errorf("%s: %+v, want %s %d×%d", path, img, want.ctype, want.w, want.h)
		}
	}
	img, _, err := fetchBytes(t, d, up.URL+"/moved")
	if err != nil || img.URL != up.URL+"/a.png" {
		t.Errorf("redirect: %+v, %v; want the final URL", img, err)
	}
}

func TestFetchFailures(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body>hotlinking forbidden</body></html>")
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	png := imagetest.Encode(t, "png", 8, 8, 1)
	hang := make(chan struct{})
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/hop/%d", &n); err == nil && n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		switch r.URL.Path {
		case "/hop/0":
			w.Write(png)
		case "/page.png":
			imagetest.Serve(html, "image/png")(w, r)
		case "/logo.svg":
			imagetest.Serve(svg, "image/svg+xml")(w, r)
		case "/empty":
			w.Header().Set("Content-Type", "image/png")
		case "/missing":
			http.NotFound(w, r)
		case "/broken":
			http.Error(w, "oops", http.StatusInternalServerError)
		case "/forbidden":
			http.Error(w, "no hotlinking", http.StatusForbidden)
		case "/bad-header": // a PNG signature with a broken header
			b := append([]byte(nil), png...)
			b[20] ^= 0xff
			w.Write(b)
		case "/big":
			w.Write(append(append([]byte(nil), png...), make([]byte, 8192)...))
		case "/big-chunked": // no Content-Length: the cap must cut the stream
			big := append(append([]byte(nil), png...), make([]byte, 8192)...)
			for i := 0; i < len(big); i += 1000 {
				w.Write(big[i:min(i+1000, len(big))])
				w.(http.Flusher).Flush()
			}
		case "/hang":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png[:100])
			w.(http.Flusher).Flush()
			<-hang // never finishes: the timeout must end it
		}
	})
	t.Cleanup(func() { close(hang) }) // before up.Close, which waits for handlers
	d := newDownloader(t, Options{AllowPrivate: true, Timeout: 300 * time.Millisecond, MaxBytes: 4096})
	for _, tc := range []struct {
		path   string
		kind   Kind
		reason string
		detail string
	}{
		{"/page.png", KindNotImage, "not an image", "not an image: text/html"},
		{"/logo.svg", KindNotImage, "not an image", "SVG"},
		{"/empty", KindNotImage, "not an image", "empty body"},
		{"/bad-header", KindNotImage, "not an image", "broken image/png header"},
		{"/missing", KindStatus, "upstream 404", "404 Not Found"},
		{"/broken", KindStatus, "upstream 500", "500 Internal Server Error"},
		{"/forbidden", KindStatus, "upstream 403", "403 Forbidden"},
		{"/big", KindTooLarge, "too large", "larger than 4 KiB"},
		{"/big-chunked", KindTooLarge, "too large", "larger than 4 KiB"},
		{"/hang", KindTimeout, "upstream timeout", "timed out after 300ms"},
		{"/hop/6", KindNetwork, "upstream unreachable", "redirected more than 5 times"},
	} {
		_, _, err := fetchBytes(t, d, up.URL+tc.path)
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind || e.Reason() != tc.reason || !strings.Contains(err.Error(), tc.detail) {
			t.Errorf("%s: %v (%#v), want kind %d, reason %q, detail %q", tc.path, err, e, tc.kind, tc.reason, tc.detail)
			continue
		}
		if strings.Contains(e.Reason(), "127.0.0.1") {
			t.Errorf("%s: the public reason names an address: %q", tc.path, e.Reason())
		}
	}
	if _, _, err := fetchBytes(t, d, up.URL+"/hop/5"); err != nil {
		t.Errorf("5 redirects: %v", err)
	}
	for _, raw := range []string{"file:///etc/passwd", "/a.png", "javascript:alert(1)", "http:///x"} {
		var e *Error
		if _, _, err := fetchBytes(t, d, raw); !errors.As(err, &e) || e.Kind != KindBadURL {
			t.Errorf("%s: %v, want KindBadURL", raw, err)
		}
	}
}

// TestPixelCap: an image whose header declares 50,000 × 50,000 pixels is
// refused, whatever its format, before anything decodes it.
func TestPixelCap(t *testing.T) {
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		format, size, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		var wd, ht int
		fmt.Sscanf(size, "%dx%d", &wd, &ht)
		w.Write(imagetest.Bomb(t, format, wd, ht))
	})
	d := newDownloader(t, Options{AllowPrivate: true})
	for _, format := range []string{"png", "jpeg", "gif", "webp", "avif"} {
		_, _, err := fetchBytes(t, d, up.URL+"/"+format+"/50000x50000")
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s 50000×50000: %v, want a refusal", format, err)
			continue
		}
		// WebP's header format itself forbids more than 2^31 pixels: the
		// decoder calls such a header broken.
		if format == "webp" && e.Kind == KindNotImage {
			continue
		}
		if e.Kind != KindTooManyPixels || e.Reason() != "too many pixels" || !strings.Contains(err.Error(), "50000×50000") {
			t.Errorf("%s 50000×50000: %v (kind %d), want too many pixels", format, err, e.Kind)
		}
	}
	var e *Error
	if _, _, err := fetchBytes(t, d, up.URL+"/webp/40000x40000"); !errors.As(err, &e) || e.Kind != KindTooManyPixels {
		t.Errorf("webp 40000×40000: %v, want too many pixels", err)
	}
	// The same formats at a sane size pass; the cap is configurable.
	for _, format := range []string{"png", "jpeg", "gif", "webp", "avif"} {
		if _, _, err := fetchBytes(t, d, up.URL+"/"+format+"/4000x3000"); err != nil {
			t.Errorf("%s 4000×3000: %v", format, err)
		}
	}
	small := newDownloader(t, Options{AllowPrivate: true, MaxPixels: 1000})
	if _, _, err := fetchBytes(t, small, up.URL+"/png/40x30"); !errors.As(err, &e) || e.Kind != KindTooManyPixels {
		t.Errorf("MaxPixels 1000, 40×30 PNG: %v, want too many pixels", err)
	}
}

func TestRetriesAndPerHost(t *testing.T) {
	png := imagetest.Encode(t, "png", 8, 8, 1)
	var inFlight, peak atomic.Int32
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		w.Write(png)
	})
	var calls atomic.Int32
	flaky := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			http.Error(w, "busy", http.StatusTooManyRequests)
		default:
			w.Write(png)
		}
	})
	var waits []time.Duration
	var mu sync.Mutex
	d := newDownloader(t, Options{AllowPrivate: true, Retries: 2, PerHost: 2, Backoff: func(n int) time.Duration {
		mu.Lock()
		waits = append(waits, time.Duration(n)*time.Millisecond)
		mu.Unlock()
		return time.Millisecond
	}})
	if _, _, err := fetchBytes(t, d, flaky.URL+"/a.png"); err != nil {
		t.Fatalf("after a 503 and a 429: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("flaky upstream asked %d times, want 3", n)
	}
	if len(waits) != 1 {
		t.Errorf("backoff asked %d times, want 1 (the 503 came with Retry-After)", len(waits))
	}
	// A 404 is not retried.
	calls.Store(0)
	missing := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1); http.NotFound(w, r) })
	if _, _, err := fetchBytes(t, d, missing.URL+"/a.png"); err == nil || calls.Load() != 1 {
		t.Errorf("404: %v after %d requests, want an error after 1", err, calls.Load())
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, _, err := fetchBytes(t, d, fmt.Sprintf("%s/%d.png", up.URL, i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Errorf("%d downloads at once from one host, want at most PerHost = 2", p)
	}
}

// recordingDialer records every address it is asked to connect to.
type recordingDialer struct {
	mu    sync.Mutex
	addrs []string
}

func (d *recordingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// TestGuardOnRedirects runs the real guarded dialer with a made-up DNS:
// img.example.com resolves to a loopback server that the test lets through
// (as if it were public); every redirect it answers with to a private,
// loopback or metadata address, by IP or by a name resolving to one, must be
// refused before any connection is attempted. A second loopback server
// stands for a private host and must never see a request.
func TestGuardOnRedirects(t *testing.T) {
	img := imagetest.Encode(t, "png", 8, 8, 1)
	private := imagetest.NewUpstream(t, imagetest.Serve(img, "image/png"))
	public := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		imagetest.Serve(img, "image/png")(w, r)
	})
	publicAddr := netip.MustParseAddrPort(public.Listener.Addr().String())
	privatePort := netip.MustParseAddrPort(private.Listener.Addr().String()).Port()
	hosts := map[string][]netip.Addr{
		"img.example.com":    {publicAddr.Addr()},
		"mixed.example.com":  {netip.MustParseAddr("10.0.0.1"), publicAddr.Addr()},
		"rebind.example.com": {netip.MustParseAddr("10.0.0.1")},
		"meta.example.com":   {netip.MustParseAddr("169.254.169.254")},
		"localhost":          {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
	}
	rec := &recordingDialer{}
	d := newDownloader(t, Options{Guard: netguard.Dialer{
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if ips, ok := hosts[host]; ok {
				return ips, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		Dial:  rec.dial,
		Allow: func(ap netip.AddrPort) bool { return ap == publicAddr },
	}})

	start := fmt.Sprintf("http://img.example.com:%d/a.png", publicAddr.Port())
	via := func(to string) string { return start + "?to=" + url.QueryEscape(to) }
	pp := fmt.Sprint(privatePort)
	for _, tc := range []struct {
		rawURL string
		kind   Kind // 0: fetched
		detail string
	}{
		{start, 0, ""},
		{fmt.Sprintf("http://mixed.example.com:%d/a.png", publicAddr.Port()), 0, ""},
		{via("http://127.0.0.1:" + pp + "/a.png"), KindBlocked, "127.0.0.1 is loopback"},
		{via("http://localhost:" + pp + "/a.png"), KindBlocked, "localhost resolves to 127.0.0.1, which is loopback"},
		{via("http://[::1]:" + pp + "/a.png"), KindBlocked, "::1 is loopback"},
		{via("http://[::ffff:127.0.0.1]:" + pp + "/a.png"), KindBlocked, "127.0.0.1 is loopback"},
		{via("http://0.0.0.0:" + pp + "/a.png"), KindBlocked, "0.0.0.0 is unspecified"},
		{via("http://10.0.0.1/a.png"), KindBlocked, "10.0.0.1 is private"},
		{via("http://rebind.example.com/a.png"), KindBlocked, "10.0.0.1, which is private"},
		{via("http://169.254.169.254/latest/meta-data/"), KindBlocked, "169.254.169.254 is link-local (cloud metadata)"},
		{via("http://meta.example.com/latest/meta-data/"), KindBlocked, "link-local (cloud metadata)"},
		{via("http://100.100.100.200/"), KindBlocked, "carrier-grade NAT"},
		{"http://127.0.0.1:" + pp + "/a.png", KindBlocked, "127.0.0.1 is loopback"},
		{"http://rebind.example.com/a.png", KindBlocked, "10.0.0.1, which is private"},
		{"http://nowhere.example.com/a.png", KindNetwork, "nowhere.example.com"},
	} {
		_, _, err := fetchBytes(t, d, tc.rawURL)
		var e *Error
		switch {
		case tc.kind == 0 && err != nil:
			t.Errorf("%s: %v", tc.rawURL, err)
		case tc.kind != 0 && (!errors.As(err, &e) || e.Kind != tc.kind || !strings.Contains(err.Error(), tc.detail)):
			t.Errorf("%s: %v, want kind %d with %q", tc.rawURL, err, tc.kind, tc.detail)
		case tc.kind == KindBlocked && e.Reason() != "address not allowed":
			t.Errorf("%s: reason %q", tc.rawURL, e.Reason())
		}
	}
	if len(rec.addrs) == 0 {
		t.Fatal("the recording dialer was never used: the test proves nothing")
	}
	for _, a := range rec.addrs {
		if a != publicAddr.String() {
			t.Errorf("the guard let the dialer be asked for %s", a)
		}
	}
	if n := private.Hits.Load(); n != 0 {
		t.Errorf("the private server received %d requests", n)
	}
}

// TestGuardDefault checks the production configuration (no hooks): a
// loopback upstream is refused without being contacted.
func TestGuardDefault(t *testing.T) {
	up := imagetest.NewUpstream(t, imagetest.Serve(imagetest.Encode(t, "png", 8, 8, 1), "image/png"))
	d := newDownloader(t, Options{})
	var e *Error
	if _, _, err := fetchBytes(t, d, up.URL+"/a.png"); !errors.As(err, &e) || e.Kind != KindBlocked {
		t.Errorf("loopback upstream: %v, want KindBlocked", err)
	}
	if n := up.Hits.Load(); n != 0 {
		t.Errorf("the loopback upstream received %d requests", n)
	}
	if _, _, err := fetchBytes(t, newDownloader(t, Options{AllowPrivate: true}), up.URL+"/a.png"); err != nil {
		t.Errorf("with AllowPrivate: %v", err)
	}
}

// TestFetchTruncatesBetweenAttempts: a retried download leaves only the
// last attempt's bytes in the file.
func TestFetchTruncatesBetweenAttempts(t *testing.T) {
	png := imagetest.Encode(t, "png", 8, 8, 1)
	var calls atomic.Int32
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", fmt.Sprint(len(png)+1000))
			w.Write(png) // then the connection is cut: a network error mid-body
			return
		}
		w.Write(png)
	})
	d := newDownloader(t, Options{AllowPrivate: true, Retries: 1, Backoff: func(int) time.Duration { return 0 }})
	f, err := os.CreateTemp(t.TempDir(), "img")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := d.Fetch(context.Background(), up.URL+"/a.png", f)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	if calls.Load() != 2 || info.Size() != int64(len(png)) || img.Size != int64(len(png)) {
		t.Errorf("%d calls, file of %d bytes, image of %d; want 2 calls and %d bytes", calls.Load(), info.Size(), img.Size, len(png))
	}
}
