// Package scaffold is `feedpost init`: it looks at the folder a user runs it
// in (a Hexo blog, a Hugo site, or nothing yet), writes a commented
// feedpost.yaml fitted to it, and optionally the GitHub Actions workflow that
// runs feedpost on a schedule there.
package scaffold

import (
	"fmt"
	"path/filepath"

	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
)

// Kinds of blog init writes a config for.
const (
	KindHexo       = "hexo"
	KindHugo       = "hugo"
	KindStandalone = "" // no blog: the built-in site
)

// Blog is what init found about the blog the config is for.
type Blog struct {
	Kind     string // KindHexo, KindHugo or KindStandalone
	Root     string // absolute folder of the blog ("" when standalone)
	PostsDir string // absolute folder feedpost writes posts into
	// PublicDir is where the blog's generator writes the site (Hexo's
	// public_dir), which the workflow publishes.
	PublicDir string
	Title     string // the Hexo blog's title, for the config's header
	// Theme is the Hexo theme named by `theme:` in _config.yml, lower case,
	// without the hexo-theme- prefix of its npm package ("" when unset).
	Theme string
	// HexoTimezone is `timezone:` of _config.yml: Hexo shifts every post
	// date when it differs from the zone of the machine that builds the site.
	HexoTimezone string
}

// Detect looks at dir: a Hexo blog (a _config.yml beside a package.json that
// depends on hexo, or beside a source/ folder: hexo.IsBlogRoot), a Hugo site
// (hugo.toml and its kin: hugo.ReadSite), or neither (KindStandalone, no
// error).
func Detect(dir string) (Blog, error) {
	if hexo.IsBlogRoot(dir) {
		return Hexo(dir)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return Blog{}, err
	}
	site, err := hugo.ReadSite(root)
	if err != nil || site == nil {
		return Blog{Kind: KindStandalone}, err
	}
	return hugoBlog(site), nil
}

// Hexo reads the Hexo blog at dir: its posts folder (`source_dir`/_posts),
// title, theme and time zone from _config.yml.
func Hexo(dir string) (Blog, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return Blog{}, err
	}
	b, err := hexo.OpenBlog(root)
	if err != nil {
		return Blog{}, err
	}
	return Blog{Kind: KindHexo, Root: b.Root, PostsDir: b.PostsDir(), PublicDir: b.PublicDir,
		Title: b.Title, Theme: hexo.ThemeName(b.Theme), HexoTimezone: b.Timezone}, nil
}

// ThemePreset is the `hexo.theme:` preset that the blog's theme gets from
// `auto`: the theme itself when feedpost knows it, else "none".
func (b Blog) ThemePreset() string {
	if t, ok := hexo.PresetFor(b.Theme); ok {
		return t.Name
	}
	return hexo.ThemeNone
}

// Hugo reads the Hugo site at dir: posts go to <contentDir>/posts.
func Hugo(dir string) (Blog, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return Blog{}, err
	}
	site, err := hugo.ReadSite(root)
	if err != nil {
		return Blog{}, err
	}
	if site == nil {
		return Blog{}, fmt.Errorf("%s is not a Hugo site: it has no hugo.toml (or hugo.yaml, hugo.json, config.toml)", dir)
	}
	return hugoBlog(site), nil
}

func hugoBlog(site *hugo.Site) Blog {
	return Blog{Kind: KindHugo, Root: site.Root, PostsDir: filepath.Join(site.ContentDir, "posts")}
}
