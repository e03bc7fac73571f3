package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/store"
)

// A run killed after writing post files but before rebuilding the site
// leaves the stale marker; the next run rebuilds the site although it finds
// nothing new upstream.
func TestSiteRebuiltAfterAnInterruptedRun(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	e := newEnvYAML(t, "site: {dir: public, url: 'https://news.example.com'}\nhexo: {dir: posts}\nsources:\n  - url: "+fs.URL+"\n    name: s\n")
	e.run()
	marker := filepath.Join(e.dir, "public", ".feedpost-stale")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the marker must be gone after a complete run")
	}
	// What a killed run leaves: a stored, written post the site never saw,
	// and the marker.
	r := New(e.cfg, e.st, Options{Now: func() time.Time { return e.now }})
	it := store.Item{ID: "00000000000000aa", SourceKey: "s", GUID: "x", Title: "被打断的一条", Content: "<p>二</p>",
		Published: time.Date(2021, 8, 18, 0, 0, 0, 0, time.UTC), FeedTitle: "测试源", Hash: "h"}
	p := r.Render(&it)
	it.Rendered = encodePost(&p)
	if err := e.st.PutItems([]store.Item{it}); err != nil {
		t.Fatal(err)
	}
	if err := r.markSiteStale(); err != nil {
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
	if _, err := os.Stat(marker); err == nil {
		t.Error("the marker must be removed by the rebuild")
	}
}
