package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/config"
)

// hexoFixture lays out a Hexo blog as `hexo init` leaves it, from the test
// site in testdata/hexo-site (Hexo 8, the landscape theme: installed by npm
// in .ci/run): its _config.yml and package files, a first post, and its
// node_modules linked in when they are installed. It returns the blog's root.
func hexoFixture(t *testing.T, dir string) string {
	t.Helper()
	site := filepath.Join("..", "..", "testdata", "hexo-site")
	blog := filepath.Join(dir, "blog")
	for _, name := range []string{"_config.yml", "package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(site, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(blog, name), string(data))
	}
	writeFile(t, filepath.Join(blog, "source", "_posts", "hello-world.md"), "---\ntitle: Hello World\n---\nWelcome to [Hexo](https://hexo.io/)!\n")
	writeFile(t, filepath.Join(blog, "scaffolds", "post.md"), "---\ntitle: {{ title }}\ndate: {{ date }}\ntags:\n---\n")
	if abs, err := filepath.Abs(filepath.Join(site, "node_modules")); err == nil {
		if _, err := os.Stat(abs); err == nil {
			if err := os.Symlink(abs, filepath.Join(blog, "node_modules")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return blog
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestInitOnAHexoBlog is the acceptance test of `feedpost init`: in the root
// of a real Hexo blog it finds the theme, writes a config that `feedpost
// check` passes, and `feedpost run` with that config writes posts into the
// blog's source/_posts, from an RSSHub-like instance (the example feeds on
// loopback). A second init refuses to overwrite the config.
func TestInitOnAHexoBlog(t *testing.T) {
	blog := hexoFixture(t, t.TempDir())
	rsshub, routes := fakeRSSHub(t)
	cfg := filepath.Join(blog, "feedpost.yaml")
	args := []string{"init", "-c", cfg, "--rsshub", rsshub + "/"}
	for _, r := range routes {
		args = append(args, "--route", r)
	}
	code, out, errs := run(t, args...)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "theme landscape, preset landscape") || !strings.Contains(out, "wrote "+cfg) {
		t.Errorf("init said:\n%s", out)
	}
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  dir: source/_posts\n", "\n  dir: \"\" ", "# theme: landscape (from _config.yml)",
		"rsshub: " + rsshub + "\n", "store: .feedpost/feedpost.db", "  - route: /example/tech-rss\n    category: auto"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}

	code, out, errs = run(t, "check", "-c", cfg)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, rsshub+"/example/tech-rss") {
		t.Errorf("check does not list the route's URL:\n%s", out)
	}

	code, out, errs = run(t, "run", "-q", "-c", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	posts, _ := filepath.Glob(filepath.Join(blog, "source", "_posts", "*.md"))
	if len(posts) < 20 { // hello-world.md and the example's posts
		t.Fatalf("run wrote %d posts into the blog", len(posts)-1)
	}
	var auto int
	for _, p := range posts {
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), "categories:\n - 新媒体\n - 示例\n - 示例源\n") {
			auto++
		}
	}
	if auto != len(posts)-1 {
		t.Errorf("%d of %d posts have the category that `category: auto` asked the instance for", auto, len(posts)-1)
	}
	if _, err := os.Stat(filepath.Join(blog, ".feedpost", "feedpost.db")); err != nil {
		t.Errorf("the store is not in .feedpost/: %v", err)
	}

	code, _, errs = run(t, "init", "-c", cfg)
	if code != exitUsage || !strings.Contains(errs, "already exists") {
		t.Errorf("second init: exit %d, %q; want 2 and a refusal", code, errs)
	}
	if again, _ := os.ReadFile(cfg); !bytes.Equal(again, text) {
		t.Error("the second init changed the config")
	}
}

// TestInitFitsTheBlog: each kind of folder gets the config fitted to it, and
// the loader reads the paths back to the blog's folders.
func TestInitFitsTheBlog(t *testing.T) {
	// A blog's package.json lists the renderers its theme needs (check
	// reports a blog without them).
	hexoPkg := `{"dependencies": {"hexo": "^8.0.0", "hexo-renderer-ejs": "^2.0.0", "hexo-renderer-pug": "^3.0.0", "hexo-renderer-stylus": "^3.0.0"}}`
	cases := []struct {
		name   string
		files  map[string]string // the folder's files, under "w/"
		config string            // -c, under "w/"
		flags  []string
		// want: config paths (relative to "w/"; "" = off) and words in the
		// config and in init's output
		hexo, hugo, site string
		inConfig, inOut  []string
		// checkFinds: an error `check` must report about the blog (exit 1)
		checkFinds string
	}{
		{name: "hexo, butterfly, own source_dir and timezone",
			files:  map[string]string{"_config.yml": "title: 我的博客\ntheme: butterfly\nsource_dir: src\ntimezone: Asia/Tokyo\n", "package.json": hexoPkg},
			config: "feedpost.yaml", hexo: "src/_posts",
			inConfig: []string{"# theme: butterfly (from _config.yml)", "butterfly preset", "timezone: Asia/Tokyo", "Hexo blog “我的博客”"},
			inOut:      []string{"theme butterfly, preset butterfly", "timezone: Asia/Tokyo"},
			checkFinds: "ERROR timezone: Asia/Tokyo"},
		{name: "hexo, theme by package name",
			files:  map[string]string{"_config.yml": "theme: hexo-theme-NexT\n", "package.json": hexoPkg},
			config: "feedpost.yaml", hexo: "source/_posts",
			inConfig: []string{"# theme: next (from _config.yml)"}},
		{name: "hexo, a theme without a preset",
			files:  map[string]string{"_config.yml": "theme: cactus\n", "source/about.md": "x"},
			config: "feedpost.yaml", hexo: "source/_posts",
			inConfig: []string{"# theme: cactus (from _config.yml)", "plain Hexo front matter"},
			inOut:    []string{"preset none"}},
		{name: "hexo, themes off",
			files:  map[string]string{"_config.yml": "theme: false\n", "package.json": hexoPkg},
			config: "feedpost.yaml", hexo: "source/_posts",
			inConfig: []string{"no theme in _config.yml"}},
		{name: "hexo named with --hexo, config elsewhere",
			files:  map[string]string{"blog/_config.yml": "theme: fluid\n", "blog/package.json": hexoPkg},
			config: "conf/feedpost.yaml", flags: []string{"--hexo", "{w}/blog"}, hexo: "blog/source/_posts",
			inConfig: []string{"dir: ../blog/source/_posts", "fluid preset"}},
		{name: "hugo detected",
			files:  map[string]string{"config.toml": "title = \"x\"\n", "content/_index.md": "x"},
			config: "feedpost.yaml", hugo: "content/posts", inOut: []string{"Hugo site in"}},
		{name: "hugo named, own contentDir",
			files:  map[string]string{"site/hugo.toml": "baseURL = \"https://example.org/\"\ncontentDir = \"web\"\n"},
			config: "feedpost.yaml", flags: []string{"--hugo", "{w}/site"}, hugo: "site/web/posts"},
		{name: "no blog: the built-in site",
			files:  map[string]string{"notes.txt": "x"},
			config: "feedpost.yaml", site: "public",
			inConfig: []string{"dir: public", "# url: https://news.example.com"}, inOut: []string{"feedpost's own news site"}},
		{name: "a service: config in etc, data in var",
			files:  map[string]string{"etc/x": ""},
			config: "etc/feedpost/feedpost.yaml", flags: []string{"--data", "{w}/var/lib/feedpost"}, site: "var/lib/feedpost/public",
			inConfig: []string{"store: {w}/var/lib/feedpost/feedpost.db", "dir: {w}/var/lib/feedpost/public"}},
		{name: "a config.yaml that is not Hugo's",
			files:  map[string]string{"config.yaml": "x: 1\n"},
			config: "feedpost.yaml", site: "public"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := t.TempDir()
			for name, data := range c.files {
				writeFile(t, filepath.Join(w, name), data)
			}
			cfgPath := filepath.Join(w, c.config)
			args := []string{"init", "-c", cfgPath}
			for _, f := range c.flags {
				args = append(args, strings.ReplaceAll(f, "{w}", w))
			}
			code, out, errs := run(t, args...)
			if code != 0 {
				t.Fatalf("init: exit %d\n%s%s", code, out, errs)
			}
			text, _ := os.ReadFile(cfgPath)
			for _, want := range c.inConfig {
				want = strings.ReplaceAll(want, "{w}", filepath.ToSlash(w))
				if !strings.Contains(string(text), want) {
					t.Errorf("config lacks %q:\n%s", want, text)
				}
			}
			for _, want := range c.inOut {
				if !strings.Contains(out, want) {
					t.Errorf("init's output lacks %q:\n%s", want, out)
				}
			}
			code, out, errs = run(t, "check", "-c", cfgPath)
			switch {
			case c.checkFinds == "" && code != 0:
				t.Fatalf("check: exit %d\n%s%s", code, out, errs)
			case c.checkFinds != "" && (code != 1 || !strings.Contains(out, c.checkFinds)):
				t.Fatalf("check: exit %d, want 1 reporting %q\n%s%s", code, c.checkFinds, out, errs)
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct{ key, got, want string }{
				{"hexo.dir", cfg.Hexo.Dir, c.hexo}, {"hugo.dir", cfg.Hugo.Dir, c.hugo}, {"site.dir", cfg.Site.Dir, c.site}} {
				want := p.want
				if want != "" {
					want = filepath.Join(w, filepath.FromSlash(want))
				}
				if p.got != want {
					t.Errorf("%s = %q, want %q", p.key, p.got, want)
				}
			}
			if len(cfg.Sources) != 2 || cfg.Sources[0].Route != "/36kr/newsflashes" || !cfg.Sources[0].CategoryAuto {
				t.Errorf("sources: %+v", cfg.Sources)
			}
		})
	}
}

// Bad usage is exit 2 with the cause, and writes nothing.
func TestInitRefusals(t *testing.T) {
	w := t.TempDir()
	writeFile(t, filepath.Join(w, "site", "hugo.toml"), "title = 'x'\n")
	cfg := filepath.Join(w, "feedpost.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--hexo", filepath.Join(w, "nothing")}, "is not a Hexo blog"},
		{[]string{"--hugo", w}, "is not a Hugo site"},
		{[]string{"--hexo", w, "--hugo", w}, "none of the others can be"},
		{[]string{"--rsshub", "ftp://example.com"}, "not an http(s) URL"},
		{[]string{"--route", "https://rsshub.app/36kr/newsflashes"}, "a route is a path"},
		{[]string{"--hugo", filepath.Join(w, "site"), "--github-actions"}, "not yet for Hugo"},
	} {
		code, _, errs := run(t, append([]string{"init", "-c", cfg}, c.args...)...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("init %v: exit %d, %q; want 2 and %q", c.args, code, errs, c.want)
		}
		if _, err := os.Stat(cfg); err == nil {
			t.Fatalf("init %v wrote the config", c.args)
		}
	}
}
