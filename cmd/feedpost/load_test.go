package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoad500 measures a run of the real binary over 500 local sources (20
// items of about 8KB each), 10% of them faulty, under /usr/bin/time -v, and
// logs the wall time and peak RSS. It is a measurement, not a check, so it
// runs only when asked:
//
//	FEEDPOST_LOADTEST=1 go test -run TestLoad500 -v ./cmd/feedpost
func TestLoad500(t *testing.T) {
	if os.Getenv("FEEDPOST_LOADTEST") != "1" {
		t.Skip("set FEEDPOST_LOADTEST=1 to run the 500-source measurement")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("needs /usr/bin/time (GNU time)")
	}
	const (
		sources = 500
		hosts   = 25 // sources spread over 25 local servers, 20 each
		items   = 20
	)
	faults := []string{"503", "hang", "stall", "reset", "1GB", "gzip-bomb", "redirect-loop", "404", "html", "truncated"}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bombBody := bytes.Repeat(bomb.Bytes(), 64) // 64MB decoded

	para := strings.Repeat("这是一段用于压力测试的新闻正文，内容足够长以接近真实文章的大小。", 43) // ~8KB
	feed := func(i int) string {
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>源%d</title>`, i)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for j := range items {
			fmt.Fprintf(&b, `<item><guid>s%d-%d</guid><title>源%d 第%d条</title><link>https://news.example.com/%d/%d</link>`+
				`<description><![CDATA[<p><img src="http://img.example.com/%d/%d.jpg"></p><p>%s</p>]]></description><pubDate>%s</pubDate></item>`,
				i, j, i, j, i, j, i, j, para, base.Add(-time.Duration(j)*time.Hour).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		return b.String()
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
		if i%10 != 0 { // 90% healthy, with ETags
			etag := fmt.Sprintf(`"%d"`, i)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			fmt.Fprint(w, feed(i))
			return
		}
		switch faults[(i/10)%len(faults)] {
		case "503":
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "hang":
			<-r.Context().Done()
		case "stall":
			w.Header().Set("Content-Length", "100000")
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel>`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "reset":
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		case "1GB":
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for n := 0; n < 1<<30; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "gzip-bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bombBody)
		case "redirect-loop":
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		case "404":
			http.NotFound(w, r)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><head><title>维护中</title></head><body></body></html>")
		case "truncated":
			s := feed(i)
			fmt.Fprint(w, s[:len(s)/2])
		}
	}
	var urls []string
	for range hosts {
		srv := httptest.NewServer(http.HandlerFunc(handler))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	bin := buildFeedpost(t, t.TempDir())

	// measure runs the binary once under /usr/bin/time -v.
	measure := func(label, dir, cfgPath string) {
		cmd := exec.Command("/usr/bin/time", "-v", bin, "run", "-q", "-c", cfgPath)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		out := stderr.String()
		field := func(name string) string {
			m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `: (.*)$`).FindStringSubmatch(out)
			if m == nil {
				return "?"
			}
			return m[1]
		}
		rssKB, _ := strconv.Atoi(field("Maximum resident set size (kbytes)"))
		failed := len(regexp.MustCompile(`(?m)^source s\d+: `).FindAllString(out, -1))
		posts, _ := filepath.Glob(filepath.Join(dir, "hexo", "*.md"))
		t.Logf("%s: exit %d, wall %s, peak RSS %.1f MB, user %ss, sys %ss, %d failed sources reported, %d post files",
			label, code, field("Elapsed (wall clock) time (h:mm:ss or m:ss)"), float64(rssKB)/1024,
			field("User time (seconds)"), field("System time (seconds)"), failed, len(posts))
		if code != exitFailed || failed != sources/10 {
			t.Errorf("%s: exit code %d and %d failed sources, want 1 and %d", label, code, failed, sources/10)
		}
	}
	for _, v := range []struct{ name, site string }{
		{"posts only (site.dir '')", "site: {dir: ''}\n"},
		{"with the built-in site", ""},
	} {
		dir := t.TempDir()
		var cfg strings.Builder
		cfg.WriteString(v.site + "hexo: {dir: hexo}\nfetch: {concurrency: 8, per_host: 2, timeout: 2s, retries: 2, max_bytes: 4MB}\nsources:\n")
		for i := range sources {
			fmt.Fprintf(&cfg, "  - {url: %s/f/%d, name: s%d}\n", urls[i%hosts], i, i)
		}
		cfgPath := filepath.Join(dir, "feedpost.yaml")
		if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		measure(v.name+", first run (all new)", dir, cfgPath)
		measure(v.name+", second run (304s, faulty sources fail again)", dir, cfgPath)
	}
}
