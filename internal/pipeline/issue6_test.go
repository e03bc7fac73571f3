package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/parse"
)

// runConfig runs one cycle of the project yml and returns the summary and
// the project folder.
func runConfig(t *testing.T, yml string) (*Summary, string) {
	t.Helper()
	e := newEnvYAML(t, yml)
	client := fetch.New(fetch.Options{Timeout: 5 * time.Second, UserAgent: "test", Backoff: func(int) time.Duration { return time.Millisecond }})
	sum, err := New(e.cfg, e.st, Options{Client: client}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sum, e.dir
}

func postFiles(t *testing.T, dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "posts", "*.md"))
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		out = append(out, string(b))
	}
	return out
}

func TestCrossSourceDedupe(t *testing.T) {
	story := func(link string) string {
		return `<item><guid>` + link + `</guid><title>同一篇报道</title><link>` + link + `</link><description>正文</description><pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate></item>`
	}
	a := newFeedServer(t, rss(story("https://news.example.com/a/1?utm_source=rss&utm_medium=feed")))
	b := newFeedServer(t, rss(story("http://www.news.example.com/a/1/?spm=abc&from=timeline"),
		item("own", "独家", "<p>只有乙有</p>", "Tue, 17 Aug 2021 07:56:06 GMT")))
	yml := "hexo: {dir: posts}\nsite: {dir: ''}\nsources:\n  - url: " + a.URL + "\n    name: a\n  - url: " + b.URL + "\n    name: b\n"
	sum, dir := runConfig(t, yml)
	if n := len(postFiles(t, dir)); n != 2 {
		t.Fatalf("want 2 posts (the shared story once), got %d", n)
	}
	dups := 0
	for _, s := range sum.Sources {
		dups += s.Duplicates
	}
	if dups != 1 {
		t.Errorf("summary counts %d duplicates, want 1: %+v", dups, sum.Sources)
	}
	// dedupe: off keeps both.
	_, dir2 := runConfig(t, "dedupe: off\n"+yml)
	if n := len(postFiles(t, dir2)); n != 3 {
		t.Errorf("dedupe off: want 3 posts, got %d", n)
	}
}

func TestRSSHubFalloverAndCategoryAuto(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/sample/qutoutiao-category-1.xml")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := os.ReadFile("../rsshub/testdata/namespace-qutoutiao.json")
	if err != nil {
		t.Fatal(err)
	}
	var downHits atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downHits.Add(1)
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	var gotKey atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey.Store(r.URL.Query().Get("key"))
		switch r.URL.Path {
		case "/api/namespace/qutoutiao":
			w.Header().Set("Content-Type", "application/json")
			w.Write(ns)
		case "/qutoutiao/category/1":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(sample)
		default:
			http.NotFound(w, r)
		}
	}))
	defer up.Close()
	yml := "hexo: {dir: posts}\nsite: {dir: ''}\nrsshub: [" + down.URL + ", " + up.URL + "]\nrsshub_key: s3cret\nfetch: {retries: 0}\n" +
		"sources:\n  - route: /qutoutiao/category/1\n    category: auto\n    limit: 1\n"
	sum, dir := runConfig(t, yml)
	if s := sum.Sources[0]; s.Status != StatusOK || s.New != 1 {
		t.Fatalf("summary: %+v", s)
	}
	if downHits.Load() == 0 {
		t.Errorf("the first instance was never tried")
	}
	if gotKey.Load() != "s3cret" {
		t.Errorf("access key not sent: %v", gotKey.Load())
	}
	posts := postFiles(t, dir)
	if len(posts) != 1 {
		t.Fatalf("want 1 post, got %d", len(posts))
	}
	if !strings.Contains(posts[0], "categories:\n - 新媒体\n - 趣头条\n - 分类\n") {
		t.Errorf("category auto: %s", posts[0][:300])
	}
}

func TestFilterTargets(t *testing.T) {
	items := []parse.Item{
		{GUID: "1", Title: "Linux 内核发布", Content: "<p>新版本</p>", Author: "张三", Categories: []string{"开源"}},
		{GUID: "2", Title: "手机促销", Content: "<p>这是广告</p>", Author: "李四", Categories: []string{"购物"}},
		{GUID: "3", Title: "Windows 更新", Content: "<p>补丁</p>", Author: "王五", Categories: []string{"系统"}},
	}
	re := regexp.MustCompile
	cases := []struct {
		name             string
		include, exclude config.Filter
		want             string
	}{
		{"include title", config.Filter{Title: re("(?i)linux|windows")}, config.Filter{}, "1,3"},
		{"exclude content", config.Filter{}, config.Filter{Content: re("广告")}, "1,3"},
		{"include author", config.Filter{Author: re("^李")}, config.Filter{}, "2"},
		{"exclude category", config.Filter{}, config.Filter{Category: re("购物|系统")}, "1"},
		{"include and exclude", config.Filter{Title: re("(?i)linux|windows")}, config.Filter{Author: re("王五")}, "1"},
		{"content is text, not markup", config.Filter{Content: re("<p>")}, config.Filter{}, ""},
	}
	r := &Runner{now: time.Now}
	for _, c := range cases {
		src := &config.Source{Include: c.include, Exclude: c.exclude}
		got, _ := r.selectItems(items, src)
		var ids []string
		for _, it := range got {
			ids = append(ids, it.GUID)
		}
		if strings.Join(ids, ",") != c.want {
			t.Errorf("%s: kept %v, want %s", c.name, ids, c.want)
		}
	}
}
