package fetch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// bound is the generous upper limit on any one Get in these tests: it only
// catches a hang (a broken timeout or cancellation), never slowness.
const bound = 30 * time.Second

// tiny is the Backoff of the tests: retries happen at once.
func tiny(int) time.Duration { return time.Millisecond }

// getWithin runs c.Get and fails the test if it has not returned within bound.
func getWithin(t *testing.T, ctx context.Context, c *Client, req Request) (*Response, error) {
	t.Helper()
	type result struct {
		resp *Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.Get(ctx, req)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-time.After(bound):
		t.Fatalf("Get(%s) did not return within %s", req.URL, bound)
		return nil, nil
	}
}

// handlers used by the table ------------------------------------------------

func okHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }
}

func statusHandler(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

// failFirst answers the first n requests with fail and the rest with ok.
func failFirst(n int, fail, ok http.HandlerFunc) http.HandlerFunc {
	var hits atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if int(hits.Add(1)) <= n {
			fail(w, r)
			return
		}
		ok(w, r)
	}
}

// hang accepts the request and never writes headers.
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(bound):
	}
}

// stallMidBody sends headers and part of the body, then stalls.
func stallMidBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "1000")
	io.WriteString(w, "<rss><channel>")
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
	case <-time.After(bound):
	}
}

// reset answers with a TCP RST: SO_LINGER 0 makes Close abort the connection.
func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// truncated promises 1000 bytes, sends a few and closes the connection.
func truncated(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/xml\r\n\r\n<rss><channel>")
	buf.Flush()
	conn.Close()
}

func encoded(encoding string, data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", encoding)
		w.Write(data)
	}
}

func compress(t *testing.T, encoding, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch encoding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zlib":
		w = zlib.NewWriter(&buf)
	case "flate":
		w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	case "br":
		w = brotli.NewWriter(&buf)
	}
	io.WriteString(w, s)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// redirects sends /r/N to /r/N-1 and answers /r/0; /loop/a and /loop/b
// redirect to each other.
func redirects(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/r/0":
		io.WriteString(w, "final")
	case strings.HasPrefix(r.URL.Path, "/r/"):
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	case r.URL.Path == "/loop/a":
		http.Redirect(w, r, "/loop/b", http.StatusMovedPermanently)
	case r.URL.Path == "/loop/b":
		http.Redirect(w, r, "/loop/a", http.StatusMovedPermanently)
	case r.URL.Path == "/ftp":
		http.Redirect(w, r, "ftp://127.0.0.1/feed", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// echo answers with the request headers the fetcher is expected to send.
func echo(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "ua=%s\naccept=%s\nencoding=%s\nreferer=%s\ncustom=%s\nhost=%s\n",
		r.UserAgent(), r.Header.Get("Accept"), r.Header.Get("Accept-Encoding"),
		r.Header.Get("Referer"), r.Header.Get("X-Custom"), r.Host)
}

// conditional answers 304 only when both validators came back unchanged.
func conditional(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("If-None-Match") == `"v1"` && r.Header.Get("If-Modified-Since") == "Mon, 02 Jan 2006 15:04:05 GMT" {
		w.WriteHeader(http.StatusNotModified) // no ETag: the client must carry it over
		return
	}
	w.Header().Set("ETag", `"v2"`)
	io.WriteString(w, "<rss/>")
}

func TestGet(t *testing.T) {
	const feed = "<rss><channel><title>t</title></channel></rss>"
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/feed"
	}()

	tests := []struct {
		name    string
		handler http.HandlerFunc
		path    string  // request path on the server (default /feed)
		url     string  // full URL instead of the server's
		opt     Options // Timeout 5s, Backoff tiny unless set
		req     Request // URL filled in
		kind    Kind    // 0: success expected
		msg     string  // expected Error(); "{u}" is the request URL
		tries   int     // expected Tries
		hits    int32   // expected server hits (0: not checked)
		check   func(*Response) string
	}{
		{name: "200 OK", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("ETag", `"abc"`)
			w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
			w.Header().Set("Cache-Control", "public, max-age=600")
			io.WriteString(w, feed)
		}, tries: 1, check: func(r *Response) string {
			if string(r.Body) != feed || r.StatusCode != 200 || r.ContentType != "application/rss+xml" ||
				r.ETag != `"abc"` || r.LastModified != "Mon, 02 Jan 2006 15:04:05 GMT" || r.MaxAge != 10*time.Minute || r.NotModified {
				return fmt.Sprintf("%+v", *r)
			}
			return ""
		}},
		{name: "500 then 200", handler: failFirst(1, statusHandler(500), okHandler(feed)),
			opt: Options{Retries: 2}, tries: 2, hits: 2},
		{name: "502 504 then 200", handler: failFirst(1, statusHandler(502), failFirst(1, statusHandler(504), okHandler(feed))),
			opt: Options{Retries: 2}, tries: 3, hits: 3},
		{name: "503 forever", handler: statusHandler(503), opt: Options{Retries: 2},
			kind: KindHTTP, msg: "GET {u}: 503 Service Unavailable after 3 tries", tries: 3, hits: 3},
		{name: "599 unknown 5xx retried", handler: statusHandler(599), opt: Options{Retries: 1},
			kind: KindHTTP, msg: "GET {u}: 599 status code 599 after 2 tries", tries: 2, hits: 2},
		{name: "429 Retry-After capped", handler: failFirst(1, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		}, okHandler(feed)), opt: Options{Retries: 1, MaxRetryAfter: 20 * time.Millisecond}, tries: 2, hits: 2},
		{name: "404 not retried", handler: statusHandler(404), opt: Options{Retries: 2},
			kind: KindHTTP, msg: "GET {u}: 404 Not Found", tries: 1, hits: 1},
		{name: "403 not retried", handler: statusHandler(403), opt: Options{Retries: 2},
			kind: KindHTTP, msg: "GET {u}: 403 Forbidden", tries: 1, hits: 1},
		{name: "RSSHub key redacted", handler: statusHandler(404), path: "/feed?key=s3cret",
			kind: KindHTTP, msg: "GET {base}/feed?key=xxxxx: 404 Not Found", tries: 1},
		{name: "no response headers", handler: hang, opt: Options{Timeout: 300 * time.Millisecond, Retries: 1},
			kind: KindTimeout, msg: "GET {u}: timeout after 300ms (no response headers), 2 tries", tries: 2, hits: 2},
		{name: "stall mid-body", handler: stallMidBody, opt: Options{Timeout: 300 * time.Millisecond},
			kind: KindTimeout, msg: "GET {u}: timeout after 300ms reading the body", tries: 1},
		{name: "connection reset retried", handler: reset, opt: Options{Retries: 1},
			kind: KindNetwork, msg: "GET {u}: connection reset by peer after 2 tries", tries: 2, hits: 2},
		{name: "reset then 200", handler: failFirst(1, reset, okHandler(feed)), opt: Options{Retries: 1}, tries: 2, hits: 2},
		{name: "EOF mid-body", handler: truncated,
			kind: KindNetwork, msg: "GET {u}: connection closed mid-body (unexpected EOF)", tries: 1},
		{name: "EOF mid-body then 200", handler: failFirst(1, truncated, okHandler(feed)), opt: Options{Retries: 1}, tries: 2},
		{name: "connection refused", url: refused, opt: Options{Retries: 2},
			kind: KindNetwork, msg: "GET {u}: connection refused after 3 tries", tries: 3},
		{name: "too large by Content-Length", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "2000")
			w.Write(make([]byte, 2000))
		}, opt: Options{MaxBytes: 1000, Retries: 2}, kind: KindTooLarge, msg: "GET {u}: response larger than 1000B", tries: 1},
		{name: "too large streamed", handler: func(w http.ResponseWriter, r *http.Request) {
			for range 10 {
				w.Write(make([]byte, 1000))
				w.(http.Flusher).Flush()
			}
		}, opt: Options{MaxBytes: 2048}, kind: KindTooLarge, msg: "GET {u}: response larger than 2KB", tries: 1},
		{name: "exactly MaxBytes fits", handler: okHandler(strings.Repeat("x", 2048)), opt: Options{MaxBytes: 2048}, tries: 1,
			check: func(r *Response) string {
				if len(r.Body) != 2048 {
					return fmt.Sprintf("body of %d bytes", len(r.Body))
				}
				return ""
			}},
		{name: "gzip", handler: encoded("gzip", compress(t, "gzip", feed)), tries: 1},
		{name: "deflate (zlib)", handler: encoded("deflate", compress(t, "zlib", feed)), tries: 1},
		{name: "deflate (raw)", handler: encoded("deflate", compress(t, "flate", feed)), tries: 1},
		{name: "brotli", handler: encoded("br", compress(t, "br", feed)), tries: 1},
		{name: "gzip label on plain body", handler: encoded("gzip", []byte(feed)), tries: 1},
		{name: "corrupt gzip not retried", handler: encoded("gzip", append([]byte{0x1f, 0x8b}, "garbage, not deflate data"...)),
			opt: Options{Retries: 2}, kind: KindHTTP, msg: "GET {u}: invalid gzip body: gzip: invalid header", tries: 1, hits: 1},
		{name: "unknown encoding", handler: encoded("zstd", []byte(feed)),
			kind: KindHTTP, msg: `GET {u}: unsupported Content-Encoding "zstd"`, tries: 1},
		{name: "redirect loop", handler: redirects, path: "/loop/a", opt: Options{Retries: 2},
			kind: KindRedirect, msg: "GET {u}: redirect loop at {base}/loop/a", tries: 1, hits: 2},
		{name: "11 redirects", handler: redirects, path: "/r/11",
			kind: KindRedirect, msg: "GET {u}: stopped after 10 redirects", tries: 1},
		{name: "10 redirects", handler: redirects, path: "/r/10", tries: 1, check: func(r *Response) string {
			if !strings.HasSuffix(r.URL, "/r/0") {
				return "URL " + r.URL
			}
			return ""
		}},
		{name: "3 redirects", handler: redirects, path: "/r/3", tries: 1, hits: 4, check: func(r *Response) string {
			if !strings.HasSuffix(r.URL, "/r/0") || string(r.Body) != "final" {
				return fmt.Sprintf("URL %s body %q", r.URL, r.Body)
			}
			return ""
		}},
		{name: "redirect to ftp refused", handler: redirects, path: "/ftp",
			kind: KindRedirect, msg: "GET {u}: redirect to non-http(s) URL ftp://127.0.0.1/feed refused", tries: 1},
		{name: "empty body", handler: okHandler(""), tries: 1, check: func(r *Response) string {
			if r.Body == nil || len(r.Body) != 0 {
				return fmt.Sprintf("body %q (nil %v)", r.Body, r.Body == nil)
			}
			return ""
		}},
		{name: "304 with validators", handler: conditional,
			req: Request{ETag: `"v1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"}, tries: 1,
			check: func(r *Response) string {
				if !r.NotModified || r.StatusCode != 304 || len(r.Body) != 0 || r.ETag != `"v1"` || r.LastModified != "Mon, 02 Jan 2006 15:04:05 GMT" {
					return fmt.Sprintf("%+v", *r)
				}
				return ""
			}},
		{name: "changed validators get 200", handler: conditional, req: Request{ETag: `"v0"`}, tries: 1,
			check: func(r *Response) string {
				if r.NotModified || r.ETag != `"v2"` {
					return fmt.Sprintf("%+v", *r)
				}
				return ""
			}},
		{name: "headers sent", handler: echo,
			opt:   Options{UserAgent: "feedpost-test/1"},
			req:   Request{Headers: map[string]string{"Referer": "https://www.cnbeta.com/", "x-custom": "yes", "Host": "feeds.example.org"}},
			tries: 1, check: func(r *Response) string {
				want := "ua=feedpost-test/1\naccept=" + acceptHeader + "\nencoding=gzip, deflate, br\n" +
					"referer=https://www.cnbeta.com/\ncustom=yes\nhost=feeds.example.org\n"
				if string(r.Body) != want {
					return fmt.Sprintf("server saw\n%s\nwant\n%s", r.Body, want)
				}
				return ""
			}},
		{name: "default User-Agent", handler: echo, tries: 1, check: func(r *Response) string {
			if !strings.HasPrefix(string(r.Body), "ua="+DefaultUserAgent+"\n") {
				return string(r.Body)
			}
			return ""
		}},
		{name: "unsupported scheme", url: "ftp://127.0.0.1/feed", kind: KindURL,
			msg: `GET {u}: unsupported URL scheme "ftp" (want http, https, file or an absolute path)`},
		{name: "relative path", url: "feeds/x.xml", kind: KindURL,
			msg: `GET {u}: unsupported URL scheme "" (want http, https, file or an absolute path)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tt.handler != nil {
					tt.handler(w, r)
				}
			}))
			defer srv.Close()

			opt := tt.opt
			if opt.Timeout == 0 {
				opt.Timeout = 5 * time.Second
			}
			if opt.Backoff == nil {
				opt.Backoff = tiny
			}
			req := tt.req
			req.URL = tt.url
			if req.URL == "" {
				req.URL = srv.URL + orElse(tt.path, "/feed")
			}

			resp, err := getWithin(t, context.Background(), New(opt), req)

			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if resp.Tries != tt.tries {
					t.Errorf("Tries = %d, want %d", resp.Tries, tt.tries)
				}
				if tt.check == nil && string(resp.Body) != feed {
					t.Errorf("Body = %q, want %q", resp.Body, feed)
				}
				if tt.check != nil {
					if msg := tt.check(resp); msg != "" {
						t.Error(msg)
					}
				}
			} else {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v (%T), want *Error", err, err)
				}
				if fe.Kind != tt.kind {
					t.Errorf("Kind = %v, want %v (%v)", fe.Kind, tt.kind, err)
				}
				if fe.Tries != tt.tries {
					t.Errorf("Tries = %d, want %d", fe.Tries, tt.tries)
				}
				want := strings.NewReplacer("{u}", req.URL, "{base}", srv.URL).Replace(tt.msg)
				if err.Error() != want {
					t.Errorf("Error() =\n  %s\nwant\n  %s", err, want)
				}
				if got, want := IsTransient(err), fe.transient(); got != want {
					t.Errorf("IsTransient = %v, transient() = %v", got, want)
				}
			}
			if tt.hits != 0 && hits.Load() != tt.hits {
				t.Errorf("server hit %d times, want %d", hits.Load(), tt.hits)
			}
		})
	}
}

func TestIsTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&Error{Kind: KindHTTP, Status: 503}, true},
		{&Error{Kind: KindHTTP, Status: 500}, true},
		{&Error{Kind: KindHTTP, Status: 429}, true},
		{&Error{Kind: KindHTTP, Status: 404}, false},
		{&Error{Kind: KindHTTP, Status: 200}, false}, // undecodable body
		{&Error{Kind: KindTimeout}, true},
		{&Error{Kind: KindNetwork, Err: &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}}, true},
		{&Error{Kind: KindNetwork, Err: &net.DNSError{Name: "x.invalid", IsNotFound: true}}, false},
		{&Error{Kind: KindNetwork, Err: &net.DNSError{Name: "x", IsTemporary: true}}, true},
		{fmt.Errorf("source x: %w", &Error{Kind: KindHTTP, Status: 502}), true},
		{&Error{Kind: KindTooLarge}, false},
		{&Error{Kind: KindRedirect}, false},
		{&Error{Kind: KindFile}, false},
		{&Error{Kind: KindCanceled}, false},
		{errors.New("plain"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestNetworkErrorsInjected covers failures that a loopback server cannot
// produce, through a transport whose dialer fails on purpose; nothing is
// resolved or dialled.
func TestNetworkErrorsInjected(t *testing.T) {
	tests := []struct {
		name  string
		dial  func(ctx context.Context, network, addr string) (net.Conn, error)
		kind  Kind
		msg   string
		tries int
	}{
		{"no such host", func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "example.invalid", IsNotFound: true}}
		}, KindNetwork, "GET http://example.invalid/feed: no such host example.invalid", 1},
		{"connect timeout", func(ctx context.Context, network, addr string) (net.Conn, error) {
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
		}, KindTimeout, "GET http://example.invalid/feed: timeout after 300ms connecting, 2 tries", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Options{Timeout: 300 * time.Millisecond, Retries: 1, Backoff: tiny,
				Transport: &http.Transport{DialContext: tt.dial}})
			_, err := getWithin(t, context.Background(), c, Request{URL: "http://example.invalid/feed"})
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if fe.Kind != tt.kind || fe.Tries != tt.tries || err.Error() != tt.msg {
				t.Errorf("got Kind %v, Tries %d, %q\nwant Kind %v, Tries %d, %q", fe.Kind, fe.Tries, err, tt.kind, tt.tries, tt.msg)
			}
		})
	}
}

// TestRetryAfterHonoured checks the wait chosen between attempts, observed
// through the sleep hook so that no test sleeps for real.
func TestRetryAfterHonoured(t *testing.T) {
	date := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name     string
		status   int
		header   string
		max      time.Duration
		min, top time.Duration // wanted wait range, inclusive
	}{
		{"429 seconds", 429, "1", 0, time.Second, time.Second},
		{"503 seconds", 503, "7", 0, 7 * time.Second, 7 * time.Second},
		{"HTTP-date", 429, date(30 * time.Second), 0, 28 * time.Second, 30 * time.Second},
		{"date in the past", 503, date(-time.Hour), 0, 0, 0},
		{"over the default cap", 429, "3600", 0, time.Minute, time.Minute},
		{"over a set cap", 429, "10", 5 * time.Second, 5 * time.Second, 5 * time.Second},
		{"date over the cap", 429, date(2 * time.Hour), 0, time.Minute, time.Minute},
		{"absent: backoff", 503, "", 0, 123 * time.Millisecond, 123 * time.Millisecond},
		{"unreadable: backoff", 503, "soon", 0, 123 * time.Millisecond, 123 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(failFirst(1, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
			}, okHandler("ok")))
			defer srv.Close()
			c := New(Options{Timeout: 5 * time.Second, Retries: 1, MaxRetryAfter: tt.max,
				Backoff: func(int) time.Duration { return 123 * time.Millisecond }})
			var waits []time.Duration
			c.sleep = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}
			resp, err := getWithin(t, context.Background(), c, Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Tries != 2 || len(waits) != 1 {
				t.Fatalf("Tries %d, waits %v; want 2 tries, 1 wait", resp.Tries, waits)
			}
			if waits[0] < tt.min || waits[0] > tt.top {
				t.Errorf("waited %v, want %v..%v", waits[0], tt.min, tt.top)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wednesday, 01-May-24 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Wed, 01 May 2024 11:00:00 GMT", 0, true},               // past
		{"-5", 0, false},
		{"1.5", 0, false},
		{"tomorrow", 0, false},
		{"99999999999999999999", 0, false}, // overflows uint64
		{"9999999999999", time.Duration(1<<63 - 1), true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		base    time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {5, 16 * time.Second}, {6, 30 * time.Second}, {100, 30 * time.Second}} {
		for range 20 {
			d := defaultBackoff(tt.attempt)
			if lo, hi := tt.base*8/10, tt.base*12/10; d < lo || d > hi {
				t.Errorf("defaultBackoff(%d) = %v, want %v..%v", tt.attempt, d, lo, hi)
			}
		}
	}
}

func TestFormatSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0B"}, {900, "900B"}, {1024, "1KB"}, {512 << 10, "512KB"}, {20 << 20, "20MB"},
		{3 << 29, "1.5GB"}, {1<<20 + 1, "1MB"}, {5 << 40, "5TB"}, {1536, "1.5KB"},
	} {
		if got := FormatSize(tt.n); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestHugeBodyMemoryFlat streams up to 1 GB; the client must stop after
// MaxBytes and never hold (or even allocate) anything near the body's size.
func TestHugeBodyMemoryFlat(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for range (1 << 30) / len(chunk) { // 1 GB at most: stops when the client goes
			if _, err := w.Write(chunk); err != nil {
				return
			}
			written.Add(int64(len(chunk)))
		}
	}))
	defer srv.Close()

	c := New(Options{Timeout: 20 * time.Second, MaxBytes: 1 << 20, Backoff: tiny})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := getWithin(t, context.Background(), c, Request{URL: srv.URL})
	runtime.ReadMemStats(&after)

	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindTooLarge || !strings.HasSuffix(err.Error(), ": response larger than 1MB") {
		t.Fatalf("err = %v, want KindTooLarge 'response larger than 1MB'", err)
	}
	if d := int64(after.HeapInuse) - int64(before.HeapInuse); d > 100<<20 {
		t.Errorf("HeapInuse grew by %s", FormatSize(d))
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 200<<20 {
		t.Errorf("allocated %s for a 1MB cap", FormatSize(int64(d)))
	}
	t.Logf("server wrote %s before the client hung up", FormatSize(written.Load()))
}

// TestGzipBomb serves a small gzip body that expands to 128 MB of zeros.
func TestGzipBomb(t *testing.T) {
	// 128 gzip members of 1 MB of zeros each: gzip readers decode
	// concatenated members as one stream, and this compresses only 1 MB.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 128)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %s compressed, not a bomb", FormatSize(int64(len(bomb))))
	}
	srv := httptest.NewServer(encoded("gzip", bomb))
	defer srv.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := New(Options{Timeout: 20 * time.Second, MaxBytes: 4 << 20, Retries: 2, Backoff: tiny})
	_, err := getWithin(t, context.Background(), c, Request{URL: srv.URL})
	runtime.ReadMemStats(&after)

	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindTooLarge || fe.Tries != 1 || !strings.HasSuffix(err.Error(), ": response larger than 4MB") {
		t.Fatalf("err = %v, want KindTooLarge 'response larger than 4MB' after 1 try", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 100<<20 {
		t.Errorf("allocated %s for a 4MB cap", FormatSize(int64(d)))
	}
}

// TestPerHostLimit runs 20 Gets against one server with PerHost 2.
func TestPerHostLimit(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		// Headers first, body after the pause: the slot must be held
		// until the body has been read, not just until headers arrive.
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
		io.WriteString(w, "ok")
		cur.Add(-1)
	}))
	defer srv.Close()

	c := New(Options{Timeout: 20 * time.Second, PerHost: 2, Backoff: tiny})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), Request{URL: srv.URL}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want exactly 2 (at most PerHost, and concurrent)", p)
	}
}

// TestPerHostLimitIsPerHost: with PerHost 1, a request to one host must not
// wait for a request to another (different port = different host).
func TestPerHostLimitIsPerHost(t *testing.T) {
	bDone := make(chan struct{})
	b := httptest.NewServer(okHandler("b"))
	defer b.Close()
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-bDone:
			io.WriteString(w, "a")
		case <-time.After(bound):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	defer a.Close()

	c := New(Options{Timeout: bound + 5*time.Second, PerHost: 1, Backoff: tiny})
	aErr := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), Request{URL: a.URL})
		aErr <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Get(ctx, Request{URL: b.URL}); err != nil {
		t.Fatalf("Get b while a is in flight: %v", err)
	}
	close(bDone)
	if err := <-aErr; err != nil {
		t.Fatal(err)
	}
}

// TestSlotFreeDuringBackoff: the per-host slot is given back while waiting to
// retry, so a request to the same host can run in that wait.
func TestSlotFreeDuringBackoff(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/busy", statusHandler(503))
	mux.Handle("/other", okHandler("ok"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := New(Options{Timeout: 5 * time.Second, PerHost: 1, Retries: 1, Backoff: tiny})
	var inner error = errors.New("sleep hook not called")
	c.sleep = func(ctx context.Context, d time.Duration) error {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, inner = c.Get(ictx, Request{URL: srv.URL + "/other"})
		return nil
	}
	_, err := getWithin(t, context.Background(), c, Request{URL: srv.URL + "/busy"})
	if !strings.HasSuffix(fmt.Sprint(err), "503 Service Unavailable after 2 tries") {
		t.Errorf("err = %v", err)
	}
	if inner != nil {
		t.Errorf("Get of the same host during the backoff: %v", inner)
	}
}

func TestCancel(t *testing.T) {
	held := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", hang)
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		held <- struct{}{}
		hang(w, r)
	})
	mux.Handle("/busy", statusHandler(503))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name, path, msg string
		opt             Options
	}{
		{"waiting for headers", "/hang", "canceled (context canceled)", Options{Timeout: bound}},
		{"waiting to retry", "/busy", "canceled while waiting to retry (context canceled)",
			Options{Timeout: bound, Retries: 3, Backoff: func(int) time.Duration { return time.Hour }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			_, err := getWithin(t, ctx, New(tt.opt), Request{URL: srv.URL + tt.path})
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != KindCanceled || fe.Tries != 1 || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want KindCanceled after 1 try wrapping context.Canceled", err)
			}
			if want := "GET " + srv.URL + tt.path + ": " + tt.msg; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
		})
	}

	t.Run("waiting for a host slot", func(t *testing.T) {
		c := New(Options{Timeout: bound, PerHost: 1})
		go c.Get(t.Context(), Request{URL: srv.URL + "/hold"}) // holds the only slot until the test ends
		<-held
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := getWithin(t, ctx, c, Request{URL: srv.URL + "/busy"})
		var fe *Error
		if !errors.As(err, &fe) || fe.Kind != KindCanceled {
			t.Fatalf("err = %v, want KindCanceled", err)
		}
	})
}

func TestLocalFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(path, []byte("<rss/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.xml")

	tests := []struct {
		name string
		url  string
		max  int64
		kind Kind
		msg  string
	}{
		{"absolute path", path, 0, 0, ""},
		{"file URL", "file://" + path, 0, 0, ""},
		{"file URL with localhost", "file://localhost" + path, 0, 0, ""},
		{"exactly MaxBytes", path, 6, 0, ""},
		{"missing file", missing, 0, KindFile, "open " + missing + ": no such file or directory"},
		{"missing file URL", "file://" + missing, 0, KindFile, "open " + missing + ": no such file or directory"},
		{"directory", dir, 0, KindFile, "read " + dir + ": is a directory"},
		{"larger than MaxBytes", path, 5, KindTooLarge, "read " + path + ": file larger than 5B"},
		{"remote file host", "file://server/feed.xml", 0, KindURL, `file URL file://server/feed.xml names host "server"; only local files can be read`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Options{MaxBytes: tt.max})
			resp, err := c.Get(context.Background(), Request{URL: tt.url, ETag: `"x"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"})
			if tt.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if string(resp.Body) != "<rss/>" || resp.NotModified || resp.Tries != 1 || resp.URL != tt.url || resp.ContentType != "" {
					t.Errorf("resp = %+v", *resp)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tt.kind || err.Error() != tt.msg {
				t.Fatalf("err = %v (%#v), want %v %q", err, err, tt.kind, tt.msg)
			}
			if tt.kind == KindFile && strings.Contains(tt.name, "missing") && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("missing file error does not wrap os.ErrNotExist")
			}
		})
	}
}

func TestMaxAge(t *testing.T) {
	for _, tt := range []struct {
		header []string
		want   time.Duration
	}{
		{nil, 0},
		{[]string{"max-age=300"}, 5 * time.Minute},
		{[]string{"public", "Max-Age=\"60\""}, time.Minute},
		{[]string{"max-age=300, no-cache"}, 0},
		{[]string{"no-store"}, 0},
		{[]string{"max-age=abc"}, 0},
		{[]string{"max-age=-1"}, 0},
	} {
		h := http.Header{"Cache-Control": tt.header}
		if got := maxAge(h); got != tt.want {
			t.Errorf("maxAge(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestLocalFileReadIsCapped: a huge file (sparse, so the test writes nothing)
// is read only up to MaxBytes, not loaded whole and then measured.
func TestLocalFileReadIsCapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = New(Options{MaxBytes: 1 << 20}).Get(context.Background(), Request{URL: path})
	runtime.ReadMemStats(&after)
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindTooLarge || err.Error() != "read "+path+": file larger than 1MB" {
		t.Fatalf("err = %v, want KindTooLarge", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
		t.Errorf("allocated %s for a 1MB cap", FormatSize(int64(d)))
	}
}

// TestTLS: an untrusted certificate is a permanent network error (no retry);
// an injected transport that trusts the test server fetches over https.
func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(encoded("br", compress(t, "br", "<rss/>")))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()

	_, err := getWithin(t, context.Background(), New(Options{Timeout: 5 * time.Second, Retries: 2, Backoff: tiny}), Request{URL: srv.URL})
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindNetwork || fe.Tries != 1 || IsTransient(err) ||
		!strings.HasPrefix(err.Error(), "GET "+srv.URL+": TLS certificate error: ") {
		t.Errorf("untrusted certificate: err = %v", err)
	}

	c := New(Options{Timeout: 5 * time.Second, Transport: srv.Client().Transport})
	resp, err := getWithin(t, context.Background(), c, Request{URL: srv.URL})
	if err != nil || string(resp.Body) != "<rss/>" {
		t.Errorf("trusted: resp %v, err %v", resp, err)
	}
}
