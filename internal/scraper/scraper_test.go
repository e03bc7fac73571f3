package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedpost/feedpost/internal/fetch"
)

// articlePage is a news page as Chinese portals build them: a nav bar, a
// sidebar of hot links, the article, a comment section and a footer.
func articlePage(charsetDecl string) string {
	var paras strings.Builder
	for i := range 8 {
		fmt.Fprintf(&paras, "<p>第%d段：记者从武汉经济开发区获悉，今年以来，当地持续推进产业升级和营商环境优化，"+
			"多家企业新增投资项目已经落地开工，预计全年新增就业岗位超过一万个。相关负责人表示，下一步将继续加大政策支持力度。</p>\n", i+1)
	}
	return `<!DOCTYPE html><html><head>` + charsetDecl + `<title>武汉经开区产业升级提速 - 新闻频道</title></head><body>
<div id="nav" class="nav"><ul><li><a href="/">首页</a></li><li><a href="/news">新闻</a></li><li><a href="/sports">体育</a></li><li><a href="/ent">娱乐</a></li></ul></div>
<div class="sidebar"><h3>热门推荐</h3><ul><li><a href="/hot/1">导航噪音一：明星八卦大揭秘</a></li><li><a href="/hot/2">导航噪音二：点击领取红包</a></li></ul></div>
<div class="main"><article><h1>武汉经开区产业升级提速</h1><div class="content">
<p><img src="/img/photo.jpg" alt="现场图片"></p>
` + paras.String() + `</div></article></div>
<div id="comments" class="comments"><h3>网友评论</h3><div class="comment">评论噪音：沙发！楼主好人</div><div class="comment">评论噪音：路过看看</div></div>
<div class="footer">版权所有 2026 某某新闻网 京ICP备00000000号</div>
</body></html>`
}

func newClient() *fetch.Client {
	return fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, PerHost: 2, UserAgent: "test"})
}

func TestExtract(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(articlePage(`<meta charset="gbk">`))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/utf8", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, articlePage(`<meta charset="utf-8">`))
	})
	// GBK declared only in <meta>, as most old Chinese portals do.
	mux.HandleFunc("/gbk-meta", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, gbk)
	})
	// GBK declared in the header while the page says nothing.
	mux.HandleFunc("/gbk-header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=GBK")
		s, _ := simplifiedchinese.GBK.NewEncoder().String(articlePage(""))
		fmt.Fprint(w, s)
	})
	mux.HandleFunc("/unlabelled", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing by net/http
		fmt.Fprint(w, articlePage(`<meta charset="utf-8">`))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/deep/path/utf8", http.StatusFound)
	})
	mux.HandleFunc("/deep/path/utf8", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, strings.Replace(articlePage(""), `src="/img/photo.jpg"`, `src="photo.jpg"`, 1))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path    string
		wantImg string
	}{
		{"/utf8", srv.URL + "/img/photo.jpg"},
		{"/gbk-meta", srv.URL + "/img/photo.jpg"},
		{"/gbk-header", srv.URL + "/img/photo.jpg"},
		{"/unlabelled", srv.URL + "/img/photo.jpg"},
		// Relative links resolve against the page after redirects.
		{"/redirect", srv.URL + "/deep/path/photo.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Extract(context.Background(), newClient(), srv.URL+tt.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"第1段：记者从武汉经济开发区获悉", "第8段", "下一步将继续加大政策支持力度", tt.wantImg} {
				if !strings.Contains(got, want) {
					t.Errorf("article lacks %q:\n%s", want, got)
				}
			}
			for _, noise := range []string{"导航噪音", "评论噪音", "首页", "版权所有", "<script"} {
				if strings.Contains(got, noise) {
					t.Errorf("article keeps page noise %q:\n%s", noise, got)
				}
			}
		})
	}
}

func TestExtractErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF-1.4 ...")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head><title>x</title></head><body><nav><a href='/'>首页</a></nav></body></html>")
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><p>"+strings.Repeat("很长的页面", 100_000)+"</p></body></html>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		url     string
		want    string
		noContn bool
	}{
		{srv.URL + "/missing", "GET " + srv.URL + "/missing: 404 Not Found", false},
		{srv.URL + "/pdf", "not an HTML page (Content-Type application/pdf)", false},
		{srv.URL + "/empty", "no article content found", true},
		{srv.URL + "/huge", "response larger than 1MB", false},
		// An item link is untrusted: it must never make us read local files.
		{"file:///etc/passwd", "not an http(s) link", false},
		{"/etc/passwd", "not an http(s) link", false},
		{"javascript:alert(1)", "not an http(s) link", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := Extract(context.Background(), newClient(), tt.url)
			if err == nil {
				t.Fatalf("no error; got %q", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if errors.Is(err, ErrNoContent) != tt.noContn {
				t.Errorf("errors.Is(ErrNoContent) = %v, want %v", !tt.noContn, tt.noContn)
			}
		})
	}
}
