package pipeline

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/netguard"
	"github.com/feedpost/feedpost/internal/post"
)

// newsPage is an article page with the usual noise around it.
func newsPage(charsetDecl, topic string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head>` + charsetDecl + `<title>` + topic + `</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/news">新闻</a> <a href="/tech">科技</a></div>
<div class="sidebar"><h3>热门</h3><a href="/hot">侧栏噪音：点击领取红包</a></div><article>`)
	for i := range 6 {
		fmt.Fprintf(&b, "<p>%s全文第%d段：据介绍，该项目总投资超过十亿元，建成后将形成完整的产业链条，"+
			"带动上下游企业协同发展，为区域经济高质量发展注入新动能。</p>", topic, i+1)
	}
	b.WriteString(`</article><div class="comments">评论噪音：沙发</div></body></html>`)
	return b.String()
}

func TestFulltext(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var feedBody atomic.Value
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, strings.ReplaceAll(feedBody.Load().(string), "SRV", srv.URL))
	})
	mux.HandleFunc("/article/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/article/good":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, newsPage(`<meta charset="utf-8">`, "好文章"))
		case "/article/gbk":
			w.Header().Set("Content-Type", "text/html")
			s, _ := simplifiedchinese.GBK.NewEncoder().String(newsPage(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`, "国标码"))
			fmt.Fprint(w, s)
		default:
			http.NotFound(w, r)
		}
	})
	entry := func(guid, path, summary string) string {
		return "<item><guid>" + guid + "</guid><title>" + guid + "</title><link>SRV" + path + "</link>" +
			"<description><![CDATA[" + summary + "]]></description><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item>"
	}
	feedBody.Store(rss(
		entry("good", "/article/good", "<p>摘要一</p>"),
		entry("gone", "/article/gone", "<p>摘要二：页面不存在时保留</p>"),
		entry("gone2", "/article/gone2", "<p>摘要三</p>"),
		entry("gbk", "/article/gbk", "<p>摘要四</p>")))
	// The articles are on the loopback test server: allow_private lets
	// them through the content guard (TestFulltextGuard tests the guard).
	e := newEnv(t, "  - url: "+srv.URL+"/feed\n    name: ft\n    fulltext: true\n    allow_private: true\n")

	sum := e.run()
	r := sum.Sources[0]
	if r.Status != StatusOK || r.New != 4 || r.Error != "" {
		t.Fatalf("summary %+v", r)
	}
	wantNote := "fulltext failed for 2 items: GET " + srv.URL + "/article/gone: 404 Not Found"
	if r.Note != wantNote {
		t.Errorf("note %q, want %q", r.Note, wantNote)
	}
	postOf := func(guid string) string {
		return e.posts()[post.ID("ft", guid, "", "", "")+".md"]
	}
	for guid, want := range map[string]string{
		"good": "好文章全文第6段：据介绍",
		"gbk":  "国标码全文第1段：据介绍，该项目总投资超过十亿元",
		"gone": "摘要二：页面不存在时保留",
	} {
		p := postOf(guid)
		if !strings.Contains(p, want) {
			t.Errorf("post %s lacks %q:\n%s", guid, want, p)
		}
		if strings.Contains(p, "噪音") {
			t.Errorf("post %s keeps page noise:\n%s", guid, p)
		}
	}
	if p := postOf("good"); strings.Contains(p, "摘要一") {
		t.Errorf("fulltext post still uses the feed summary:\n%s", p)
	}

	// The feed changes the item: the article is not fetched again, and the
	// post keeps the stored fulltext.
	feedBody.Store(rss(
		entry("good", "/article/good", "<p>摘要一（已修改）</p>"),
		entry("gone", "/article/gone", "<p>摘要二：页面不存在时保留</p>"),
		entry("gone2", "/article/gone2", "<p>摘要三</p>"),
		entry("gbk", "/article/gbk", "<p>摘要四</p>")))
	sum = e.run()
	if r := sum.Sources[0]; r.Updated != 1 || r.Unchanged != 3 || r.Note != "" {
		t.Fatalf("second run %+v", r)
	}
	mu.Lock()
	if hits["/article/good"] != 1 || hits["/article/gbk"] != 1 {
		t.Errorf("articles fetched again: %v", hits)
	}
	mu.Unlock()
	if p := postOf("good"); !strings.Contains(p, "好文章全文第6段") {
		t.Errorf("updated item lost its fulltext:\n%s", p)
	}
	it, ok, err := e.st.Item(context.Background(), post.ID("ft", "good", "", "", ""))
	if err != nil || !ok || !strings.Contains(it.Fulltext, "好文章全文第1段") {
		t.Errorf("fulltext not stored: %v %v %.80q", ok, err, it.Fulltext)
	}
}

// TestFulltextGuard: an item whose link resolves to a loopback address —
// directly, or through a redirect from a host that looks public — is not
// fetched: the item keeps the feed's own content and the note says why. The
// feed itself is on loopback too (an operator's URL, never guarded). With
// allow_private: true on the source the same links are fetched.
func TestFulltextGuard(t *testing.T) {
	var articleHits atomic.Int32
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		link := func(guid, u string) string {
			return "<item><guid>" + guid + "</guid><title>" + guid + "</title><link>" + u + "</link>" +
				"<description><![CDATA[<p>摘要：" + guid + "</p>]]></description><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item>"
		}
		fmt.Fprint(w, rss(
			link("direct", fmt.Sprintf("http://intranet.test:%d/article/secret", port)),
			link("redirect", fmt.Sprintf("http://public.test:%d/go?to=http://intranet.test:%d/article/secret", port, port))))
	})
	mux.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) {
		if r.Host == fmt.Sprintf("public.test:%d", port) && r.URL.Query().Get("to") != "" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("/article/", func(w http.ResponseWriter, r *http.Request) {
		articleHits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, newsPage(`<meta charset="utf-8">`, "内网机密"))
	})
	// intranet.test resolves to loopback. public.test resolves to loopback
	// as well, but the guard lets the redirector through as if it were a
	// public address; the redirect's target must still be refused.
	loop := netip.MustParseAddr("127.0.0.1")
	var redirector atomic.Bool
	guard := &netguard.Dialer{
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "intranet.test":
				redirector.Store(false)
				return []netip.Addr{loop}, nil
			case "public.test":
				redirector.Store(true)
				return []netip.Addr{loop}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		Allow: func(netip.AddrPort) bool { return redirector.Load() },
	}
	for _, allow := range []bool{false, true} {
		articleHits.Store(0)
		src := "  - url: " + srv.URL + "/feed\n    name: ft\n    fulltext: true\n"
		if allow {
			src += "    allow_private: true\n"
		}
		e := newEnv(t, src)
		client := fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, PerHost: 1, Retries: 0, UserAgent: "test"})
		r := New(e.cfg, e.st, Options{Now: func() time.Time { return e.now }, Client: client, ContentGuard: guard})
		sum, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		res := sum.Sources[0]
		postOf := func(guid string) string { return e.posts()[post.ID("ft", guid, "", "", "")+".md"] }
		if !allow {
			want := fmt.Sprintf("fulltext failed for 2 items: GET http://intranet.test:%d/article/secret: refused: intranet.test resolves to 127.0.0.1, which is loopback", port)
			if res.Status != StatusOK || res.New != 2 || !strings.HasPrefix(res.Note, want) {
				t.Errorf("guarded: status %s, %d new, note %q; want ok, 2 new, note starting %q", res.Status, res.New, res.Note, want)
			}
			if n := articleHits.Load(); n != 0 {
				t.Errorf("guarded: the intranet article was fetched %d times", n)
			}
			for _, guid := range []string{"direct", "redirect"} {
				if p := postOf(guid); !strings.Contains(p, "摘要："+guid) || strings.Contains(p, "内网机密") {
					t.Errorf("guarded: post %s does not keep the feed's content:\n%s", guid, p)
				}
			}
			continue
		}
		if res.Note != "" || articleHits.Load() != 2 {
			t.Errorf("allow_private: note %q, %d article fetches; want none and 2", res.Note, articleHits.Load())
		}
		if p := postOf("direct"); !strings.Contains(p, "内网机密全文第1段") {
			t.Errorf("allow_private: the article was not used:\n%s", p)
		}
	}
}
