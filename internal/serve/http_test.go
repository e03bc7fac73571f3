package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/store"
)

// testServer is a Server over a project folder whose site folder holds
// files; yml is the config without `sources:` (one local feed is added).
type testServer struct {
	*Server
	dir, site string
}

func newTestServer(t *testing.T, yml string, files map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	site := filepath.Join(dir, "public")
	for name, body := range files {
		p := filepath.Join(site, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "feed.xml"), []byte(`<rss version="2.0"><channel><title>t</title></channel></rss>`), 0o644)
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfgPath, []byte(yml+"\nhexo: {dir: ''}\nsources:\n  - url: feed.xml\n    enabled: false\n"), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := New(cfg, st, Options{Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: srv, dir: dir, site: site}
}

// run runs the server on a loopback listener and returns its address and
// the function that stops it and returns Run's error.
func (s *testServer) run(t *testing.T) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return ln.Addr().String(), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return")
		}
		return nil
	}
}

// start runs the server until the test ends and returns its address.
func (s *testServer) start(t *testing.T) string {
	t.Helper()
	addr, stop := s.run(t)
	t.Cleanup(func() { stop() })
	return addr
}

const page404 = "<!doctype html><title>404</title><h1>页面不存在</h1>"

var siteFiles = map[string]string{
	"index.html":                  "<!doctype html><h1>首页</h1>",
	"404.html":                    page404,
	"posts/abc/index.html":        "<!doctype html><h1>文章</h1>",
	"posts/noindex/x.txt":         "x",
	"assets/style.css":            "body{}",
	".feedpost-site.json":         `{"files":[]}`,
	".feedpost-stale":             "x",
	"posts/.index.html.tmp-1-2":   "half",
	"posts/abc/.feedpost-9-1.tmp": "half",
	".hidden/a.html":              "secret",
}

// TestSiteHandler: only GET and HEAD, no listings, no internal files, an
// HTML 404 from the site, and a 404 (not a 500) for paths the file system
// refuses.
func TestSiteHandler(t *testing.T) {
	s := newTestServer(t, "site: {dir: public}\nimages: {proxy: builtin}\nsecret: s", siteFiles)
	h := s.Handler()
	do := func(method, target string, hdr http.Header) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://news.test"+target, nil)
		for k, v := range hdr {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	long := "/posts/" + strings.Repeat("长", 200) + "/"             // one name of 600 bytes: ENAMETOOLONG
	deep := "/" + strings.Repeat(strings.Repeat("a", 200)+"/", 30) // 6,000 bytes: longer than PATH_MAX
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/", 200, "首页"},
		{"HEAD", "/", 200, ""},
		{"GET", "/posts/abc/", 200, "文章"},
		{"GET", "/posts/abc/index.html", 200, "文章"},
		{"GET", "/assets/style.css", 200, "body{}"},
		{"GET", "/posts/abc", 301, ""},
		{"GET", "/posts/", 404, page404},
		{"GET", "/posts/noindex/", 404, page404},
		{"GET", "/assets/", 404, page404},
		{"GET", "/nope.html", 404, page404},
		{"HEAD", "/nope.html", 404, ""},
		{"GET", "/.feedpost-site.json", 404, page404},
		{"GET", "/.feedpost-stale", 404, page404},
		{"GET", "/posts/.index.html.tmp-1-2", 404, page404},
		{"GET", "/posts/abc/.feedpost-9-1.tmp", 404, page404},
		{"GET", "/.hidden/a.html", 404, page404},
		{"GET", long, 404, page404},
		{"GET", deep, 404, page404},
		{"GET", "/posts/abc/index.html/x", 404, page404}, // ENOTDIR
	} {
		w := do(tc.method, tc.path, nil)
		short := tc.path[:min(len(tc.path), 40)]
		if w.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, short, w.Code, tc.status)
			continue
		}
		if tc.body != "" && !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s %s: body %q, want %q", tc.method, short, w.Body.String(), tc.body)
		}
		if tc.method == "HEAD" && w.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d body bytes", short, w.Body.Len())
		}
		if tc.status == 404 && w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s %s: 404 as %q, want HTML", tc.method, short, w.Header().Get("Content-Type"))
		}
	}
	if loc := do("GET", "/posts/abc?x=1", nil).Header().Get("Location"); loc != "/posts/abc/?x=1" {
		t.Errorf("folder without slash: Location %q", loc)
	}
	// The mux cleans ".." away before the site sees a path; the handler
	// holds on its own too.
	sh := &siteHandler{dir: s.site, log: s.log}
	for _, p := range []string{"/posts/abc/../../.feedpost-site.json", "/../../../etc/passwd", "/posts/../.hidden/a.html"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = p
		sh.ServeHTTP(w, r)
		if w.Code != 404 {
			t.Errorf("site handler, %s: %d, want 404", p, w.Code)
		}
	}

	// Conditional requests and ranges work on site files.
	w := do("GET", "/assets/style.css", nil)
	etag := w.Header().Get("ETag")
	if etag == "" || w.Header().Get("Last-Modified") == "" || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("site file headers: %v", w.Header())
	}
	if w := do("GET", "/assets/style.css", http.Header{"If-None-Match": {etag}}); w.Code != 304 {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	if w := do("GET", "/assets/style.css", http.Header{"Range": {"bytes=0-3"}}); w.Code != 206 || w.Body.String() != "body" {
		t.Errorf("Range: %d %q", w.Code, w.Body)
	}

	// Every other method is refused everywhere, with Allow.
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "PROPFIND"} {
		for _, p := range []string{"/", "/posts/abc/", "/metrics", "/healthz", "/img/x/y", "/nope"} {
			w := do(m, p, nil)
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d, Allow %q; want 405 with Allow: GET, HEAD", m, p, w.Code, w.Header().Get("Allow"))
			}
		}
	}
	if w := do("HEAD", "/metrics", nil); w.Code != 200 {
		t.Errorf("HEAD /metrics: %d", w.Code)
	}

	// Without a 404.html (site not built yet) the 404 is still HTML.
	os.Remove(filepath.Join(s.site, "404.html"))
	if w := do("GET", "/nope", nil); w.Code != 404 || !strings.Contains(w.Body.String(), "<h1>404</h1>") {
		t.Errorf("404 without 404.html: %d %q", w.Code, w.Body)
	}
}

// TestMetricsInitialised: every fetch outcome is exported from the start.
func TestMetricsInitialised(t *testing.T) {
	s := newTestServer(t, "site: {dir: public}", nil)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`feedpost_fetches_total{outcome="ok"} 0`, `feedpost_fetches_total{outcome="unchanged"} 0`,
		`feedpost_fetches_total{outcome="failed"} 0`, `feedpost_fetches_total{outcome="skipped"} 0`,
		`feedpost_items_total{kind="duplicate"} 0`, `feedpost_builds_total{result="error"} 0`,
		`feedpost_http_connections_rejected_total{reason="per_ip"} 0`, `feedpost_http_connections_open 0`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestDrain: Run returns nil after a clean drain, and a *DrainError
// counting the requests cut when one outlives the grace period.
func TestDrain(t *testing.T) {
	release := make(chan struct{})
	var arrived atomic.Int32
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-release
	}))
	defer stuck.Close()
	defer close(release)
	for _, withStuck := range []bool{false, true} {
		s := newTestServer(t, "site: {dir: public}\nimages: {proxy: builtin, allow_private: true}\nsecret: s", siteFiles)
		s.opt.Grace = 300 * time.Millisecond
		addr, stop := s.run(t)
		base := "http://" + addr
		get(t, base+"/", 200)
		if withStuck {
			// A proxy request whose upstream never answers.
			go http.Get(base + BuiltinProxyURL(s.cfg, []byte("s"))(stuck.URL+"/a.png"))
			for arrived.Load() == 0 { // the proxy is waiting for the upstream
				time.Sleep(5 * time.Millisecond)
			}
		}
		err := stop()
		var de *DrainError
		switch {
		case !withStuck && err != nil:
			t.Errorf("idle: Run returned %v, want nil", err)
		case withStuck && (!errors.As(err, &de) || de.Cut != 1):
			t.Errorf("stuck request: Run returned %v, want a DrainError with 1 cut", err)
		case withStuck && err.Error() != "1 request was still running after the 300ms grace period and cut":
			t.Errorf("message: %q", err)
		}
	}
}

// TestListenError: a busy port is a *ListenError.
func TestListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s := newTestServer(t, "site: {dir: public}", nil)
	s.opt.Addr = busy.Addr().String()
	err = s.Run(context.Background())
	var le *ListenError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "cannot listen on "+busy.Addr().String()) {
		t.Errorf("busy port: %v, want a ListenError", err)
	}
}

// hostile opens a connection from local (a loopback source address) and
// leaves it in one of the states a hostile or broken client leaves it in.
func hostile(t *testing.T, addr, local, kind string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Control: smallReceiveBuffer}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	switch kind {
	case "idle": // one request, then nothing: a keep-alive connection left open
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("idle client: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	case "silent": // connects and sends nothing at all
	case "partial": // half a request, never finished
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	case "nonreading": // asks for a large file and never reads
		fmt.Fprintf(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	case "slowread": // reads a large file a few bytes at a time
		fmt.Fprintf(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
		go func() {
			buf := make([]byte, 512)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	return c
}

// waitOpen waits until the server holds n connections, at most limit.
func waitOpen(t *testing.T, s *testServer, n int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for s.http.conns.Open() != n {
		if time.Since(start) > limit {
			t.Fatalf("the server holds %d connections after %v, want %d", s.http.conns.Open(), limit, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func bigFile(t *testing.T, s *testServer) {
	t.Helper()
	// Larger than any socket buffer, so that a client that does not read
	// blocks the server's write. Sparse: it costs no disk.
	if err := os.Truncate(filepath.Join(s.site, "big.bin"), 64<<20); err != nil {
		f, _ := os.Create(filepath.Join(s.site, "big.bin"))
		f.Close()
		if err := os.Truncate(filepath.Join(s.site, "big.bin"), 64<<20); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTimeoutsCloseHostileClients: idle, silent, half-sent, non-reading
// and slow-reading connections are closed by the server after the
// configured timeouts. The bound waited for is generous (the timeouts are
// a second or less; a loaded machine must not fail the test), what matters
// is that the server closes them at all: without the timeouts it never
// does.
func TestTimeoutsCloseHostileClients(t *testing.T) {
	s := newTestServer(t, `site: {dir: public}
serve: {read_header_timeout: 300ms, read_timeout: 600ms, write_timeout: 1s, idle_timeout: 400ms}`, siteFiles)
	bigFile(t, s)
	addr := s.start(t)
	for _, kind := range []string{"idle", "silent", "partial", "nonreading", "slowread"} {
		var conns []net.Conn
		for range 5 {
			conns = append(conns, hostile(t, addr, "127.0.0.1", kind))
		}
		waitOpen(t, s, 5, 20*time.Second)
		took := waitOpen(t, s, 0, 30*time.Second)
		t.Logf("%s: 5 connections closed by the server within %v", kind, took.Round(10*time.Millisecond))
		if kind == "idle" || kind == "silent" || kind == "partial" {
			// The client sees the close too.
			conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.Copy(io.Discard, conns[0]); err != nil {
				t.Errorf("%s: reading after the server's close: %v, want EOF", kind, err)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
}

// TestManyHostileConnections: 500 hostile connections open at once (from
// several loopback addresses, each under the per-address cap) do not keep
// a real request from being served; one address alone is held to
// serve.max_conns_per_ip, and the total to serve.max_conns.
func TestManyHostileConnections(t *testing.T) {
	if c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", "127.0.0.1:1"); err != nil &&
		strings.Contains(err.Error(), "assign requested address") {
		t.Skip("this machine cannot use 127.0.0.2 as a source address")
	} else if err == nil {
		c.Close()
	}
	s := newTestServer(t, `site: {dir: public}
serve: {read_header_timeout: 5m, read_timeout: 5m, write_timeout: 5m, idle_timeout: 5m, max_conns: 1000, max_conns_per_ip: 100}`, siteFiles)
	bigFile(t, s)
	addr := s.start(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	kinds := []string{"idle", "silent", "partial", "nonreading", "slowread"}
	for i := range 500 {
		local := fmt.Sprintf("127.0.0.%d", 2+i/100) // 100 per address
		conns = append(conns, hostile(t, addr, local, kinds[i%len(kinds)]))
	}
	waitOpen(t, s, 500, 60*time.Second)

	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	if body := getWith(t, client, "http://"+addr+"/posts/abc/", 200); !strings.Contains(body, "文章") {
		t.Errorf("real request: %q", body)
	}
	t.Logf("a real request with 500 hostile connections open: %v", time.Since(start).Round(time.Millisecond))

	// The 101st connection from one address is refused with a 429.
	c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 429") {
		t.Errorf("101st connection from one address: %q, want a 429", line)
	}
	if n := testutil.ToFloat64(s.http.rejected.WithLabelValues("per_ip")); n != 1 {
		t.Errorf("per_ip rejections: %v, want 1", n)
	}

	// Fill the total: 1000 connections, the next one is refused with a 503.
	client.CloseIdleConnections()
	for i := 500; i < 1000; i++ {
		local := fmt.Sprintf("127.0.1.%d", i/100) // 127.0.1.5 … 127.0.1.9
		conns = append(conns, hostile(t, addr, local, "silent"))
	}
	waitOpen(t, s, 1000, 60*time.Second)
	resp, err := client.Get("http://" + addr + "/")
	switch {
	case err != nil:
		t.Errorf("over max_conns: %v, want a 503", err)
	case resp.StatusCode != http.StatusServiceUnavailable:
		t.Errorf("over max_conns: %d, want 503", resp.StatusCode)
		resp.Body.Close()
	default:
		resp.Body.Close()
	}
	// Closing hostile connections makes room again.
	for _, c := range conns[990:] {
		c.Close()
	}
	conns = conns[:990]
	waitOpen(t, s, 990, 20*time.Second)
	getWith(t, client, "http://"+addr+"/", 200)
}

func getWith(t *testing.T, c *http.Client, url string, want int) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	return string(b)
}

// TestProxyWriteDeadline: serve.write_timeout is per response, and an
// image proxy miss gets it after its upstream fetch: an upstream slower
// than the write timeout (but within the proxy's fetch timeout) still gives
// the client its image. Without the proxy moving the deadline, net/http's
// WriteTimeout would cut the answer.
func TestProxyWriteDeadline(t *testing.T) {
	img := pngBytes(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1200 * time.Millisecond)
		w.Write(img)
	}))
	defer slow.Close()
	s := newTestServer(t, `site: {dir: public}
images: {proxy: builtin, allow_private: true}
secret: s
serve: {write_timeout: 400ms}`, siteFiles)
	addr := s.start(t)
	u := "http://" + addr + BuiltinProxyURL(s.cfg, []byte("s"))(slow.URL+"/a.png")
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("slow upstream: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != string(img) {
		t.Errorf("slow upstream: %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
}
