package hugo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/post"
)

// TestHugoBuildHostileValues builds, with the real hugo binary, posts whose
// titles, links and covers carry C1 controls, NEL, line separators and BOMs,
// and whose categories are `..`, `index.html`, `index.xml` and a 420-character
// feed title, made into values the way the pipeline's Render makes them
// (content.Title, content.CategoryPath, content.SafeURL). Raw, each of these
// failed the whole Hugo build ("control characters are not allowed",
// "missing taxonomy", "file exists", "file name too long"); issue 12, item 9.
func TestHugoBuildHostileValues(t *testing.T) {
	bin := hugoBinary(t)
	ctl := "\u0085NEL\u2028LS\u2029PS\ufeffBOM\u0080C1\u009f"
	raw := [][]string{
		{".."}, {"index.html"}, {"index.xml", "page"}, {strings.Repeat("很长的频道标题", 60)},
		{"a" + ctl, "<img src=x onerror=alert(1)>b"}, {"."},
	}
	site := t.TempDir()
	mustWrite(t, filepath.Join(site, "hugo.toml"), `baseURL = "https://news.example.com/"
disableKinds = ["sitemap", "robotsTXT"]
[taxonomies]
  category = "categories"
`)
	for file, name := range layoutFiles {
		mustWrite(t, filepath.Join(site, "layouts", file), layouts[name])
	}
	opt := NewOptions(filepath.Join(site, "content", "posts"))
	var ids []string
	for i, cats := range raw {
		p := post.Post{
			ID:         "bbbbbbbbbbbbbbb" + string(rune('a'+i)),
			Title:      content.Title("标题" + ctl + "---"),
			Categories: content.CategoryPath(cats),
			Cover:      content.SafeURL("https://img.example.com/x" + ctl + ".jpg"),
			Author:     content.Label("作者" + ctl),
			SourceName: "s",
			Date:       time.Date(2024, 5, 6, 14, 56, 6, 0, time.UTC),
			Link:       content.SafeURL("https://news.example.com/a" + ctl),
			Body:       "<p>MARK</p>",
		}
		if len(p.Categories) == 0 {
			t.Fatalf("categories %q left nothing", cats)
		}
		if _, err := Write(p, opt); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	// The quoting alone must also carry raw controls through (output.Quote),
	// whatever a caller put into the post.
	rawPost := post.Post{ID: "bbbbbbbbbbbbbbbz", Title: "标题" + ctl + "\n--- x", Categories: []string{"c"},
		Cover: "https://img.example.com/x" + ctl + ".jpg", Author: "作者" + ctl, SourceName: "s" + ctl,
		Date: time.Date(2024, 5, 6, 14, 56, 6, 0, time.UTC), Link: "https://news.example.com/a" + ctl, Body: "<p>MARK</p>"}
	if _, err := Write(rawPost, opt); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, rawPost.ID)
	cmd := exec.Command(bin, "--source", site, "--destination", filepath.Join(site, "public"))
	cmd.Env = append(os.Environ(), "HUGO_CACHEDIR="+filepath.Join(site, "cache"))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "ERROR") {
		t.Fatalf("hugo failed: %v\n%s", err, out)
	}
	for _, id := range ids {
		if page := readPage(t, filepath.Join(site, "public", "posts", id, "index.html")); !strings.Contains(page, "MARK") {
			t.Errorf("post %s: page without its body", id)
		}
	}
}
