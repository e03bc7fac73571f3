package mediaproxy

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

var testSecret = []byte("test-secret-0123456789abcdef")

// testImage encodes a w×h picture whose pixels depend on seed, so images of
// different seeds have different bytes.
func testImage(t testing.TB, format string, w, h int, seed byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: byte(x) + seed, G: byte(y) * seed, B: seed, A: 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	default:
		t.Fatalf("unknown format %q", format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upstream is a loopback image server counting the requests it receives,
// per path and in total.
type upstream struct {
	*httptest.Server
	hits atomic.Int64

	mu     sync.Mutex
	byPath map[string]int
	last   *http.Request
}

func newUpstream(t testing.TB, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{byPath: map[string]int{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		u.mu.Lock()
		u.byPath[r.URL.Path]++
		u.last = r
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) count(path string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byPath[path]
}

// serveBytes answers every request with body and a given Content-Type.
func serveBytes(body []byte, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	}
}

func newProxy(t testing.TB, opt Options) *Proxy {
	t.Helper()
	if opt.Secret == nil {
		opt.Secret = testSecret
	}
	p, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// request sends a request for the proxy URL of rawURL straight to the handler.
func request(p *Proxy, method, rawURL string, hdr http.Header) *httptest.ResponseRecorder {
	return requestPath(p, method, URL("", testSecret, rawURL), hdr)
}

func requestPath(p *Proxy, method, path string, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://proxy.test"+path, nil)
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	return w
}

func get(p *Proxy, rawURL string) *httptest.ResponseRecorder {
	return request(p, http.MethodGet, rawURL, nil)
}
