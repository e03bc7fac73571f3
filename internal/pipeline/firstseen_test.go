package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
	"github.com/feedpost/feedpost/internal/store/storetest"
)

// A store lost between two runs (an evicted CI cache) must not re-date the
// posts of items without a date of their own: the re-run takes the date
// from the post file it already wrote, so the file keeps its bytes and its
// mtime. An undated item that has no file yet gets the time of the run.
func TestLostStoreKeepsFirstSeenFromPostFiles(t *testing.T) {
	for _, c := range []struct{ name, outputs, dir string }{
		{"hexo", "hexo: {dir: posts}\n", "posts"},
		{"hugo", "hexo: {dir: ''}\nhugo: {dir: content}\n", "content"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := newFeedServer(t, rss(
				item("undated", "没有日期", "<p>一</p>", ""),
				item("dated", "有日期", "<p>二</p>", "Tue, 17 Aug 2021 06:56:06 GMT")))
			e := newEnvYAML(t, "site: {timezone: Asia/Shanghai, dir: ''}\n"+c.outputs+"sources:\n  - url: "+fs.URL+"\n    name: s\n")
			first := e.now
			e.run()
			dir := filepath.Join(e.dir, c.dir)
			before := snapshot(t, dir)
			if len(before) != 2 {
				t.Fatalf("first run wrote %d files, want 2", len(before))
			}

			// The store is gone (a fresh one); a day later an item nobody
			// wrote yet shows up, undated too.
			e.st.Close()
			e.cfg.Store = storetest.Target(t, filepath.Join(t.TempDir(), "new.db"))
			st, err := store.Open(context.Background(), e.cfg.Store, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			e.st = st
			e.now = first.Add(25 * time.Hour)
			fs.set(rss(
				item("undated", "没有日期", "<p>一</p>", ""),
				item("dated", "有日期", "<p>二</p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
				item("later", "后来的", "<p>三</p>", "")))
			if sum := e.run(); sum.Sources[0].New != 3 || sum.PostsWritten != 1 {
				t.Fatalf("re-run: %+v, %d written; want 3 new to the store, 1 file written", sum.Sources[0], sum.PostsWritten)
			}
			after := snapshot(t, dir)
			for name, f := range before {
				if after[name] != f {
					t.Errorf("%s was rewritten: %+v → %+v", name, f, after[name])
				}
			}
			for id, want := range map[string]time.Time{post.ID("s", "undated", "", "", ""): first, post.ID("s", "later", "", "", ""): e.now} {
				it, ok, err := e.st.Item(context.Background(), id)
				if err != nil || !ok {
					t.Fatalf("item %s: %v %v", id, ok, err)
				}
				if !it.FirstSeen.Equal(want) {
					t.Errorf("item %s first seen %v, want %v", id, it.FirstSeen, want)
				}
			}
		})
	}
}

type fileState struct {
	data  string
	mtime time.Time
}

func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	out := map[string]fileState{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = fileState{string(b), st.ModTime()}
	}
	return out
}
