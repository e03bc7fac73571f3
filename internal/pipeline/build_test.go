package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Build re-renders every stored item under the current config: the posts
// and the site follow a config change without fetching, a Build with
// nothing changed writes nothing, and a later change is still followed
// (Build skips storing renderings that did not change, never the changed
// ones).
func TestBuildFollowsConfig(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>正文一</p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
		item("b", "第二条", "<p>正文二</p>", "Tue, 17 Aug 2021 07:56:06 GMT")))
	e := newEnvYAML(t, "site: {dir: public}\nhexo: {dir: posts}\nsources:\n  - url: "+fs.URL+"\n    name: s\n    author: 甲\n")
	e.run()
	build := func(author string) *Summary {
		t.Helper()
		e.cfg.Sources[0].Author = author
		sum, err := New(e.cfg, e.st, Options{}).Build(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	check := func(author string) {
		t.Helper()
		posts := e.posts()
		if len(posts) != 2 {
			t.Fatalf("%d posts, want 2", len(posts))
		}
		for name, text := range posts {
			if !strings.Contains(text, "author: "+author) {
				t.Errorf("%s after a build with author %s:\n%s", name, author, text)
			}
			id := strings.TrimSuffix(name, ".md")
			page, err := os.ReadFile(filepath.Join(e.dir, "public", "posts", id, "index.html"))
			if err != nil || !strings.Contains(string(page), author) || !strings.Contains(string(page), "正文") {
				t.Errorf("site page of %s after a build with author %s: %v", id, author, err)
			}
		}
	}
	if sum := build("乙"); sum.PostsWritten != 2 || sum.PostsTotal != 2 {
		t.Errorf("build with a new author: %d of %d posts written, want 2 of 2", sum.PostsWritten, sum.PostsTotal)
	}
	check("乙")
	if sum := build("乙"); sum.PostsWritten != 0 || sum.PagesWritten != 0 {
		t.Errorf("build with nothing changed: %d posts, %d pages written; want 0", sum.PostsWritten, sum.PagesWritten)
	}
	build("丙")
	check("丙")
}

// A post that cannot be written fails the build with an error naming it,
// and the build stops instead of hanging.
func TestBuildReportsWriteErrors(t *testing.T) {
	fs := newFeedServer(t, rss(item("a", "第一条", "<p>正文一</p>", "Tue, 17 Aug 2021 06:56:06 GMT"),
		item("b", "第二条", "<p>正文二</p>", "Tue, 17 Aug 2021 07:56:06 GMT")))
	e := newEnvYAML(t, "hexo: {dir: posts}\nsources:\n  - url: "+fs.URL+"\n    name: s\n")
	e.run()
	e.cfg.Sources[0].Author = "乙" // every post changes
	posts := filepath.Join(e.dir, "posts")
	if err := os.RemoveAll(posts); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(posts, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(e.cfg, e.st, Options{}).Build(context.Background())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(posts, "")) || !strings.Contains(err.Error(), ".md") {
		t.Fatalf("build into a file: %v; want an error naming the Hexo post's file", err)
	}
}
