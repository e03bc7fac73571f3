package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/post"
)

// faultFeed is a small valid feed whose items are named after the case, so
// that the posts of each source can be told apart.
func faultFeed(name string, n int) string {
	var items []string
	for i := range n {
		items = append(items, item(fmt.Sprintf("%s-%d", name, i), fmt.Sprintf("%s 第%d条", name, i),
			fmt.Sprintf("<p>%s 的正文 %d</p>", name, i), "Tue, 17 Aug 2021 06:56:06 GMT"))
	}
	return rss(items...)
}

func writeFeed(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, body)
}

// faultCase is one misbehaving (or healthy) server and what the run must say
// about it.
type faultCase struct {
	name    string
	handler func(t *testing.T, c *faultCase) http.HandlerFunc
	status  string
	errHas  []string // substrings of SourceResult.Error
	noteHas string   // substring of SourceResult.Note
	posts   int      // items of the feed that must become posts

	sent atomic.Int64 // body bytes a streaming handler wrote
	hits atomic.Int32
	mu   sync.Mutex
	at   []time.Time // request times
}

func (c *faultCase) hit() {
	c.hits.Add(1)
	c.mu.Lock()
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
}

// gzipBomb is many gzip members of 1MB of zeros each (Go's gzip reader reads
// concatenated members as one stream): 1GB decoded from about 1MB on the wire.
func gzipBomb() []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), 1024)
}

// faultCases is the fault matrix of issue 3, plus two healthy sources.
func faultCases() []*faultCase {
	bomb := gzipBomb()
	return []*faultCase{
		{name: "healthy-1", status: StatusOK, posts: 5, handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeFeed(w, faultFeed(c.name, 5)) }
		}},
		{name: "healthy-2", status: StatusOK, posts: 5, handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeFeed(w, faultFeed(c.name, 5)) }
		}},
		{name: "500-then-200", status: StatusOK, posts: 2, handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if c.hits.Load() == 1 {
					http.Error(w, "oops", http.StatusInternalServerError)
					return
				}
				writeFeed(w, faultFeed(c.name, 2))
			}
		}},
		{name: "429-retry-after", status: StatusOK, posts: 2, handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if c.hits.Load() == 1 {
					w.Header().Set("Retry-After", "1")
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return
				}
				writeFeed(w, faultFeed(c.name, 2))
			}
		}},
		{name: "503-forever", status: StatusFailed, errHas: []string{"/feed: 503 Service Unavailable after 3 tries"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }
			}},
		{name: "never-answers", status: StatusFailed, errHas: []string{"/feed: timeout after 500ms (no response headers), 3 tries"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
			}},
		{name: "stalls-mid-body", status: StatusFailed, errHas: []string{"/feed: timeout after 500ms reading the body, 3 tries"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					body := faultFeed(c.name, 5)
					w.Header().Set("Content-Type", "application/rss+xml")
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
					fmt.Fprint(w, body[:len(body)/2])
					w.(http.Flusher).Flush()
					<-r.Context().Done()
				}
			}},
		{name: "connection-reset", status: StatusFailed, errHas: []string{"/feed: connection reset by peer after 3 tries"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Errorf("hijack: %v", err)
						return
					}
					conn.(*net.TCPConn).SetLinger(0) // close with RST, not FIN
					conn.Close()
				}
			}},
		{name: "1GB-body", status: StatusFailed, errHas: []string{"response larger than 1MB"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					// Streamed with no Content-Length: the cap must act while
					// reading, not on a declared size.
					w.Header().Set("Content-Type", "application/rss+xml")
					fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>big</title><description>`)
					chunk := bytes.Repeat([]byte("x"), 64<<10)
					for sent := int64(0); sent < 1<<30; sent += int64(len(chunk)) {
						if _, err := w.Write(chunk); err != nil {
							return
						}
						c.sent.Add(int64(len(chunk)))
					}
				}
			}},
		{name: "gzip-bomb", status: StatusFailed, errHas: []string{"response larger than 1MB"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/rss+xml")
					w.Header().Set("Content-Encoding", "gzip")
					w.Write(bomb)
				}
			}},
		{name: "redirect-loop", status: StatusFailed, errHas: []string{"redirect loop at "},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					to := "/feed"
					if r.URL.Path == "/feed" {
						to = "/other"
					}
					http.Redirect(w, r, to, http.StatusFound)
				}
			}},
		{name: "404", status: StatusFailed, errHas: []string{"/feed: 404 Not Found"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc { return http.NotFound }},
		{name: "html-page", status: StatusFailed, errHas: []string{"not a feed: the response is an HTML page (<title>系统维护中</title>)"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					fmt.Fprint(w, "<!DOCTYPE html><html><head><title>系统维护中</title></head><body>请稍后再试</body></html>")
				}
			}},
		{name: "empty-body", status: StatusFailed, errHas: []string{"empty response"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/rss+xml")
				}
			}},
		// A feed cut off mid-transfer keeps its complete items (issue 12);
		// cut before the first one, nothing is left and the source fails.
		{name: "truncated-xml", status: StatusOK, posts: 3, noteHas: "the document ends early",
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					body := strings.ReplaceAll(faultFeed(c.name, 5), "<item>", "\n<item>")
					writeFeed(w, body[:len(body)*2/3])
				}
			}},
		{name: "truncated-xml-no-item", status: StatusFailed, errHas: []string{"XML syntax error at line"},
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					body := faultFeed(c.name, 5)
					writeFeed(w, body[:strings.Index(body, "</item>")])
				}
			}},
		{name: "invalid-utf8", status: StatusOK, posts: 2, noteHas: "invalid UTF-8",
			handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					writeFeed(w, strings.Replace(faultFeed(c.name, 2), "的正文 0", "的正文 \xff\xfe 0", 1))
				}
			}},
		{name: "bom", status: StatusOK, posts: 2, handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeFeed(w, "\xEF\xBB\xBF"+faultFeed(c.name, 2)) }
		}},
		{name: "no-items", status: StatusUnchanged, noteHas: "the feed has no items", handler: func(t *testing.T, c *faultCase) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeFeed(w, faultFeed(c.name, 0)) }
		}},
	}
}

// TestFaultInjection is issue 3's acceptance suite: one run over sources that
// each misbehave in one way, next to healthy ones. Each source must end with
// the right status and an error that names its cause; the healthy sources'
// posts must all be written; the run must end in bounded time and memory.
func TestFaultInjection(t *testing.T) {
	cases := faultCases()
	var sources strings.Builder
	for _, c := range cases {
		srv := httptest.NewServer(c.handler(t, c))
		inner := srv.Config.Handler
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.hit()
			inner.ServeHTTP(w, r)
		})
		t.Cleanup(srv.Close)
		fmt.Fprintf(&sources, "  - url: %s/feed\n    name: %s\n", srv.URL, c.name)
	}
	e := newFaultEnv(t, sources.String())
	client := fetch.New(fetch.Options{
		Timeout:       500 * time.Millisecond,
		Retries:       2,
		MaxBytes:      1 << 20,
		PerHost:       2,
		UserAgent:     "test",
		Backoff:       func(int) time.Duration { return 10 * time.Millisecond },
		MaxRetryAfter: 5 * time.Second,
	})

	// Peak heap while the run goes, sampled.
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := New(e.cfg, e.st, Options{Client: client})
	sum, err := r.Run(ctx)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatalf("run: %v (deadline hit: %v)", err, ctx.Err() != nil)
	}
	if ctx.Err() != nil {
		t.Fatal("the run did not finish within its 60s deadline")
	}
	const heapLimit = 200 << 20
	if p := peak.Load(); p > heapLimit {
		t.Errorf("peak heap in use %dMB, want below %dMB", p>>20, heapLimit>>20)
	}
	t.Logf("peak heap in use during the run: %.1fMB", float64(peak.Load())/(1<<20))

	if !sum.Failed() {
		t.Error("Summary.Failed() is false with failing sources")
	}
	byName := map[string]SourceResult{}
	for _, res := range sum.Sources {
		byName[res.Name] = res
	}
	files := e.postFiles()
	wantFiles := 0
	for _, c := range cases {
		res, ok := byName[c.name]
		if !ok {
			t.Errorf("%s: missing from the summary", c.name)
			continue
		}
		t.Logf("%-17s %-9s %s%s", c.name, res.Status, res.Error, res.Note)
		if res.Status != c.status {
			t.Errorf("%s: status %q, want %q (error %q)", c.name, res.Status, c.status, res.Error)
		}
		for _, want := range c.errHas {
			if !strings.Contains(res.Error, want) {
				t.Errorf("%s: error %q, want it to contain %q", c.name, res.Error, want)
			}
		}
		if c.status != StatusFailed && res.Error != "" {
			t.Errorf("%s: unexpected error %q", c.name, res.Error)
		}
		if c.noteHas != "" && !strings.Contains(res.Note, c.noteHas) {
			t.Errorf("%s: note %q, want it to contain %q", c.name, res.Note, c.noteHas)
		}
		if res.New != c.posts {
			t.Errorf("%s: %d new, want %d", c.name, res.New, c.posts)
		}
		for i := range c.posts {
			guid := fmt.Sprintf("%s-%d", c.name, i)
			if !files[post.ID(c.name, guid, "", "", "")+".md"] {
				t.Errorf("%s: post of %s not written", c.name, guid)
			}
		}
		wantFiles += c.posts
		st, _, _ := e.st.Source(context.Background(), c.name)
		if (c.status == StatusFailed) != (st.Failures == 1) {
			t.Errorf("%s: %d failures stored (last error %q)", c.name, st.Failures, st.LastError)
		}
	}
	if len(files) != wantFiles {
		t.Errorf("%d post files, want %d", len(files), wantFiles)
	}
	if sum.PostsWritten != wantFiles {
		t.Errorf("PostsWritten %d, want %d", sum.PostsWritten, wantFiles)
	}

	// Per-case details the summary cannot show.
	for _, c := range cases {
		switch c.name {
		case "404", "html-page":
			if n := c.hits.Load(); n != 1 {
				t.Errorf("%s: %d requests, want 1 (not retried)", c.name, n)
			}
		case "redirect-loop":
			// /feed → /other → /feed: the loop is seen before the third
			// request, and a loop is not retried.
			if n := c.hits.Load(); n != 2 {
				t.Errorf("%s: %d requests, want 2", c.name, n)
			}
		case "503-forever", "never-answers", "connection-reset":
			if n := c.hits.Load(); n != 3 {
				t.Errorf("%s: %d requests, want 3 (retries: 2)", c.name, n)
			}
		case "429-retry-after":
			c.mu.Lock()
			if len(c.at) != 2 {
				t.Errorf("429: %d requests, want 2", len(c.at))
			} else if gap := c.at[1].Sub(c.at[0]); gap < 900*time.Millisecond {
				t.Errorf("429: retried after %v, want Retry-After: 1 honoured", gap)
			}
			c.mu.Unlock()
		case "1GB-body":
			// The client stops reading past the cap; the server can only
			// have pushed what fits in the socket buffers beyond it.
			if s := c.sent.Load(); s > 64<<20 {
				t.Errorf("1GB: the server got to send %dMB: the body was not cut at the cap", s>>20)
			}
		}
	}
}

// newFaultEnv is newEnv with fetch.concurrency high enough for every source
// to run at once, so the slow cases overlap.
func newFaultEnv(t *testing.T, sources string) *env {
	t.Helper()
	e := newEnvYAML(t, "site: {timezone: Asia/Shanghai}\nhexo: {dir: posts}\nfetch: {concurrency: 20}\nsources:\n"+sources)
	e.now = time.Time{}
	return e
}

// postFiles lists the post files by name.
func (e *env) postFiles() map[string]bool {
	matches, _ := filepath.Glob(filepath.Join(e.dir, "posts", "*.md"))
	out := map[string]bool{}
	for _, m := range matches {
		out[filepath.Base(m)] = true
	}
	return out
}
