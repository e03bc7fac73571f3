package serve

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/store"
)

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type upstream struct {
	mu    sync.Mutex
	items []string
}

func (u *upstream) add(title string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.items = append(u.items, title)
}

func TestServeRefreshesAndServes(t *testing.T) {
	img := pngBytes(t)
	up := &upstream{}
	up.add("第一条新闻")
	var feedURL string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pic.png" {
			w.Header().Set("Content-Type", "text/plain") // the proxy must sniff, not trust
			w.Write(img)
			return
		}
		up.mu.Lock()
		defer up.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>本地源</title><link>`+feedURL+`</link>`)
		for i, title := range up.items {
			fmt.Fprintf(w, `<item><guid>g%d</guid><title>%s</title><link>%s/a/%d</link><pubDate>Tue, 17 Aug 2021 0%d:00:00 GMT</pubDate>`+
				`<description><![CDATA[<p>正文 %d <img src="%s/pic.png"></p>]]></description></item>`, i, title, feedURL, i, i, i, feedURL)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	defer ts.Close()
	feedURL = ts.URL

	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	yml := fmt.Sprintf(`site: {url: %q, dir: public, title: 测试站}
images: {proxy: builtin, proxy_scope: all, allow_private: true}
secret: test-secret
hexo: {dir: posts}
sources:
  - url: %s/feed
    name: local
    category: [新闻, 本地]
    interval: 300ms
`, base, ts.URL)
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	os.WriteFile(cfgPath, []byte(yml), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := New(cfg, st, Options{Listener: ln, Tick: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()

	waitPosts := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			files, _ := filepath.Glob(filepath.Join(dir, "posts", "*.md"))
			if len(files) >= n {
				return files
			}
			if time.Now().After(deadline) {
				t.Fatalf("want %d posts, have %d", n, len(files))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	files := waitPosts(1)
	up.add("第二条新闻")
	waitPosts(2)

	// The site follows without a restart.
	deadline := time.Now().Add(20 * time.Second)
	for {
		body := get(t, base+"/", 200)
		if strings.Contains(body, "第二条新闻") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("home page never showed the new item")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body := get(t, base+"/healthz", 200); !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("healthz: %s", body)
	}

	// Post images point at the built-in proxy, which serves them.
	post, _ := os.ReadFile(files[0])
	m := regexp.MustCompile(`src="(` + regexp.QuoteMeta(base) + `/img/[^"]+)"`).FindSubmatch(post)
	if m == nil {
		t.Fatalf("no builtin proxy URL in the post:\n%s", post)
	}
	resp, err := http.Get(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(data, img) {
		t.Errorf("proxied image: %d %s (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(data))
	}
	tampered := strings.Replace(string(m[1]), "/img/", "/img/x", 1)
	get(t, tampered, 403)

	metrics := get(t, base+"/metrics", 200)
	for _, want := range []string{"feedpost_fetches_total{outcome=\"ok\"}", "feedpost_items_total{kind=\"new\"}", "feedpost_proxy_requests_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	cancel()
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Error(err)
	}
}

func get(t *testing.T, url string, want int) string {
	t.Helper()
	return getWith(t, http.DefaultClient, url, want)
}
