package pipeline

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/schedule"
)

// TestSummaryAfterRecoveredFailure: a run whose post files could not be
// written fails (exit 1, the error) and keeps the items pending; the next
// run writes them and its summary counts them, instead of "posts_written:
// 0, unchanged".
func TestSummaryAfterRecoveredFailure(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
		item("b", "第二条", "<p>二</p>", "Tue, 17 Aug 2021 07:56:06 GMT")))
	e := newEnv(t, "  - url: "+fs.URL+"\n    name: src\n")
	posts := filepath.Join(e.dir, "posts")
	// A file where the posts folder should be: every write fails.
	if err := os.WriteFile(posts, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	client := fetch.New(fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, UserAgent: "test"})
	r := New(e.cfg, e.st, Options{Now: func() time.Time { return e.now }, Client: client})
	sum, err := r.Run(t.Context())
	r.Close()
	if err == nil || sum == nil || sum.PostsWritten != 0 {
		t.Fatalf("first run: %v, %+v", err, sum)
	}
	if err := os.Remove(posts); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	sum = e.run()
	if sum.PostsWritten != 2 || !strings.Contains(sum.Note, "earlier run") {
		t.Errorf("recovering run: posts_written %d, note %q, sources %+v", sum.PostsWritten, sum.Note, sum.Sources)
	}
	if got := len(e.posts()); got != 2 {
		t.Errorf("%d post files, want 2", got)
	}
	// And the run after that writes nothing and says nothing of it.
	e.now = e.now.Add(time.Minute)
	sum = e.run()
	if r := sum.Sources[0]; sum.PostsWritten != 0 || r.Status != StatusUnchanged || sum.Note != "" {
		t.Errorf("third run: posts_written %d, note %q, source %+v", sum.PostsWritten, sum.Note, r)
	}
}

// TestNotAFeedBacksOff: a source that keeps answering an HTML page (a
// login wall, a parked domain) fails like any other and backs off after
// schedule.BackoffAfter runs; it used to reset its failure count on every
// successful HTTP answer.
func TestNotAFeedBacksOff(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><html><head><title>登录</title></head><body>请登录</body></html>"))
	}))
	t.Cleanup(srv.Close)
	e := newEnv(t, "  - url: "+srv.URL+"\n    name: html\n")
	for i := 1; i <= schedule.BackoffAfter; i++ {
		sum := e.run()
		if r := sum.Sources[0]; r.Status != StatusFailed || !strings.Contains(r.Error, "not a feed") {
			t.Fatalf("run %d: %+v", i, r)
		}
		e.now = e.now.Add(time.Minute)
	}
	st, _, _ := e.st.Source(t.Context(), "html")
	if st.Failures != schedule.BackoffAfter {
		t.Fatalf("%d failures stored, want %d", st.Failures, schedule.BackoffAfter)
	}
	before := hits
	sum := e.run()
	if r := sum.Sources[0]; r.Status != StatusSkipped || hits != before {
		t.Errorf("after %d failures: %+v, %d more requests", schedule.BackoffAfter, r, hits-before)
	}
}

// TestAuthorsFile: with the Volantis preset, the run keeps an entry per
// feed author in source/_data/author.yml — name, the feed's icon, its
// site — next to the user's own entries, which it never changes.
func TestAuthorsFile(t *testing.T) {
	feed := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>测试源</title>` +
		`<link>https://news.example.com/</link><image><url>https://news.example.com/icon.png</url><title>测试源</title>` +
		`<link>https://news.example.com/</link></image>` + item("a", "一", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT") + `</channel></rss>`
	fs := newFeedServer(t, feed)
	fs2 := newFeedServer(t, rss(item("b", "二", "<p>二</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	dir := t.TempDir()
	for name, data := range map[string]string{
		"blog/_config.yml":             "title: 博客\ntheme: volantis\n",
		"blog/source/_data/author.yml": "# 我的作者\nme:\n  name: 我\n  avatar: /me.png # 头像\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	e := newEnvIn(t, dir, "site: {dir: ''}\nhexo: {dir: blog/source/_posts}\nsources:\n"+
		"  - url: "+fs.URL+"\n    name: one\n"+
		"  - url: "+fs2.URL+"\n    name: two\n    author: 第二作者\n")
	sum := e.run()
	if sum.Note != "" || sum.Failed() {
		t.Fatalf("run: %+v", sum)
	}
	got, err := os.ReadFile(filepath.Join(dir, "blog/source/_data/author.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "# 我的作者\nme:\n  name: 我\n  avatar: /me.png # 头像\n" +
		"测试源:\n  name: '测试源'\n  avatar: 'https://news.example.com/icon.png'\n  url: 'https://news.example.com/'\n" +
		"第二作者:\n  name: '第二作者'\n  avatar: 'https://news.example.com/favicon.ico'\n  url: 'https://news.example.com/'\n"
	if string(got) != want {
		t.Errorf("author.yml:\n%s\nwant:\n%s", got, want)
	}
	postFiles, _ := filepath.Glob(filepath.Join(dir, "blog/source/_posts/*.md"))
	for _, f := range postFiles {
		data, _ := os.ReadFile(f)
		if !strings.Contains(string(data), "\nlink: 'https://news.example.com/") ||
			!strings.Contains(string(data), "\nupdated: '2021-08-17T06:56:06Z'") {
			t.Errorf("%s has no Volantis link or no updated:\n%s", f, data)
		}
	}
	// A second run changes nothing in the file.
	info, _ := os.Stat(filepath.Join(dir, "blog/source/_data/author.yml"))
	e.now = e.now.Add(time.Minute)
	e.run()
	info2, _ := os.Stat(filepath.Join(dir, "blog/source/_data/author.yml"))
	if !info.ModTime().Equal(info2.ModTime()) {
		t.Errorf("the second run rewrote author.yml")
	}
}
