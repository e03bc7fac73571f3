// Package scaffold is `feedpost init`: it looks at the folder a user runs it
// in (a Hexo blog, a Hugo site, or nothing yet), writes a commented
// feedpost.yaml fitted to it, and optionally the GitHub Actions workflow that
// runs feedpost on a schedule there.
package scaffold

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
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

// HexoThemes are the themes feedpost has a front-matter preset for
// (`hexo.theme:`); any other theme gets the plain Hexo front matter.
var HexoThemes = []string{"volantis", "butterfly", "fluid", "next", "redefine", "stellar", "matery", "landscape"}

// Detect looks at dir: a Hexo blog (a _config.yml beside a package.json that
// depends on hexo, or beside a source/ folder), a Hugo site (hugo.toml and
// its kin), or neither (KindStandalone, no error).
func Detect(dir string) (Blog, error) {
	if isHexo(dir) {
		return Hexo(dir)
	}
	if hugoConfig(dir) != "" {
		return Hugo(dir)
	}
	return Blog{Kind: KindStandalone}, nil
}

func isHexo(dir string) bool {
	if !isFile(filepath.Join(dir, "_config.yml")) {
		return false
	}
	if data, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
		var pkg struct {
			Hexo         json.RawMessage   `json:"hexo"`
			Dependencies map[string]string `json:"dependencies"`
		}
		if json.Unmarshal(data, &pkg) == nil && (pkg.Hexo != nil || pkg.Dependencies["hexo"] != "") {
			return true
		}
	}
	return isDir(filepath.Join(dir, "source"))
}

// Hexo reads the Hexo blog at dir: its posts folder (`source_dir`/_posts),
// title, theme and time zone from _config.yml.
func Hexo(dir string) (Blog, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return Blog{}, err
	}
	path := filepath.Join(root, "_config.yml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Blog{}, fmt.Errorf("%s is not a Hexo blog: it has no _config.yml", dir)
	}
	if err != nil {
		return Blog{}, err
	}
	var cfg struct {
		Title     string `yaml:"title"`
		Theme     any    `yaml:"theme"` // `theme: false` turns themes off
		SourceDir string `yaml:"source_dir"`
		PublicDir string `yaml:"public_dir"`
		Timezone  string `yaml:"timezone"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return Blog{}, fmt.Errorf("%s: %w", path, err)
	}
	b := Blog{Kind: KindHexo, Root: root, Title: cfg.Title, HexoTimezone: cfg.Timezone}
	if s, ok := cfg.Theme.(string); ok {
		b.Theme = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "hexo-theme-")
	}
	src := cfg.SourceDir
	if src == "" {
		src = "source"
	}
	b.PostsDir = filepath.Join(root, filepath.FromSlash(src), "_posts")
	public := cfg.PublicDir
	if public == "" {
		public = "public"
	}
	b.PublicDir = filepath.Join(root, filepath.FromSlash(public))
	return b, nil
}

// ThemePreset is the `hexo.theme:` preset that the blog's theme gets from
// `auto`: the theme itself when feedpost knows it, else "none".
func (b Blog) ThemePreset() string {
	for _, t := range HexoThemes {
		if b.Theme == t {
			return t
		}
	}
	return "none"
}

var hugoConfigNames = []string{"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json"}

// hugoConfig returns the path of the site config of a Hugo site at dir, or "".
// A bare config.yaml counts only beside a content/ or archetypes/ folder:
// many other tools have one too.
func hugoConfig(dir string) string {
	for _, n := range hugoConfigNames {
		p := filepath.Join(dir, n)
		if !isFile(p) {
			continue
		}
		if strings.HasPrefix(n, "hugo.") || isDir(filepath.Join(dir, "content")) || isDir(filepath.Join(dir, "archetypes")) {
			return p
		}
	}
	return ""
}

// contentDirRE finds `contentDir` in a Hugo config of any of its three
// syntaxes (TOML `contentDir = "x"`, YAML `contentDir: x`, JSON
// `"contentDir": "x"`) without a TOML parser, which feedpost has no other use
// for.
var contentDirRE = regexp.MustCompile(`(?m)^\s*"?contentDir"?\s*[:=]\s*["']?([^"',\s]+)`)

// Hugo reads the Hugo site at dir: posts go to <contentDir>/posts.
func Hugo(dir string) (Blog, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return Blog{}, err
	}
	path := hugoConfig(root)
	if path == "" {
		return Blog{}, fmt.Errorf("%s is not a Hugo site: it has no hugo.toml (or hugo.yaml, hugo.json, config.toml)", dir)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Blog{}, err
	}
	content := "content"
	if m := contentDirRE.FindSubmatch(data); m != nil {
		content = string(m[1])
	}
	return Blog{Kind: KindHugo, Root: root, PostsDir: filepath.Join(root, filepath.FromSlash(content), "posts")}, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
