package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/hexo"
)

// checkPaths refuses, at load, the paths and settings that would make every
// run fail or break a blog, so that the user hears of them once, with the
// key to change, instead of from every source or from their readers:
//   - store is a folder, or hugo.dir / site.dir is a file (hexo.dir: hexo.go);
//   - site.dir inside a folder another generator owns and rewrites (Hexo's
//     or Hugo's public/): `hexo generate`/`hugo` and feedpost would mix
//     their sites and delete each other's files;
//   - images.proxy: builtin with no public base URL while posts are written
//     for Hexo or Hugo: the posts would get src="/img/…", which resolves
//     against the blog, not against `feedpost serve`.
func (p *parser) checkPaths(c *Config, nodes map[string]*yaml.Node) {
	if p.err != nil {
		return
	}
	if !strings.Contains(c.Store, "://") { // a SQLite file, not a PostgreSQL URL
		if fi, err := os.Stat(c.Store); err == nil && fi.IsDir() {
			p.fail(nodes["store"], "store", "%s is a folder; store is the SQLite file feedpost keeps its state in (e.g. %s)",
				c.Store, filepath.Join(c.Store, "feedpost.db"))
			return
		}
	}
	for _, d := range []struct{ key, dir string }{{"hugo.dir", c.Hugo.Dir}, {"site.dir", c.Site.Dir}} {
		if fi, err := os.Stat(d.dir); d.dir != "" && err == nil && !fi.IsDir() {
			p.fail(nodes[d.key], d.key, "%s is a file; %s is a folder feedpost writes into", d.dir, d.key)
			return
		}
	}
	if c.Site.Dir != "" {
		if owner, cfg := OwnedOutput(c.Site.Dir); owner != "" {
			def := ""
			if nodes["site.dir"] == nil {
				def = " (the default)"
			}
			p.fail(nodes["site.dir"], "site.dir", "%s%s is inside %s's output folder (%s): %s would overwrite the built-in site and the two sites would mix; "+
				"set site.dir to a folder of its own (e.g. feedpost-site), or \"\" to turn the built-in site off",
				c.Site.Dir, def, owner, cfg, generatorCommand[owner])
			return
		}
	}
	if c.Images.Proxy == "builtin" && c.Images.ProxyBase == "" && (c.Hexo.Dir != "" || c.Hugo.Dir != "") {
		p.fail(nodes["images.proxy"], "images.proxy", "builtin: the Hexo/Hugo posts need absolute image URLs, "+
			"and there is no public base URL for `feedpost serve`: set site.url or images.proxy_base "+
			"(else the posts get src=\"/img/…\", which the blog cannot serve)")
	}
}

var generatorCommand = map[string]string{"Hexo": "`hexo generate` (and `hexo clean`)", "Hugo": "`hugo`"}

// OwnedOutput reports whether dir is, or is inside, the output folder of a
// Hexo blog (public_dir of a _config.yml in a folder above it) or of a
// Hugo site (publishDir, default public/, of a hugo.* or config.* file
// beside content/ or layouts/). It returns the generator's name and the
// config file that says so, or "" when neither owns it.
func OwnedOutput(dir string) (generator, configFile string) {
	dir = filepath.Clean(dir)
	for a := filepath.Dir(dir); ; a = filepath.Dir(a) {
		for _, name := range []string{"_config.yml", "_config.yaml"} {
			if b, err := hexo.ReadBlog(filepath.Join(a, name)); err == nil && output.Inside(dir, b.PublicDir) {
				return "Hexo", b.ConfigFile
			}
		}
		if cfg, publish := hugoSite(a); cfg != "" && output.Inside(dir, publish) {
			return "Hugo", cfg
		}
		if filepath.Dir(a) == a {
			return "", ""
		}
	}
}

var hugoPublishRE = regexp.MustCompile(`(?m)^\s*"?publishDir"?\s*[:=]\s*["']?([^"'\s,#]+)`)

// hugoSite returns the config file of the Hugo site whose root is dir and
// its publish folder, or "" when dir is not one.
func hugoSite(dir string) (configFile, publishDir string) {
	hasSiteDir := false
	for _, d := range []string{"content", "layouts", "themes", "archetypes"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err == nil && fi.IsDir() {
			hasSiteDir = true
			break
		}
	}
	if !hasSiteDir {
		return "", ""
	}
	for _, name := range []string{"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json"} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		publish := "public"
		if m := hugoPublishRE.FindSubmatch(data); m != nil {
			publish = string(m[1])
		}
		if !filepath.IsAbs(publish) {
			publish = filepath.Join(dir, publish)
		}
		return path, publish
	}
	return "", ""
}
