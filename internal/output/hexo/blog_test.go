package hexo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBlogRoot: which folders are Hexo blogs for `init` (IsBlogRoot,
// OpenBlog) and for the config (BlogAt: Hexo's keys needed), and what is
// read of them.
func TestBlogRoot(t *testing.T) {
	const hexoPkg = `{"dependencies": {"hexo": "^8.0.0", "hexo-renderer-ejs": "^2.0.0"}, "devDependencies": {"hexo-server": "^3.0.0"}}`
	for _, c := range []struct {
		name   string
		files  map[string]string
		isRoot bool // IsBlogRoot
		at     bool // BlogAt finds it
		want   Blog // OpenBlog's, paths relative to the folder
		err    string
	}{
		{name: "hexo init", files: map[string]string{"_config.yml": "title: 我的博客\ntheme: hexo-theme-NexT\nsource_dir: src\npublic_dir: www\ntimezone: Asia/Tokyo\n", "package.json": hexoPkg},
			isRoot: true, at: true,
			want: Blog{Title: "我的博客", Theme: "hexo-theme-NexT", Timezone: "Asia/Tokyo", TimezoneLine: 5, SourceDir: "src", PublicDir: "www", UpdatedOption: "mtime"}},
		{name: "themes off", files: map[string]string{"_config.yml": "theme: false\n", "source/": ""},
			isRoot: true, at: true, want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "package.json with a hexo key", files: map[string]string{"_config.yml": "title: t\n", "package.json": `{"hexo": {"version": "8.0.0"}}`},
			isRoot: true, want: Blog{Title: "t", SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "_config.yaml", files: map[string]string{"_config.yaml": "permalink: :title/\n", "source/": ""},
			isRoot: true, at: true, want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "empty config", files: map[string]string{"_config.yml": "", "source/": ""},
			isRoot: true, want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "Jekyll", files: map[string]string{"_config.yml": "markdown: kramdown\n"},
			want: Blog{SourceDir: "source", PublicDir: "public", UpdatedOption: "mtime"}},
		{name: "not a mapping", files: map[string]string{"_config.yml": "- a\n", "source/": ""},
			isRoot: true, err: "not a mapping"},
		{name: "bad YAML", files: map[string]string{"_config.yml": "theme: [\n", "package.json": hexoPkg},
			isRoot: true, err: "_config.yml"},
		{name: "no config", files: map[string]string{"package.json": hexoPkg, "source/": ""}, err: "is not a Hexo blog"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, c.files)
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
	writeTree(t, dir, map[string]string{"package.json": `{"dependencies": {"hexo": "8"}, "devDependencies": {"hexo-renderer-ejs": "2"}}`})
	if d := b.Dependencies(); len(d) != 2 || !d["hexo"] || !d["hexo-renderer-ejs"] {
		t.Errorf("dependencies %v", d)
	}
	writeTree(t, dir, map[string]string{"package.json": `{}`})
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
