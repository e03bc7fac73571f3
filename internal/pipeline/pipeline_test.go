package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/store"
	"github.com/feedpost/feedpost/internal/store/storetest"
)

// feedServer serves a mutable RSS body with an ETag and counts responses.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	status   int
	full, nm atomic.Int32
}

func newFeedServer(t *testing.T, body string) *feedServer {
	fs := &feedServer{body: body, status: 200}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		body, status := fs.body, fs.status
		fs.mu.Unlock()
		if status != 200 {
			http.Error(w, "boom", status)
			return
		}
		etag := fmt.Sprintf(`"%x"`, len(body)*31+int(body[len(body)/2]))
		if r.Header.Get("If-None-Match") == etag {
			fs.nm.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fs.full.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(body string) {
	fs.mu.Lock()
	fs.body = body
	fs.mu.Unlock()
}

func rss(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>测试源</title><link>https://news.example.com/</link>` +
		strings.Join(items, "") + `</channel></rss>`
}

func item(guid, title, body, date string) string {
	s := "<item>"
	if guid != "" {
		s += "<guid>" + guid + "</guid>"
	}
	s += "<title>" + title + "</title><link>https://news.example.com/" + guid + "</link><description><![CDATA[" + body + "]]></description>"
	if date != "" {
		s += "<pubDate>" + date + "</pubDate>"
	}
	return s + "</item>"
}

type env struct {
	t   *testing.T
	dir string
	cfg *config.Config
	st  *store.Store
	now time.Time
}

func newEnv(t *testing.T, sources string) *env {
	t.Helper()
	return newEnvYAML(t, "site: {timezone: Asia/Shanghai}\nhexo: {dir: posts}\nimages: {proxy: 'https://proxy.example/?'}\nsources:\n"+sources)
}

// newEnvYAML writes yml as the config of a fresh project folder, loads it
// and opens its store.
func newEnvYAML(t *testing.T, yml string) *env {
	t.Helper()
	return newEnvIn(t, t.TempDir(), yml)
}

// newEnvIn is newEnvYAML in the project folder dir.
func newEnvIn(t *testing.T, dir, yml string) *env {
	t.Helper()
	path := filepath.Join(dir, "feedpost.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = storetest.Target(t, cfg.Store)
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{t: t, dir: dir, cfg: cfg, st: st, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (e *env) run() *Summary {
	e.t.Helper()
	client := fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, PerHost: 2, Retries: 0, UserAgent: "test"})
	r := New(e.cfg, e.st, Options{Now: func() time.Time { return e.now }, Client: client})
	sum, err := r.Run(context.Background())
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return sum
}

func (e *env) posts() map[string]string {
	e.t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.dir, "posts", "*.md"))
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func frontMatter(t *testing.T, post string) map[string]any {
	t.Helper()
	end := strings.Index(post[4:], "\n---\n")
	var fm map[string]any
	if err := yaml.Unmarshal([]byte(post[4:4+end]), &fm); err != nil {
		t.Fatalf("front matter: %v\n%s", err, post)
	}
	return fm
}

func TestSecondRunWritesNothing(t *testing.T) {
	fs := newFeedServer(t, rss(
		item("a", "第一条", "<p>正文一 <img src='http://img.example/1.jpg'></p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
		item("b", "第二条", "<p>正文二</p>", "Tue, 17 Aug 2021 07:56:06 GMT")))
	e := newEnv(t, "  - url: "+fs.URL+"\n    category: [新闻, 测试]\n")
	sum := e.run()
	if got := sum.Sources[0]; got.Status != StatusOK || got.New != 2 || sum.PostsWritten != 2 {
		t.Fatalf("first run: %+v written %d", got, sum.PostsWritten)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "posts", "*.md"))
	mtimes := map[string]time.Time{}
	for _, f := range files {
		st, _ := os.Stat(f)
		mtimes[f] = st.ModTime()
	}
	time.Sleep(20 * time.Millisecond)
	sum = e.run()
	if got := sum.Sources[0]; got.Status != StatusUnchanged || got.Unchanged != 2 || sum.PostsWritten != 0 {
		t.Fatalf("second run: %+v written %d", got, sum.PostsWritten)
	}
	if fs.nm.Load() != 1 || fs.full.Load() != 1 {
		t.Errorf("want 1 full response and 1 304, got %d and %d", fs.full.Load(), fs.nm.Load())
	}
	for f, m := range mtimes {
		st, _ := os.Stat(f)
		if !st.ModTime().Equal(m) {
			t.Errorf("%s rewritten by the second run", f)
		}
	}
}

func TestChangedItemRewrittenInPlace(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "标题", "<p>旧的正文</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e := newEnv(t, "  - url: "+fs.URL+"\n")
	e.run()
	before := e.posts()
	fs.set(rss(item("a", "标题", "<p>新的正文，内容已更新</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	sum := e.run()
	after := e.posts()
	if len(before) != 1 || len(after) != 1 {
		t.Fatalf("want one file before and after, got %d and %d", len(before), len(after))
	}
	for name, body := range after {
		if _, ok := before[name]; !ok {
			t.Fatalf("changed item went to a new file %s", name)
		}
		if !strings.Contains(body, "新的正文") || strings.Contains(body, "旧的正文") {
			t.Errorf("post not rewritten: %s", body)
		}
	}
	if r := sum.Sources[0]; r.Updated != 1 || r.New != 0 || r.Status != StatusOK {
		t.Errorf("summary %+v", r)
	}
}

func TestDuplicateGUIDsAreOnePost(t *testing.T) {
	fs := newFeedServer(t, rss(
		item("same", "第一次出现", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
		item("same", "第二次出现", "<p>二</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e := newEnv(t, "  - url: "+fs.URL+"\n")
	sum := e.run()
	posts := e.posts()
	if len(posts) != 1 || sum.Sources[0].Duplicates != 1 {
		t.Fatalf("want 1 post and 1 duplicate, got %d posts, %+v", len(posts), sum.Sources[0])
	}
	for _, p := range posts {
		if frontMatter(t, p)["title"] != "第一次出现" {
			t.Errorf("the first item in feed order must win: %s", p)
		}
	}
	// Across fetches: the same guid later is the same post, not a second one.
	fs.set(rss(item("same", "第一次出现", "<p>一（更新）</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e.run()
	if n := len(e.posts()); n != 1 {
		t.Errorf("want 1 post after a second fetch, got %d", n)
	}
}

func TestUndatedItemKeepsFirstDate(t *testing.T) {
	fs := newFeedServer(t, rss(item("u", "没有日期", "<p>旧</p>", "")))
	e := newEnv(t, "  - url: "+fs.URL+"\n")
	first := e.now
	e.run()
	e.now = first.Add(48 * time.Hour)
	fs.set(rss(item("u", "没有日期", "<p>新内容让它重新解析</p>", "")))
	sum := e.run()
	if sum.Sources[0].Updated != 1 {
		t.Fatalf("want the item updated: %+v", sum.Sources[0])
	}
	for _, p := range e.posts() {
		fm := frontMatter(t, p)
		d, err := time.Parse(time.RFC3339, fm["date"].(string))
		if err != nil || !d.Equal(first) {
			t.Errorf("date %v (%v), want the first-seen %v", fm["date"], err, first)
		}
		if !strings.Contains(fm["date"].(string), "+08:00") {
			t.Errorf("date %v not written in site.timezone", fm["date"])
		}
	}
}

func TestFailingSourceDoesNotStopOthers(t *testing.T) {
	good := newFeedServer(t, rss(item("g", "好的", "<p>好</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	bad := newFeedServer(t, rss())
	bad.status = 503
	e := newEnv(t, "  - url: "+good.URL+"\n  - url: "+bad.URL+"/feed\n    name: bad\n")
	sum := e.run()
	if !sum.Failed() || len(e.posts()) != 1 {
		t.Fatalf("want a failed summary and the good post: %+v", sum)
	}
	var badRes SourceResult
	for _, r := range sum.Sources {
		if r.Name == "bad" {
			badRes = r
		}
	}
	if badRes.Status != StatusFailed || !strings.Contains(badRes.Error, "503") {
		t.Errorf("bad source result: %+v", badRes)
	}
	st, _, err := e.st.Source(context.Background(), "bad")
	if err != nil || st.Failures != 1 || !strings.Contains(st.LastError, "503") {
		t.Errorf("failure not recorded in the store: %+v %v", st, err)
	}
}

func TestPendingItemsAreWrittenByTheNextRun(t *testing.T) {
	fs := newFeedServer(t, rss(item("p", "待写", "<p>正文</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e := newEnv(t, "  - url: "+fs.URL+"\n")
	e.run()
	// Simulate a kill between the store commit and the file write.
	for name := range e.posts() {
		os.Remove(filepath.Join(e.dir, "posts", name))
	}
	it, ok, err := e.st.Item(context.Background(), strings.TrimSuffix(firstKey(t, e), ".md"))
	if err != nil || !ok {
		t.Fatalf("item: %v %v", ok, err)
	}
	it.Pending = true
	it.Hash = "changed"
	if err := e.st.PutItems(context.Background(), []store.Item{it}); err != nil {
		t.Fatal(err)
	}
	e.run()
	if n := len(e.posts()); n != 1 {
		t.Fatalf("pending post not written: %d files", n)
	}
}

func firstKey(t *testing.T, e *env) string {
	t.Helper()
	var ids []string
	e.st.EachItem(context.Background(), func(it store.Item) error { ids = append(ids, it.ID); return nil })
	if len(ids) == 0 {
		t.Fatal("no items")
	}
	return ids[0] + ".md"
}
