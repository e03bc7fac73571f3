package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

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
	e := newEnv(t, "  - url: "+srv.URL+"/feed\n    name: ft\n    fulltext: true\n")

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
