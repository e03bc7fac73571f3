package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/parse"
	"github.com/feedpost/feedpost/internal/post"
	"github.com/feedpost/feedpost/internal/store"
)

const corpusDir = "../../../shared/corpus/feedparser"

// TestCorpusThroughPipeline sends every file of the feedparser corpus through
// parse → content → Hexo rendering: no panic, no hang, every front matter
// parses back, and ill-formed files give an error or a best-effort post.
func TestCorpusThroughPipeline(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("feed corpus absent (%v); it exists in CI beside the checkout", err)
	}
	cfg, err := config.Parse([]byte("images: {proxy: 'https://p.example/?', proxy_scope: all}\nsources:\n  - url: x.xml\n"), filepath.Join(t.TempDir(), "feedpost.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := New(cfg, nil, Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	var files []string
	filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".xml") || strings.HasSuffix(path, ".json")) {
			files = append(files, path)
		}
		return nil
	})
	if len(files) < 100 {
		t.Fatalf("only %d corpus files found", len(files))
	}
	var posts, failed int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var n int
		var perr error
		go func() {
			defer close(done)
			feed, err := parse.Parse(data, "", "http://example.com/feed.xml", parse.Options{})
			if err != nil {
				perr = err
				return
			}
			for _, it := range feed.Items {
				si := store.Item{ID: post.ID("corpus", it.GUID, it.Link, it.Title, it.Content), SourceKey: "x.xml",
					GUID: it.GUID, Link: it.Link, Title: it.Title, Content: it.Content, IsText: it.IsText, Base: it.Base,
					Images: it.Images, Published: it.Published, Updated: it.Updated, FirstSeen: time.Unix(1700000000, 0), FeedTitle: feed.Title}
				p := r.Render(&si)
				b := hexo.Render(p, r.hexo)
				end := strings.Index(string(b[4:]), "\n---\n")
				var fm map[string]any
				if end < 0 || yaml.Unmarshal(b[4:4+end], &fm) != nil || fm["title"] != p.Title {
					t.Errorf("%s: front matter does not read back:\n%s", f, b[:min(len(b), 600)])
				}
				n++
			}
		}()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: hangs", f)
		}
		if perr != nil {
			failed++
			if perr.Error() == "" {
				t.Errorf("%s: empty error", f)
			}
			if strings.Contains(f, "wellformed") && !strings.Contains(perr.Error(), "not a feed") {
				t.Logf("%s: %v", f, perr)
			}
		}
		posts += n
	}
	t.Logf("%d corpus files: %d posts rendered, %d files rejected with an error", len(files), posts, failed)
}
