package mediaproxy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/feedpost/feedpost/internal/imagetest"
)

func TestSignAndURL(t *testing.T) {
	const raw = "http://wx1.sinaimg.cn/large/abc.jpg?x=1&y=中"
	sig := Sign(testSecret, raw)
	if len(sig) != 43 || strings.ContainsAny(sig, "+/=") {
		t.Errorf("Sign = %q, want 43 unpadded base64url characters", sig)
	}
	if Sign(testSecret, raw) != sig {
		t.Error("Sign is not deterministic")
	}
	if Sign([]byte("other"), raw) == sig || Sign(testSecret, raw+"x") == sig {
		t.Error("signature does not depend on secret and URL")
	}
	enc := base64.RawURLEncoding.EncodeToString([]byte(raw))
	for _, tc := range []struct{ base, want string }{
		{"", "/img/" + sig + "/" + enc},
		{"https://news.example.com", "https://news.example.com/img/" + sig + "/" + enc},
		{"https://news.example.com/", "https://news.example.com/img/" + sig + "/" + enc},
		{"https://example.com/feeds", "https://example.com/feeds/img/" + sig + "/" + enc},
	} {
		if got := URL(tc.base, testSecret, raw); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for name, opt := range map[string]Options{
		"no secret":       {},
		"bad pattern":     {Secret: testSecret, Referers: map[string]string{"https://x.com/": "https://x.com/"}},
		"double wildcard": {Secret: testSecret, Referers: map[string]string{"*.*.x.com": "https://x.com/"}},
		"relative value":  {Secret: testSecret, Referers: map[string]string{"x.com": "x.com"}},
	} {
		if _, err := New(opt); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestServeImage(t *testing.T) {
	lastMod := time.Date(2021, 8, 17, 6, 56, 6, 0, time.UTC)
	images := map[string][]byte{
		"/a.png": imagetest.Encode(t, "png", 40, 30, 1),
		"/b.jpg": imagetest.Encode(t, "jpeg", 40, 30, 2),
		"/c.gif": imagetest.Encode(t, "gif", 10, 10, 3),
	}
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		// A lying Content-Type: the proxy must sniff the bytes.
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
		w.Write(images[r.URL.Path])
	})
	for _, cache := range []bool{true, false} {
		opt := Options{AllowPrivate: true}
		if cache {
			opt.CacheDir = t.TempDir()
		}
		p := newProxy(t, opt)
		for path, want := range map[string]string{"/a.png": "image/png", "/b.jpg": "image/jpeg", "/c.gif": "image/gif"} {
			name := fmt.Sprintf("cache=%v%s", cache, path)
			w := get(p, up.URL+path)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", name, w.Code, w.Body)
			}
			if !bytes.Equal(w.Body.Bytes(), images[path]) {
				t.Errorf("%s: body differs from the upstream image", name)
			}
			h := w.Header()
			for k, v := range map[string]string{
				"Content-Type":                want,
				"Content-Length":              strconv.Itoa(len(images[path])),
				"Cache-Control":               "public, max-age=2592000, immutable",
				"Last-Modified":               lastMod.Format(http.TimeFormat),
				"X-Content-Type-Options":      "nosniff",
				"Content-Security-Policy":     "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
				"Access-Control-Allow-Origin": "*",
				"Referrer-Policy":             "no-referrer",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", name, k, got, v)
				}
			}
			if etag := h.Get("ETag"); len(etag) != 34 || etag[0] != '"' || etag[33] != '"' {
				t.Errorf("%s: ETag = %q, want a strong 32-hex-digit tag", name, etag)
			}
		}
	}

	// HEAD gets the headers and no body.
	p := newProxy(t, Options{AllowPrivate: true})
	w := request(p, http.MethodHead, up.URL+"/a.png", nil)
	if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Type") != "image/png" {
		t.Errorf("HEAD: status %d, %d body bytes, type %q", w.Code, w.Body.Len(), w.Header().Get("Content-Type"))
	}
	// Other methods are refused.
	if w := request(p, http.MethodPost, up.URL+"/a.png", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
}

func TestRequestErrors(t *testing.T) {
	img := imagetest.Encode(t, "png", 8, 8, 1)
	up := imagetest.NewUpstream(t, imagetest.Serve(img, "image/png"))
	p := newProxy(t, Options{AllowPrivate: true})
	good := up.URL + "/a.png"
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	for _, tc := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"missing signature", "/img/" + enc(good), 403, "invalid signature"},
		{"empty signature", "/img//" + enc(good), 403, "invalid signature"},
		{"wrong secret", URL("", []byte("not the secret"), good), 403, "invalid signature"},
		{"signature of another URL", "/img/" + Sign(testSecret, good+"?x") + "/" + enc(good), 403, "invalid signature"},
		{"garbage signature", "/img/!!!/" + enc(good), 403, "invalid signature"},
		{"bad base64", "/img/" + Sign(testSecret, good) + "/a+b.c", 400, "not base64url"},
		{"extra segment", URL("", testSecret, good) + "/x", 400, "not base64url"},
		{"file URL", URL("", testSecret, "file:///etc/passwd"), 400, "only absolute http(s)"},
		{"javascript URL", URL("", testSecret, "javascript:alert(1)"), 400, "only absolute http(s)"},
		{"relative URL", URL("", testSecret, "/a.png"), 400, "only absolute http(s)"},
	} {
		w := requestPath(p, http.MethodGet, tc.path, nil)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, w.Code, w.Body, tc.status, tc.body)
		}
	}
	if n := up.Hits.Load(); n != 0 {
		t.Errorf("upstream saw %d requests for refused proxy requests", n)
	}

	// The same URL, properly signed, works, under any mount prefix and
	// with padding; with http.StripPrefix("/img") too.
	sig := Sign(testSecret, good)
	for _, path := range []string{
		URL("", testSecret, good),
		"/prefix" + URL("", testSecret, good),
		"/img/" + sig + "=/" + base64.URLEncoding.EncodeToString([]byte(good)),
		"/" + sig + "/" + enc(good),
	} {
		if w := requestPath(p, http.MethodGet, path, nil); w.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", path, w.Code, w.Body)
		}
	}
}

func TestUpstreamFailures(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body>hotlinking forbidden</body></html>")
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	png := imagetest.Encode(t, "png", 8, 8, 1)
	hang := make(chan struct{})
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page.png":
			imagetest.Serve(html, "image/png")(w, r) // an image by its header only
		case "/logo.svg":
			imagetest.Serve(svg, "image/svg+xml")(w, r)
		case "/pdf":
			imagetest.Serve([]byte("%PDF-1.4 ..."), "image/jpeg")(w, r)
		case "/empty":
			w.Header().Set("Content-Type", "image/png")
		case "/missing":
			http.NotFound(w, r)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/broken":
			http.Error(w, "oops", http.StatusInternalServerError)
		case "/forbidden":
			http.Error(w, "no hotlinking", http.StatusForbidden)
		case "/hang":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png[:100])
			w.(http.Flusher).Flush()
			<-hang // never finishes: the proxy's timeout must end it
		}
	})
	t.Cleanup(func() { close(hang) }) // runs before up.Close, which waits for handlers
	var log bytes.Buffer
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir(), Timeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	for _, tc := range []struct {
		path   string
		status int
		body   string
		maxAge int    // seconds the failure is remembered
		logged string // the detail that only the log gets
	}{
		{"/page.png", 415, "not an image", 3600, "not an image: text/html"},
		{"/logo.svg", 415, "not an image", 3600, "SVG"},
		{"/pdf", 415, "not an image", 3600, "not an image: application/pdf"},
		{"/empty", 415, "not an image", 3600, "empty body"},
		{"/missing", 404, "upstream 404", 3600, "404 Not Found"},
		{"/gone", 404, "upstream 410", 3600, "410 Gone"},
		{"/broken", 502, "upstream 500", 60, "500 Internal Server Error"},
		{"/forbidden", 502, "upstream 403", 60, "403 Forbidden"},
		{"/hang", 504, "upstream timeout", 60, "timed out after 200ms"},
	} {
		log.Reset()
		w := get(p, up.URL+tc.path)
		if w.Code != tc.status || w.Body.String() != tc.body+"\n" {
			t.Errorf("%s: %d %q, want %d %q", tc.path, w.Code, w.Body, tc.status, tc.body)
		}
		if want := fmt.Sprintf("public, max-age=%d", tc.maxAge); w.Header().Get("Cache-Control") != want {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, w.Header().Get("Cache-Control"), want)
		}
		if !strings.Contains(log.String(), tc.logged) || !strings.Contains(log.String(), up.URL+tc.path) {
			t.Errorf("%s: the log lacks %q and the URL:\n%s", tc.path, tc.logged, log.String())
		}
		// Remembered: asking again does not ask upstream again.
		before := up.Count(tc.path)
		if w := get(p, up.URL+tc.path); w.Code != tc.status {
			t.Errorf("%s again: %d, want %d", tc.path, w.Code, tc.status)
		}
		if n := up.Count(tc.path); n != before {
			t.Errorf("%s: a remembered failure was fetched again", tc.path)
		}
	}
	if files := cacheFiles(t, p.cache.dir); len(files) != 0 {
		t.Errorf("failed fetches left cache files: %v", files)
	}
}

// TestNegativeCache: 100 requests for an upstream 404 make one upstream
// request; the failure's max-age counts down, and once it is over the
// upstream is asked again (and a 5xx is remembered for a minute only).
func TestNegativeCache(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusNotFound)
	img := imagetest.Encode(t, "png", 8, 8, 1)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if s := int(status.Load()); s != 200 {
			w.WriteHeader(s)
			return
		}
		w.Write(img)
	})
	m, _ := NewMetrics(nil)
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir(), Metrics: m})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.failures.now = func() time.Time { return now }
	raw := up.URL + "/gone.jpg"
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if w := get(p, raw); w.Code != http.StatusNotFound || w.Body.String() != "upstream 404\n" {
				t.Errorf("status %d %q, want 404", w.Code, w.Body)
			}
		})
	}
	wg.Wait()
	if n := up.Hits.Load(); n != 1 {
		t.Errorf("100 requests for a 404 made %d upstream requests, want 1", n)
	}
	if n := testutil.ToFloat64(m.Requests.WithLabelValues("upstream_not_found")); n != 100 {
		t.Errorf("upstream_not_found counter = %v, want 100", n)
	}
	now = now.Add(59*time.Minute + 30*time.Second)
	if w := get(p, raw); w.Header().Get("Cache-Control") != "public, max-age=30" {
		t.Errorf("after 59m30s: Cache-Control %q, want the 30s left", w.Header().Get("Cache-Control"))
	}
	now = now.Add(31 * time.Second)
	status.Store(http.StatusServiceUnavailable)
	if w := get(p, raw); w.Code != http.StatusBadGateway || w.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("after an hour, upstream 503: %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
	}
	if n := up.Hits.Load(); n != 2 {
		t.Errorf("upstream asked %d times, want 2", n)
	}
	now = now.Add(61 * time.Second)
	status.Store(http.StatusOK)
	if w := get(p, raw); w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), img) {
		t.Errorf("a minute after the 503, upstream fine: %d", w.Code)
	}
}

func TestOversize(t *testing.T) {
	const max = 4096
	small := imagetest.Encode(t, "png", 8, 8, 1)
	big := append(imagetest.Encode(t, "png", 8, 8, 2), make([]byte, 2*max)...) // a PNG by its first bytes
	exact := append(append([]byte{}, small...), make([]byte, max-len(small))...)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		switch r.URL.Path {
		case "/big-with-length":
			w.Write(big)
		case "/big-chunked": // no Content-Length: the cap must cut the stream
			for i := 0; i < len(big); i += 1000 {
				w.Write(big[i:min(i+1000, len(big))])
				w.(http.Flusher).Flush()
			}
		case "/exact":
			w.Write(exact)
		}
	})
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir(), MaxBytes: max})
	for _, path := range []string{"/big-with-length", "/big-chunked"} {
		w := get(p, up.URL+path)
		if w.Code != http.StatusBadGateway || w.Body.String() != "too large\n" {
			t.Errorf("%s: %d %q, want 502 naming the size cap", path, w.Code, w.Body)
		}
	}
	if w := get(p, up.URL+"/exact"); w.Code != http.StatusOK || w.Body.Len() != max {
		t.Errorf("image of exactly MaxBytes: %d with %d bytes, want 200 with %d", w.Code, w.Body.Len(), max)
	}
	if files := cacheFiles(t, p.cache.dir); len(files) != 1 {
		t.Errorf("cache holds %d files, want only the accepted image", len(files))
	}
}

func TestRedirects(t *testing.T) {
	img := imagetest.Encode(t, "png", 8, 8, 1)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/hop/%d", &n); err == nil && n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		imagetest.Serve(img, "image/png")(w, r)
	})
	p := newProxy(t, Options{AllowPrivate: true})
	if w := get(p, up.URL+"/hop/5"); w.Code != http.StatusOK {
		t.Errorf("5 redirects: status %d: %s", w.Code, w.Body)
	}
	if w := get(p, up.URL+"/hop/6"); w.Code != http.StatusBadGateway || w.Body.String() != "upstream unreachable\n" {
		t.Errorf("6 redirects: %d %q, want 502", w.Code, w.Body)
	}
}

func TestCacheHitAndRestart(t *testing.T) {
	img := imagetest.Encode(t, "png", 30, 30, 7)
	up := imagetest.NewUpstream(t, imagetest.Serve(img, "image/png"))
	dir := t.TempDir()
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: dir, Metrics: m})
	first := get(p, up.URL+"/a.png")
	second := get(p, up.URL+"/a.png")
	if first.Code != 200 || second.Code != 200 {
		t.Fatalf("status %d then %d", first.Code, second.Code)
	}
	if n := up.Hits.Load(); n != 1 {
		t.Errorf("upstream saw %d requests, want 1 (the second must be a cache hit)", n)
	}
	if hits := testutil.ToFloat64(m.Requests.WithLabelValues("hit")); hits != 1 {
		t.Errorf("hit counter = %v, want 1", hits)
	}
	if !bytes.Equal(second.Body.Bytes(), img) || second.Header().Get("ETag") != first.Header().Get("ETag") ||
		second.Header().Get("Last-Modified") != first.Header().Get("Last-Modified") {
		t.Error("cached answer differs from the first one")
	}

	// A new Proxy on the same folder (a restart) serves from the disk cache.
	p2 := newProxy(t, Options{AllowPrivate: true, CacheDir: dir})
	third := get(p2, up.URL+"/a.png")
	if third.Code != 200 || !bytes.Equal(third.Body.Bytes(), img) || third.Header().Get("ETag") != first.Header().Get("ETag") ||
		third.Header().Get("Content-Type") != "image/png" {
		t.Errorf("after restart: %d, same body %v, ETag %q", third.Code, bytes.Equal(third.Body.Bytes(), img), third.Header().Get("ETag"))
	}
	if n := up.Hits.Load(); n != 1 {
		t.Errorf("upstream saw %d requests after restart, want 1", n)
	}
}

func TestCorruptCacheFileIsRefetched(t *testing.T) {
	img := imagetest.Encode(t, "png", 30, 30, 7)
	up := imagetest.NewUpstream(t, imagetest.Serve(img, "image/png"))
	dir := t.TempDir()
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: dir})
	get(p, up.URL+"/a.png")
	files := cacheFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("cache holds %v", files)
	}
	if err := os.Truncate(files[0], 100); err != nil { // a torn write
		t.Fatal(err)
	}
	p2 := newProxy(t, Options{AllowPrivate: true, CacheDir: dir})
	w := get(p2, up.URL+"/a.png")
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), img) {
		t.Errorf("after corruption: %d, %d bytes", w.Code, w.Body.Len())
	}
	if n := up.Hits.Load(); n != 2 {
		t.Errorf("upstream saw %d requests, want 2 (the corrupt file refetched)", n)
	}
}

func TestConditionalRequests(t *testing.T) {
	img := imagetest.Encode(t, "png", 30, 30, 7)
	lastMod := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	up := lastModified(t, img, lastMod)
	for _, cache := range []bool{true, false} {
		p, m := proxyWith(t, cache)
		etag := get(p, up.URL+"/a.png").Header().Get("ETag")
		for _, tc := range []struct {
			name   string
			hdr    http.Header
			status int
		}{
			{"matching If-None-Match", http.Header{"If-None-Match": {etag}}, 304},
			{"one of several", http.Header{"If-None-Match": {`"nope", ` + etag}}, 304},
			{"other ETag", http.Header{"If-None-Match": {`"0123"`}}, 200},
			{"If-Modified-Since = Last-Modified", http.Header{"If-Modified-Since": {lastMod.Format(http.TimeFormat)}}, 304},
			{"If-Modified-Since before", http.Header{"If-Modified-Since": {lastMod.Add(-time.Hour).Format(http.TimeFormat)}}, 200},
		} {
			w := request(p, http.MethodGet, up.URL+"/a.png", tc.hdr)
			if w.Code != tc.status {
				t.Errorf("cache=%v %s: status %d, want %d", cache, tc.name, w.Code, tc.status)
			}
			if tc.status == 304 && (w.Body.Len() != 0 || w.Header().Get("ETag") != etag) {
				t.Errorf("cache=%v %s: 304 with %d body bytes, ETag %q", cache, tc.name, w.Body.Len(), w.Header().Get("ETag"))
			}
		}
		if n := testutil.ToFloat64(m.Requests.WithLabelValues("not_modified")); n != 3 {
			t.Errorf("cache=%v: not_modified counter = %v, want 3", cache, n)
		}
	}
}

// TestConcurrentRequestsCollapse starts 20 requests for one missing image
// and lets the upstream answer only once all of them wait: it must have
// been asked once, and all 20 get the image.
func TestConcurrentRequestsCollapse(t *testing.T) {
	img := imagetest.Encode(t, "png", 64, 64, 9)
	for _, cache := range []bool{true, false} {
		release := make(chan struct{})
		up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			<-release
			imagetest.Serve(img, "image/png")(w, r)
		})
		opt := Options{AllowPrivate: true}
		if cache {
			opt.CacheDir = t.TempDir()
		} else {
			t.Setenv("TMPDIR", t.TempDir()) // to see the temporary files go
		}
		p := newProxy(t, opt)
		raw := up.URL + "/a.png"
		const n = 20
		var wg sync.WaitGroup
		results := make([]*bytes.Buffer, n)
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() {
				w := get(p, raw)
				codes[i], results[i] = w.Code, w.Body
			})
		}
		// Wait until every request is either at the upstream or waiting for
		// the one that is. Without collapsing, all 20 reach the upstream and
		// the count below fails.
		for int(up.Hits.Load())+max(p.flight.waiting(cacheKey(raw)), 0) < n {
			time.Sleep(time.Millisecond)
		}
		close(release)
		wg.Wait()
		if got := up.Hits.Load(); got != 1 {
			t.Errorf("cache=%v: upstream saw %d requests for %d concurrent ones, want 1", cache, got, n)
		}
		for i := range n {
			if codes[i] != 200 || !bytes.Equal(results[i].Bytes(), img) {
				t.Errorf("cache=%v: request %d: status %d, %d bytes", cache, i, codes[i], results[i].Len())
			}
		}
		if !cache {
			left, _ := os.ReadDir(os.Getenv("TMPDIR"))
			if len(left) != 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		}
	}
}

func TestLRUEviction(t *testing.T) {
	// Bodies of one length, so that every cache entry has the same size: a
	// real PNG (whose header the pixel check reads) padded with the name.
	png := imagetest.Encode(t, "png", 2, 2, 1)
	up := imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(append(append([]byte(nil), png...), bytes.Repeat([]byte(r.URL.Path[1:]), 2000)...))
	})
	probe := newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir()})
	get(probe, up.URL+"/x")
	size := cacheTotal(t, probe.cache.dir)

	dir := t.TempDir()
	limit := 3*size + size/2 // room for three entries
	m, _ := NewMetrics(nil)
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: dir, CacheSize: limit, Metrics: m})
	for _, name := range []string{"/a", "/b", "/c", "/a", "/d"} {
		// a is used again after c, so when d arrives b is the least
		// recently used entry and the one to go.
		if w := get(p, up.URL+name); w.Code != 200 {
			t.Fatalf("%s: status %d", name, w.Code)
		}
	}
	if got := cacheTotal(t, dir); got > limit {
		t.Errorf("cache holds %d bytes, over its bound %d", got, limit)
	}
	if got := int64(testutil.ToFloat64(m.CacheBytes)); got != cacheTotal(t, dir) {
		t.Errorf("cache gauge = %d, files hold %d bytes", got, cacheTotal(t, dir))
	}
	fetches := func() map[string]int {
		return map[string]int{"/a": up.Count("/a"), "/b": up.Count("/b"), "/c": up.Count("/c"), "/d": up.Count("/d")}
	}
	before := fetches()
	for _, name := range []string{"/a", "/c", "/d", "/b"} {
		get(p, up.URL+name)
	}
	after := fetches()
	for name, want := range map[string]int{"/a": 0, "/c": 0, "/d": 0, "/b": 1} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s fetched %d more times, want %d (b evicted, the others kept)", name, got, want)
		}
	}

	// A restart with a smaller bound trims the folder at once, keeping the
	// most recently written entry (b, fetched again just above).
	p = newProxy(t, Options{AllowPrivate: true, CacheDir: dir, CacheSize: size + size/2})
	if n := len(cacheFiles(t, dir)); n != 1 {
		t.Errorf("after restart with room for one entry: %d files", n)
	}
	get(p, up.URL+"/b")
	if got := up.Count("/b") - after["/b"]; got != 0 {
		t.Errorf("b fetched %d more times after the restart, want 0", got)
	}

	// An image larger than the whole cache is served, but not kept.
	p = newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir(), CacheSize: 1})
	if w := get(p, up.URL+"/e"); w.Code != 200 || w.Body.Len() != len(png)+2000 {
		t.Errorf("image larger than the cache: status %d, %d bytes", w.Code, w.Body.Len())
	}
	if files := cacheFiles(t, p.cache.dir); len(files) != 0 {
		t.Errorf("an image larger than the whole cache was kept: %v", files)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice did not fail")
	}
	img := imagetest.Encode(t, "png", 16, 16, 1)
	up := imagetest.NewUpstream(t, imagetest.Serve(img, "image/png"))
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir(), Metrics: m})
	get(p, up.URL+"/a.png")
	get(p, up.URL+"/a.png")
	requestPath(p, http.MethodGet, "/img/bad/"+base64.RawURLEncoding.EncodeToString([]byte(up.URL)), nil)
	for outcome, want := range map[string]float64{"miss": 1, "hit": 1, "forbidden": 1, "upstream_error": 0} {
		if got := testutil.ToFloat64(m.Requests.WithLabelValues(outcome)); got != want {
			t.Errorf("requests{outcome=%q} = %v, want %v", outcome, got, want)
		}
	}
	if got := testutil.ToFloat64(m.BytesServed); got != float64(2*len(img)) {
		t.Errorf("bytes served = %v, want %d", got, 2*len(img))
	}
	if got := testutil.CollectAndCount(m.FetchDuration); got != 1 {
		t.Errorf("fetch duration series = %d, want 1", got)
	}
	if got := testutil.ToFloat64(m.CacheBytes); got <= float64(len(img)) {
		t.Errorf("cache bytes gauge = %v, want more than the image", got)
	}
}

// cacheFiles lists the image files in a cache folder.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tmp" {
			left, _ := os.ReadDir(path)
			if len(left) != 0 {
				t.Errorf("temporary files left in the cache: %v", left)
			}
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func cacheTotal(t *testing.T, dir string) int64 {
	var total int64
	for _, f := range cacheFiles(t, dir) {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
	}
	return total
}

// TestHitsOverHTTP runs the proxy behind a real server, where a cache hit is
// the cached file handed to http.ServeContent (sendfile): whole bodies,
// ranges, HEAD and conditional requests must carry the image bytes only,
// never the trailer stored after them, with the same validators as the miss.
func TestHitsOverHTTP(t *testing.T) {
	img := imagetest.Encode(t, "png", 64, 64, 5)
	lastMod := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	up := lastModified(t, img, lastMod)
	for _, cache := range []bool{true, false} {
		p, m := proxyWith(t, cache)
		srv := httptest.NewServer(p)
		target := srv.URL + URL("", testSecret, up.URL+"/a.png")
		do := func(method string, hdr http.Header) (*http.Response, []byte) {
			req, _ := http.NewRequest(method, target, nil)
			for k, v := range hdr {
				req.Header[k] = v
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, body
		}
		miss, body := do("GET", nil)
		if miss.StatusCode != 200 || !bytes.Equal(body, img) {
			t.Fatalf("cache=%v miss: %d, %d bytes", cache, miss.StatusCode, len(body))
		}
		for i := range 2 {
			hit, body := do("GET", nil)
			if hit.StatusCode != 200 || !bytes.Equal(body, img) || hit.ContentLength != int64(len(img)) {
				t.Errorf("cache=%v request %d: %d, %d bytes (Content-Length %d), want the %d image bytes", cache, i, hit.StatusCode, len(body), hit.ContentLength, len(img))
			}
			for _, k := range []string{"ETag", "Last-Modified", "Content-Type", "Cache-Control"} {
				if hit.Header.Get(k) != miss.Header.Get(k) {
					t.Errorf("cache=%v: %s %q on a hit, %q on the miss", cache, k, hit.Header.Get(k), miss.Header.Get(k))
				}
			}
		}
		if cache {
			if n := testutil.ToFloat64(m.Requests.WithLabelValues("hit")); n != 2 {
				t.Errorf("hits counted: %v, want 2", n)
			}
		}
		resp, body := do("GET", http.Header{"Range": {"bytes=10-19"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, img[10:20]) ||
			resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(img)) {
			t.Errorf("cache=%v range 10-19: %d %q, %q", cache, resp.StatusCode, resp.Header.Get("Content-Range"), body)
		}
		resp, body = do("GET", http.Header{"Range": {"bytes=-5"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, img[len(img)-5:]) {
			t.Errorf("cache=%v last 5 bytes: %d %q, want %q (the trailer must not show)", cache, resp.StatusCode, body, img[len(img)-5:])
		}
		resp, body = do("GET", http.Header{"Range": {fmt.Sprintf("bytes=%d-", len(img))}})
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("cache=%v range past the image: %d %q, want 416", cache, resp.StatusCode, body)
		}
		resp, body = do("HEAD", nil)
		if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(img)) {
			t.Errorf("cache=%v HEAD: %d, %d bytes, length %d", cache, resp.StatusCode, len(body), resp.ContentLength)
		}
		resp, _ = do("GET", http.Header{"If-None-Match": {miss.Header.Get("ETag")}})
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("cache=%v If-None-Match: %d", cache, resp.StatusCode)
		}
		resp, _ = do("GET", http.Header{"If-Modified-Since": {lastMod.Format(http.TimeFormat)}})
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("cache=%v If-Modified-Since: %d", cache, resp.StatusCode)
		}
		srv.Close()
	}
}

// TestPixelBomb: a PNG that declares 50,000 × 50,000 pixels is refused and
// not cached.
func TestPixelBomb(t *testing.T) {
	b := imagetest.Bomb(t, "png", 50000, 50000)
	up := imagetest.NewUpstream(t, imagetest.Serve(b, "image/png"))
	p := newProxy(t, Options{AllowPrivate: true, CacheDir: t.TempDir()})
	if w := get(p, up.URL+"/bomb.png"); w.Code != http.StatusBadGateway || w.Body.String() != "too many pixels\n" {
		t.Errorf("50000×50000 PNG: %d %q, want 502 too many pixels", w.Code, w.Body)
	}
	if files := cacheFiles(t, p.cache.dir); len(files) != 0 {
		t.Errorf("the bomb was cached: %v", files)
	}
}

// lastModified is an upstream answering img with a Last-Modified of mod.
func lastModified(t *testing.T, img []byte, mod time.Time) *imagetest.Upstream {
	return imagetest.NewUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", mod.Format(http.TimeFormat))
		w.Write(img)
	})
}

// proxyWith is a proxy allowed to reach loopback, with or without a disk
// cache, and its metrics.
func proxyWith(t *testing.T, cache bool) (*Proxy, *Metrics) {
	opt := Options{AllowPrivate: true}
	if cache {
		opt.CacheDir = t.TempDir()
	}
	opt.Metrics, _ = NewMetrics(nil)
	return newProxy(t, opt), opt.Metrics
}
