package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/store"
)

func TestRetentionPrunesAndNeverReimports(t *testing.T) {
	// Source a: 4 items, one per day; source b: 2 items.
	var aItems, bItems []string
	for i := 0; i < 4; i++ {
		aItems = append(aItems, item(fmt.Sprintf("a%d", i), fmt.Sprintf("甲%d", i), "<p>正文</p>",
			time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.RFC1123Z)))
	}
	for i := 0; i < 2; i++ {
		bItems = append(bItems, item(fmt.Sprintf("b%d", i), fmt.Sprintf("乙%d", i), "<p>正文</p>",
			time.Date(2026, 1, 10+i, 0, 0, 0, 0, time.UTC).Format(time.RFC1123Z)))
	}
	a := newFeedServer(t, rss(aItems...))
	b := newFeedServer(t, rss(bItems...))
	dir := t.TempDir()
	path := filepath.Join(dir, "feedpost.yaml")
	yml := "hexo: {dir: posts}\nsite: {dir: ''}\nkeep: {per_source: 3, max_posts: 4}\nsources:\n" +
		"  - url: " + a.URL + "\n    name: a\n  - url: " + b.URL + "\n    name: b\n"
	os.WriteFile(path, []byte(yml), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	run := func() *Summary {
		client := fetch.New(fetch.Options{Timeout: 5 * time.Second, UserAgent: "test"})
		r := New(cfg, st, Options{Now: func() time.Time { return now }, Client: client})
		sum, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	titles := func() []string {
		var out []string
		files, _ := filepath.Glob(filepath.Join(dir, "posts", "*.md"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			s := string(b)
			i := strings.Index(s, "title: '") + len("title: '")
			out = append(out, s[i:i+strings.Index(s[i:], "'")])
		}
		sort.Strings(out)
		return out
	}
	run()
	// per_source 3 drops 甲0 (a's oldest); max_posts 4 then drops 甲1.
	want := []string{"乙0", "乙1", "甲2", "甲3"}
	if got := titles(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after prune: %v, want %v", got, want)
	}
	if n, _ := st.CountItems(context.Background(), ""); n != 4 {
		t.Errorf("store counts %d live posts, want 4", n)
	}
	// The feeds still list the pruned items: they must not come back, even
	// when their content changes.
	aItems[0] = item("a0", "甲0", "<p>改过的正文</p>", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC1123Z))
	a.set(rss(aItems...))
	run()
	if got := titles(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pruned posts came back: %v", got)
	}
	// max_age: everything older than 15 days before now goes.
	cfg.Keep = config.Keep{MaxAge: 15 * 24 * time.Hour}
	r := New(cfg, st, Options{Now: func() time.Time { return now }})
	dry, err := r.Prune(context.Background(), true)
	if err != nil || len(dry) != 2 {
		t.Fatalf("dry run: %v %v", dry, err)
	}
	if got := titles(); len(got) != 4 {
		t.Fatalf("dry run removed files: %v", got)
	}
	if _, err := r.Prune(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got := titles(); strings.Join(got, ",") != "乙0,乙1" {
		t.Errorf("after max_age: %v", got)
	}
}
