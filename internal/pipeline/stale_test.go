package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/store"
)

// A run killed after storing posts but before building the outputs leaves
// the store's generation ahead of the last build: the next run writes the
// pending post files and rebuilds the site although it finds nothing new
// upstream. (No marker file: the store knows.)
func TestSiteRebuiltAfterAnInterruptedRun(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e := newEnvYAML(t, "site: {dir: public, url: 'https://news.example.com'}\nhexo: {dir: posts}\nsources:\n  - url: "+fs.URL+"\n    name: s\n")
	e.run()
	// What a killed run leaves: a stored, pending post neither the post
	// files nor the site saw.
	r := New(e.cfg, e.st, Options{Now: func() time.Time { return e.now }})
	it := store.Item{ID: "00000000000000aa", SourceKey: "s", GUID: "x", Title: "被打断的一条", Content: "<p>二</p>",
		Published: time.Date(2021, 8, 18, 0, 0, 0, 0, time.UTC), FeedTitle: "测试源", Hash: "h", Pending: true}
	items := []store.Item{it}
	r.renderAll(items)
	if err := e.st.PutItems(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(e.dir, "public", "posts", it.ID, "index.html")
	if _, err := os.Stat(page); err == nil {
		t.Fatal("setup: the page exists already")
	}
	sum := e.run()
	if sum.Sources[0].Status != StatusUnchanged {
		t.Fatalf("want nothing new upstream: %+v", sum.Sources[0])
	}
	if _, err := os.Stat(page); err != nil {
		t.Errorf("the site was not rebuilt after the interrupted run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "posts", it.ID+".md")); err != nil {
		t.Errorf("the pending post file was not written: %v", err)
	}
	if sum.PostsWritten != 1 {
		t.Errorf("posts_written = %d, want 1 (the recovered post)", sum.PostsWritten)
	}
}

// Posts stored by the first release kept their body inside the rendered
// JSON (no body column): the site still shows it. A post stored now keeps
// the body in its own column and not in the JSON.
func TestSiteShowsBodiesOfBothStorageForms(t *testing.T) {
	e := newEnvYAML(t, "site: {dir: public}\nhexo: {dir: posts}\nsources:\n  - url: http://127.0.0.1:1/feed\n    name: s\n")
	r := New(e.cfg, e.st, Options{Now: func() time.Time { return e.now }})
	var items []store.Item
	for i, body := range []string{"<p>旧式正文</p>", "<p>新式正文</p>"} {
		it := store.Item{ID: "00000000000000b" + string(rune('0'+i)), SourceKey: "s", GUID: body, Title: "标题", Content: body,
			Published: time.Date(2021, 8, 18, i, 0, 0, 0, time.UTC), FeedTitle: "测试源", Hash: "h"}
		p := r.Render(&it)
		it.Rendered, it.Body = encodePost(&p)
		if strings.Contains(string(it.Rendered), "正文") {
			t.Fatalf("the rendered JSON carries the body: %s", it.Rendered)
		}
		if i == 0 { // the first release's form
			legacy, _ := json.Marshal(p)
			it.Rendered, it.Body = legacy, ""
		}
		items = append(items, it)
	}
	if err := e.st.PutItems(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	if _, err := r.BuildSite(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"旧式正文", "新式正文"} {
		page, err := os.ReadFile(filepath.Join(e.dir, "public", "posts", items[i].ID, "index.html"))
		if err != nil || !strings.Contains(string(page), want) {
			t.Errorf("post page %s: %v; want it to show %q", items[i].ID, err, want)
		}
	}
}
