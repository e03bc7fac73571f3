package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/store/storetest"
)

// A fetch whose items cannot be stored records neither the items nor the
// feed's new validators: the next run gets the items again instead of a
// 304, and a failure of the store does not count towards the source's
// backoff. (Before, the ETag was saved with the failure and the items never
// arrived: run 2 was "unchanged" with nothing stored.)
func TestStoreFailureLosesNoItem(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
		item("b", "第二条", "<p>二</p>", "Tue, 17 Aug 2021 07:56:06 GMT")))
	e := newEnvYAML(t, "hexo: {dir: posts}\nsources:\n  - url: "+fs.URL+"\n    name: s\n")
	storetest.Exec(t, e.cfg.Store,
		`CREATE TRIGGER full_disk BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`,
		`CREATE FUNCTION full_disk() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$ LANGUAGE plpgsql;
		 CREATE TRIGGER full_disk BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION full_disk()`)
	sum := e.run()
	if r := sum.Sources[0]; r.Status != StatusFailed || !strings.Contains(r.Error, "disk full") {
		t.Fatalf("run with a failing store: %+v", r)
	}
	st, _, err := e.st.Source(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	if st.ETag != "" || st.Failures != 0 {
		t.Errorf("after a store failure: ETag %q, failures %d; want no validator saved and no backoff", st.ETag, st.Failures)
	}
	storetest.Exec(t, e.cfg.Store, `DROP TRIGGER full_disk`, `DROP TRIGGER full_disk ON items`)
	sum = e.run()
	if r := sum.Sources[0]; r.Status != StatusOK || r.New != 2 {
		t.Errorf("run after the store recovered: %+v; want both items new", r)
	}
	if n := len(e.posts()); n != 2 || sum.PostsWritten != 2 {
		t.Errorf("%d post files, %d written; want 2", n, sum.PostsWritten)
	}
}

// A rendering is stored with the fingerprint of the settings it was made
// under: after a config change that alters posts (a source's author), the
// next run renders them again even though the feed answers 304 and no item
// changed. (Before, the stale renderings stayed until the feed changed.)
func TestConfigChangeRerendersWithoutFeedChange(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>一</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
	yml := "site: {dir: public, url: 'https://news.example.com'}\nhexo: {dir: posts}\nsources:\n  - url: " + fs.URL + "\n    name: s\n    author: 甲\n"
	e := newEnvYAML(t, yml)
	e.run()
	e.cfg.Sources[0].Author = "乙"
	sum := e.run()
	if r := sum.Sources[0]; r.Status != StatusUnchanged || fs.nm.Load() != 1 {
		t.Fatalf("second run: %+v, %d not-modified answers; want a 304", r, fs.nm.Load())
	}
	for name, p := range e.posts() {
		if !strings.Contains(p, "author: 乙") {
			t.Errorf("%s after the author changed:\n%s", name, p)
		}
	}
	if sum.PostsWritten != 1 || sum.PagesWritten == 0 {
		t.Errorf("posts written %d, pages %d; want the post and its pages rewritten", sum.PostsWritten, sum.PagesWritten)
	}
	// And a third run with nothing changed writes nothing.
	if sum := e.run(); sum.PostsWritten != 0 || sum.PagesWritten != 0 {
		t.Errorf("third run wrote %d posts, %d pages", sum.PostsWritten, sum.PagesWritten)
	}
}
