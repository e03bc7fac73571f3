package config

import (
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/hexo"
	"github.com/feedpost/feedpost/internal/output/hugo"
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
// Hugo site (publishDir, default public/, of the site's hugo.* or config.*
// file: hugo.ReadSite). It returns the generator's name and the
// config file that says so, or "" when neither owns it.
func OwnedOutput(dir string) (generator, configFile string) {
	dir = filepath.Clean(dir)
	for a := filepath.Dir(dir); ; a = filepath.Dir(a) {
		if b, _ := hexo.BlogAt(a); b != nil && output.Inside(dir, b.PublicDir) {
			return "Hexo", b.ConfigFile
		}
		if s, _ := hugo.ReadSite(a); s != nil && output.Inside(dir, s.PublishDir) {
			return "Hugo", s.ConfigFile
		}
		if filepath.Dir(a) == a {
			return "", ""
		}
	}
}
