package site

import (
	"os"
	"path/filepath"
	"testing"
)

// Current must say "up to date" only for a finished build with the very
// same options, templates and assets; anything else must answer false so
// that the caller builds.
func TestCurrent(t *testing.T) {
	opt := testOptions(t)
	if Current(opt) {
		t.Fatal("an empty folder is current")
	}
	build(t, testPosts(), opt)
	if !Current(opt) {
		t.Fatal("a finished build is not current")
	}

	changed := []struct {
		name   string
		change func(o *Options)
	}{
		{"title", func(o *Options) { o.Title = "别的标题" }},
		{"url", func(o *Options) { o.URL = "https://other.example.com" }},
		{"language", func(o *Options) { o.Language = "en" }},
		{"per page", func(o *Options) { o.PerPage = 3 }},
		{"zone", func(o *Options) { o.Location = nil }},
		{"default cover", func(o *Options) { o.DefaultCover = "https://img.example.com/c.png" }},
		{"no folder", func(o *Options) { o.Dir = "" }},
	}
	for _, c := range changed {
		o := opt
		c.change(&o)
		if Current(o) {
			t.Errorf("%s changed: still current", c.name)
		}
	}

	// A template override, then a change inside it. (An empty templates
	// folder changes nothing, so it may count as current.)
	tpl := t.TempDir()
	o := opt
	o.Templates = tpl
	if err := os.WriteFile(filepath.Join(tpl, "style.css"), []byte("body{color:red}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if Current(o) {
		t.Error("asset override not built yet: current")
	}
	build(t, testPosts(), o)
	if !Current(o) {
		t.Error("build with overrides not current")
	}
	if err := os.WriteFile(filepath.Join(tpl, "style.css"), []byte("body{color:blue}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if Current(o) {
		t.Error("changed asset override: still current")
	}

	// A lost manifest or home page.
	build(t, testPosts(), opt)
	if err := os.Remove(filepath.Join(opt.Dir, "index.html")); err != nil {
		t.Fatal(err)
	}
	if Current(opt) {
		t.Error("missing index.html: still current")
	}
	build(t, testPosts(), opt)
	if err := os.Remove(filepath.Join(opt.Dir, manifestName)); err != nil {
		t.Fatal(err)
	}
	if Current(opt) {
		t.Error("missing manifest: still current")
	}
}

// Build and Current must fill the same defaults.
func TestCurrentWithDefaults(t *testing.T) {
	opt := Options{Dir: t.TempDir()}
	build(t, testPosts(), opt)
	if !Current(opt) {
		t.Error("zero-valued options: a fresh build is not current")
	}
}
