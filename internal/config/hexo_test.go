package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/output/hexo"
)

// writeFiles creates files (path → content) under dir; a path ending in "/"
// is a folder.
func writeFiles(t *testing.T, dir string, files map[string]string) {
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

func TestHexoThemePresets(t *testing.T) {
	preset := func(name string) hexo.Theme { p, _ := hexo.Preset(name); return p }
	tests := []struct {
		name   string
		blog   string // the blog's _config.yml ("" for none)
		hexo   string // the hexo: block
		want   Hexo   // compared without Dir and Blog
		errKey string
	}{
		{"auto, no blog", "", "{dir: blog/source/_posts}",
			Hexo{CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true, Theme: "auto", Preset: preset("none"), NameSource: true}, ""},
		{"auto, volantis blog", "theme: volantis\n", "{dir: blog/source/_posts}",
			Hexo{CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true, Theme: "auto", Preset: preset("volantis"),
				LinkKey: "link", LinkText: "阅读原文", AuthorsFile: "blog/source/_data/author.yml"}, ""},
		{"auto, butterfly spelled as its package", "theme: hexo-theme-Butterfly\n", "{dir: blog/source/_posts}",
			Hexo{CoverKeys: []string{"cover", "top_img"}, EscapeBraces: true, Theme: "auto", Preset: preset("butterfly"),
				LinkKey: "copyright_url", AuthorKey: "copyright_author", SiteKey: "copyright_author_href", LinkText: "阅读原文"}, ""},
		{"auto, unknown theme", "theme: cactus\n", "{dir: blog/source/_posts}",
			Hexo{CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true, Theme: "auto", Preset: preset("none"), NameSource: true}, ""},
		{"auto, next: paragraph names the source", "theme: next\n", "{dir: blog/source/_posts}",
			Hexo{CoverKeys: []string{"photos"}, EscapeBraces: true, Theme: "auto", Preset: preset("next"), LinkText: "阅读原文", NameSource: true}, ""},
		{"auto, stellar", "theme: stellar\n", "{dir: blog/source/_posts}",
			Hexo{CoverKeys: []string{"cover", "banner"}, EscapeBraces: true, Theme: "auto", Preset: preset("stellar"),
				LinkKey: "references", LinkStyle: hexo.LinkReferences, LinkText: "阅读原文", AuthorsFile: "blog/source/_data/authors.yml"}, ""},
		{"explicit theme wins over the blog's", "theme: volantis\n", "{dir: blog/source/_posts, theme: fluid}",
			Hexo{CoverKeys: []string{"index_img", "banner_img"}, EscapeBraces: true, Theme: "fluid", Preset: preset("fluid"), LinkText: "阅读原文"}, ""},
		{"explicit keys win over the preset", "theme: volantis\n",
			"{dir: blog/source/_posts, cover_keys: [cover], link_key: origin, link_text: 原文链接, authors_file: ''}",
			Hexo{CoverKeys: []string{"cover"}, EscapeBraces: true, Theme: "auto", Preset: preset("volantis"),
				LinkKey: "origin", LinkText: "原文链接", NameSource: true}, ""},
		{"link_key '' means the paragraph", "theme: volantis\n", "{dir: blog/source/_posts, link_key: ''}",
			Hexo{CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true, Theme: "auto", Preset: preset("volantis"),
				LinkText: "阅读原文", AuthorsFile: "blog/source/_data/author.yml"}, ""},
		{"explicit authors file", "", "{dir: blog/source/_posts, theme: volantis, authors_file: data/a.yml}",
			Hexo{CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true, Theme: "volantis", Preset: preset("volantis"),
				LinkKey: "link", LinkText: "阅读原文", AuthorsFile: "data/a.yml"}, ""},
		{"unknown theme name", "", "{theme: cactus}", Hexo{}, "hexo.theme"},
		{"link_key taken by feedpost", "", "{link_key: date}", Hexo{}, "hexo.link_key"},
		{"link_key not a plain key", "", "{link_key: 'a: b'}", Hexo{}, "hexo.link_key"},
		{"hexo.dir is a file", "", "{dir: blog/file.txt}", Hexo{}, "hexo.dir"},
		{"authors_file is a folder", "", "{dir: blog/source/_posts, theme: volantis, authors_file: blog}", Hexo{}, "hexo.authors_file"},
		{"broken blog config", "theme: [volantis\n", "{dir: blog/source/_posts}", Hexo{}, "hexo.dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"blog/source/_posts/": "", "blog/file.txt": "x"}
			if tt.blog != "" {
				files["blog/_config.yml"] = "title: 博客\npermalink: :year/:title/\n" + tt.blog
			}
			writeFiles(t, dir, files)
			c, err := Parse([]byte("hexo: "+tt.hexo+"\nsite: {dir: ''}\nsources: [{url: f.xml}]\n"), filepath.Join(dir, "feedpost.yaml"))
			if tt.errKey != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Key != tt.errKey {
					t.Fatalf("want an error on %s, got %v", tt.errKey, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.Hexo
			if (got.Blog != nil) != (tt.blog != "" && !strings.Contains(tt.name, "no blog")) {
				t.Errorf("blog found: %+v", got.Blog)
			}
			if got.Blog != nil && got.Blog.Root != filepath.Join(dir, "blog") {
				t.Errorf("blog root %s", got.Blog.Root)
			}
			got.Dir, got.Blog = "", nil
			// The preset's card key (the thumbnail's) holds when the
			// cover keys in use have it.
			if slices.Contains(tt.want.CoverKeys, tt.want.Preset.CardKey) {
				tt.want.CardKey = tt.want.Preset.CardKey
			}
			if got.AuthorsFile != "" {
				rel, _ := filepath.Rel(dir, got.AuthorsFile)
				got.AuthorsFile = filepath.ToSlash(rel)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hexo:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestPathChecks: the paths and settings that would break every run or the
// blog are refused at load, with the key to change.
func TestPathChecks(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		config string
		errKey string
		errMsg string
	}{
		{"default site.dir in a Hexo blog root", map[string]string{"_config.yml": "theme: landscape\n", "source/_posts/": ""},
			"hexo: {dir: source/_posts}\n", "site.dir", "inside Hexo's output folder"},
		{"site.dir inside Hexo's custom public_dir", map[string]string{"blog/_config.yml": "public_dir: www\n"},
			"site: {dir: blog/www/news}\nhexo: {dir: ''}\n", "site.dir", "Hexo"},
		{"site.dir beside Hexo's public is fine", map[string]string{"_config.yml": "theme: landscape\n"},
			"site: {dir: news}\nhexo: {dir: source/_posts}\n", "", ""},
		{"site.dir in Hugo's public", map[string]string{"site/hugo.toml": "title = 'x'\n", "site/content/": ""},
			"site: {dir: site/public}\nhexo: {dir: ''}\n", "site.dir", "inside Hugo's output folder"},
		{"site.dir in Hugo's publishDir", map[string]string{"site/config.yaml": "publishDir: docs\n", "site/layouts/": ""},
			"site: {dir: site/docs}\nhexo: {dir: ''}\n", "site.dir", "Hugo"},
		{"a Jekyll _config.yml owns nothing", map[string]string{"_config.yml": "markdown: kramdown\n"},
			"hexo: {dir: ''}\n", "", ""},
		{"store is a folder", map[string]string{"state/": ""}, "store: state\nsite: {dir: ''}\n", "store", "is a folder"},
		{"site.dir is a file", map[string]string{"out": "x"}, "site: {dir: out}\n", "site.dir", "is a file"},
		{"hugo.dir is a file", map[string]string{"posts.md": "x"}, "site: {dir: ''}\nhugo: {dir: posts.md}\n", "hugo.dir", "is a file"},
		{"builtin proxy without a base URL", nil, "images: {proxy: builtin}\nsite: {dir: ''}\n", "images.proxy", "site.url or images.proxy_base"},
		{"builtin proxy with site.url", nil, "images: {proxy: builtin}\nsite: {dir: '', url: 'https://n.example'}\n", "", ""},
		{"builtin proxy with proxy_base", nil, "images: {proxy: builtin, proxy_base: 'https://img.example'}\nsite: {dir: ''}\n", "", ""},
		{"builtin proxy, only the built-in site", nil, "images: {proxy: builtin}\nhexo: {dir: ''}\n", "", ""},
		{"port out of range", nil, "site: {dir: '', url: 'http://news.example:99999'}\n", "site.url", "port 99999 is out of range"},
		{"source port out of range", nil, "site: {dir: ''}\nsources: [{url: 'http://feeds.example:70000/rss'}]\n", "sources[0].url", "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			src := tt.config
			if !strings.Contains(src, "sources:") {
				src += "sources: [{url: f.xml}]\n"
			}
			_, err := Parse([]byte(src), filepath.Join(dir, "feedpost.yaml"))
			if tt.errKey == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.errKey || !strings.Contains(ce.Msg, tt.errMsg) {
				t.Fatalf("want an error on %s saying %q, got %v", tt.errKey, tt.errMsg, err)
			}
		})
	}
}
