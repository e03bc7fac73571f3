package mediaproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/imagetest"
)

// discardWriter is a ResponseWriter that throws the body away; its
// ReadFrom stands for the connection's sendfile and copies nothing, so that
// what is measured is the handler, not a copy net/http does not make.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		return lr.N, nil
	}
	return io.Copy(io.Discard, r)
}

// BenchmarkCachedHit measures the handler alone on cache hits of a 50 KB
// image, in parallel; BenchmarkFileServerHandler is http.FileServer's
// handler on the same bytes, the yardstick.
func BenchmarkCachedHit(b *testing.B) {
	img := append(imagetest.Encode(b, "png", 8, 8, 1), make([]byte, 50_000)...)
	up := imagetest.NewUpstream(b, imagetest.Serve(img, "image/png"))
	p := newProxy(b, Options{AllowPrivate: true, CacheDir: b.TempDir()})
	path := URL("", testSecret, up.URL+"/a.png")
	if w := requestPath(p, http.MethodGet, path, nil); w.Code != 200 {
		b.Fatalf("priming: status %d", w.Code)
	}
	benchHandler(b, p, path)
	if n := up.Hits.Load(); n != 1 {
		b.Errorf("upstream saw %d requests, want 1", n)
	}
}

func BenchmarkFileServerHandler(b *testing.B) {
	img := append(imagetest.Encode(b, "png", 8, 8, 1), make([]byte, 50_000)...)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.png"), img, 0o644); err != nil {
		b.Fatal(err)
	}
	benchHandler(b, http.FileServer(http.Dir(dir)), "/a.png")
}

func benchHandler(b *testing.B, h http.Handler, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, "http://proxy.test"+path, nil)
		for pb.Next() {
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, r)
			if w.status != 200 {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkLoopbackHit64 and BenchmarkLoopbackMiss64 are the load figures
// of issue 4: 64 concurrent keep-alive clients against the proxy over
// loopback HTTP, reporting requests/s and the 99th percentile latency. Hits
// ask for one cached 50 KB image; misses ask for a new URL every time, each
// fetched from a local upstream and written to the disk cache.
//
// BenchmarkLoopbackFileServer64 is the yardstick of the hits (issue 14):
// Go's http.FileServer sending the same bytes from a file, with the same
// client. bench/imgload makes the same comparison across processes.
func BenchmarkLoopbackHit64(b *testing.B)        { benchLoopback(b, "hit") }
func BenchmarkLoopbackMiss64(b *testing.B)       { benchLoopback(b, "miss") }
func BenchmarkLoopbackFileServer64(b *testing.B) { benchLoopback(b, "fileserver") }

func benchLoopback(b *testing.B, kind string) {
	const clients = 64
	img := append(imagetest.Encode(b, "png", 8, 8, 1), make([]byte, 50_000)...)
	up := imagetest.NewUpstream(b, imagetest.Serve(img, "image/png"))
	p := newProxy(b, Options{AllowPrivate: true, CacheDir: b.TempDir(), CacheSize: 256 << 20})
	var handler http.Handler = p
	if kind == "fileserver" {
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.png"), img, 0o644); err != nil {
			b.Fatal(err)
		}
		handler = http.FileServer(http.Dir(dir))
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	fixed := srv.URL + URL("", testSecret, up.URL+"/a.png")
	if kind == "fileserver" {
		fixed = srv.URL + "/a.png"
	}
	miss := kind == "miss"
	var seq atomic.Int64
	target := func() string {
		if miss {
			return srv.URL + URL("", testSecret, fmt.Sprintf("%s/%d.png", up.URL, seq.Add(1)))
		}
		return fixed
	}
	if !miss {
		if err := fetchOnce(client, fixed); err != nil {
			b.Fatal(err)
		}
	}

	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				start := time.Now()
				if err := fetchOnce(client, target()); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(start))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
}

func fetchOnce(c *http.Client, u string) error {
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
