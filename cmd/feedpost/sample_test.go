package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/html"
)

// sampleDir is the bundled sample: a real RSSHub feed, the config that must
// turn it into a post, and the post the replaced system made from it.
const sampleDir = "../../testdata/sample"

// splitPost returns the front matter (parsed) and the body of a Hexo post.
func splitPost(t *testing.T, data []byte) (map[string]any, string) {
	t.Helper()
	s := string(data)
	if !strings.HasPrefix(s, "---\n") {
		t.Fatalf("post does not start with ---: %.40q", s)
	}
	end := strings.Index(s[4:], "\n---\n")
	if end < 0 {
		t.Fatalf("no closing --- in post")
	}
	var fm map[string]any
	if err := yaml.Unmarshal([]byte(s[4:4+end]), &fm); err != nil {
		t.Fatalf("front matter: %v", err)
	}
	return fm, s[4+end+5:]
}

// textAndImages returns the text of an HTML body with white space folded,
// and the src of each <img> in order.
func textAndImages(t *testing.T, body string) (string, []string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	var text strings.Builder
	var srcs []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(text.String()), " "), srcs
		case html.TextToken:
			text.Write(z.Text())
			text.WriteByte(' ')
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "img" {
				for _, a := range tok.Attr {
					if a.Key == "src" {
						srcs = append(srcs, a.Val)
					}
				}
			}
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSampleEquivalence is docs/post-format.md's "Equivalence with the
// sample": `feedpost run -c testdata/sample/feedpost.yaml` writes one post
// equivalent to reference-post.md.
func TestSampleEquivalence(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, sampleDir, dir)
	var stdout, stderr bytes.Buffer
	if code := execute([]string{"run", "-c", filepath.Join(dir, "feedpost.yaml")}, &stdout, &stderr); code != 0 {
		t.Fatalf("run exited %d: %s", code, stderr.String())
	}
	posts, _ := filepath.Glob(filepath.Join(dir, "out/source/_posts/*.md"))
	if len(posts) != 1 {
		t.Fatalf("want 1 post, got %d: %v", len(posts), posts)
	}
	got, err := os.ReadFile(posts[0])
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "reference-post.md"))
	if err != nil {
		t.Fatal(err)
	}
	gfm, gbody := splitPost(t, got)
	wfm, wbody := splitPost(t, bytes.TrimLeft(want, "\n")) // the reference starts with a blank line
	for _, k := range []string{"title", "categories", "headimg", "author", "comments", "thumbnail"} {
		if !reflect.DeepEqual(gfm[k], wfm[k]) {
			t.Errorf("front matter %s = %#v, want %#v", k, gfm[k], wfm[k])
		}
	}
	gd, err := time.Parse(time.RFC3339, gfm["date"].(string))
	if err != nil {
		t.Fatalf("date %v: %v", gfm["date"], err)
	}
	wd, err := time.Parse(time.RFC1123, wfm["date"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !gd.Equal(wd) {
		t.Errorf("date %v, want the instant %v", gd, wd)
	}
	gt, gimgs := textAndImages(t, gbody)
	wt, wimgs := textAndImages(t, wbody)
	if gt != wt {
		t.Errorf("body text differs:\n got %.200q\nwant %.200q", gt, wt)
	}
	if !reflect.DeepEqual(gimgs, wimgs) {
		t.Errorf("img src list:\n got %q\nwant %q", gimgs, wimgs)
	}
	if !strings.HasPrefix(string(got), "---\ntitle: '") || !strings.Contains(string(got), "\n---\n\n<div>\n") {
		t.Errorf("post layout differs from docs/post-format.md:\n%.300s", got)
	}

	// A second run writes nothing and reports the source unchanged.
	st, _ := os.Stat(posts[0])
	stdout.Reset()
	if code := execute([]string{"run", "--json", "-c", filepath.Join(dir, "feedpost.yaml")}, &stdout, &stderr); code != 0 {
		t.Fatalf("second run exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"status":"unchanged"`) || !strings.Contains(stdout.String(), `"posts_written":0`) {
		t.Errorf("second run summary: %s", stdout.String())
	}
	st2, _ := os.Stat(posts[0])
	if !st.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second run rewrote the post")
	}
}
