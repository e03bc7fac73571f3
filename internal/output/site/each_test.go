package site

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedpost/feedpost/internal/post"
)

// BuildEach, given the posts one at a time in any order, builds the site
// Build does, byte for byte; an error of each fails it, and bad options
// fail it before each runs.
func TestBuildEach(t *testing.T) {
	ref := testOptions(t)
	build(t, testPosts(), ref)

	opt := testOptions(t)
	posts := testPosts()
	slices.Reverse(posts)
	st, err := BuildEach(func(add func(post.Post)) error {
		for _, p := range posts {
			add(p)
		}
		return nil
	}, opt)
	if err != nil || st.Written != st.Pages || st.Pages < 20 {
		t.Fatalf("BuildEach: %+v, %v", st, err)
	}
	n := sameFiles(t, ref.Dir, opt.Dir, "BuildEach")
	if n != st.Pages {
		t.Errorf("compared %d files, BuildEach wrote %d", n, st.Pages)
	}

	stop := errors.New("store closed")
	_, err = BuildEach(func(add func(post.Post)) error {
		add(posts[0])
		return stop
	}, testOptions(t))
	if !errors.Is(err, stop) {
		t.Errorf("an error of each: got %v", err)
	}
	called := false
	opt.Dir = ""
	if _, err := BuildEach(func(func(post.Post)) error { called = true; return nil }, opt); err == nil || called {
		t.Errorf("no folder: error %v, each called %v", err, called)
	}
}

// A post given twice (an item seen again) is built once: the copy with the
// newest date wins, and of copies with the same date the first given.
func TestRepeatedPostBuiltOnce(t *testing.T) {
	posts := testPosts()
	older, newer, same := posts[1], posts[1], posts[1]
	older.Title, older.Date = "旧的标题", older.Date.Add(-time.Hour)
	newer.Title, newer.Date = "新的标题", newer.Date.Add(time.Hour)
	same.Title, same.Date = "同时的标题", newer.Date
	opt := testOptions(t)
	opt.PerPage = 20
	build(t, append(posts, older, newer, same), opt)
	page := readDoc(t, opt.Dir, "posts/a000000000000002/index.html")
	if got := page.Find("h1.post-title").Text(); got != "新的标题" {
		t.Errorf("post page title %q, want the newest copy's", got)
	}
	hrefs := listed(t, opt.Dir, "")
	if len(hrefs) != len(testPosts()) || strings.Count(strings.Join(hrefs, " "), "a000000000000002") != 1 {
		t.Errorf("home lists %v", hrefs)
	}
}
