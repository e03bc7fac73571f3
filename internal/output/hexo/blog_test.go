package hexo

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// file and folder make the trees of the tests (os.CopyFS writes them).
func file(data string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(data)} }

var folder = &fstest.MapFile{Mode: fs.ModeDir | 0o755}

// TestBlogRoot: which folders are Hexo blogs for `init` (IsBlogRoot,
// OpenBlog) and for the config (BlogAt: Hexo's keys needed), and what is
// read of them.
func TestBlogRoot(t *testing.T) {
	const hexoPkg = `{"dependencies": {"hexo": "^8.0.0", "hexo-renderer-ejs": "^2.0.0"}, "devDependencies": {"hexo-server": "^3.0.0"}}`
	for _, c := range []struct {
		name   string
		files  fstest.MapFS
		isRoot bool // IsBlogRoot
		at     bool // BlogAt finds it
		want   Blog // OpenBlog's, paths relative to the folder
		err    string
	}{
		{name: "hexo init", files: fstest.MapFS{"_config.yml": file("title: 我的博客\ntheme: hexo-theme-NexT\nsource_dir: src\npublic_dir: www\ntimezone: Asia/Tokyo\n"), "package.json": file(hexoPkg)},
			isRoot: true, at: true,
			want: Blog{Title: "我的博客", Theme: "hexo-theme-NexT", Timezone: "Asia/Tokyo", TimezoneLine: 5, SourceDir: "src", PublicDir: "www", UpdatedOption: "mtime"}},
		{name: "themes off", files: fstest.MapFS{"_config.yml": file("theme: false\n"), "source": folder},
			isRoot: true, at: true, want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "package.json with a hexo key", files: fstest.MapFS{"_config.yml": file("title: t\n"), "package.json": file(`{"hexo": {"version": "8.0.0"}}`)},
			isRoot: true, want: Blog{Title: "t", SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "_config.yaml", files: fstest.MapFS{"_config.yaml": file("permalink: :title/\n"), "source": folder},
			isRoot: true, at: true, want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "empty config", files: fstest.MapFS{"_config.yml": file(""), "source": folder},
			isRoot: true, want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "Jekyll", files: fstest.MapFS{"_config.yml": file("markdown: kramdown\n")},
			want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "not a mapping", files: fstest.MapFS{"_config.yml": file("- a\n"), "source": folder},
			isRoot: true, err: "not a mapping"},
		{name: "bad YAML", files: fstest.MapFS{"_config.yml": file("theme: [\n"), "package.json": file(hexoPkg)},
			isRoot: true, err: "_config.yml"},
		{name: "no config", files: fstest.MapFS{"package.json": file(hexoPkg), "source": folder}, err: "is not a Hexo blog"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, c.files); err != nil {
				t.Fatal(err)
			}
			if got := IsBlogRoot(dir); got != c.isRoot {
				t.Errorf("IsBlogRoot = %v", got)
			}
			if b, err := BlogAt(dir); (b != nil) != c.at || (err != nil) != (c.name == "bad YAML") {
				t.Errorf("BlogAt = %+v, %v", b, err)
			}
			b, err := OpenBlog(dir)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("OpenBlog: %v, want an error saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			want.Root, want.SourceDir, want.PublicDir = dir, filepath.Join(dir, want.SourceDir), filepath.Join(dir, want.PublicDir)
			want.ConfigFile = configFile(dir)
			want.URLRoot = "/"
			if *b != want {
				t.Errorf("OpenBlog:\n got %+v\nwant %+v", *b, want)
			}
		})
	}
}

func TestDependencies(t *testing.T) {
	dir := t.TempDir()
	b := &Blog{Root: dir}
	if d := b.Dependencies(); d != nil {
		t.Errorf("no package.json: %v", d)
	}
	pkg := filepath.Join(dir, "package.json")
	if err := os.WriteFile(pkg, []byte(`{"dependencies": {"hexo": "8"}, "devDependencies": {"hexo-renderer-ejs": "2"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := b.Dependencies(); len(d) != 2 || !d["hexo"] || !d["hexo-renderer-ejs"] {
		t.Errorf("dependencies %v", d)
	}
	if err := os.WriteFile(pkg, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := b.Dependencies(); d == nil || len(d) != 0 {
		t.Errorf("empty package.json: %v", d)
	}
}

func TestThemeName(t *testing.T) {
	for in, want := range map[string]string{"NexT": "next", "hexo-theme-Butterfly": "butterfly", " fluid ": "fluid", "": ""} {
		if got := ThemeName(in); got != want {
			t.Errorf("ThemeName(%q) = %q, want %q", in, got, want)
		}
	}
}
